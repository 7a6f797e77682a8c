"""Rebuild connecting/data/postcode_districts.csv from the NSPD (needs the dev dependencies)."""

from django.core.management.base import BaseCommand

from connecting import postcodes

HEADER = """\
# UK postcode district centroids (WGS84), the mean position of each district's postcodes.
# Derived by `python manage.py build_postcode_districts` from the National Statistics Postcode
# Directory as packaged in {pin}.
# Source: Office for National Statistics licensed under the Open Government Licence v.3.0
# Contains OS data (c) Crown copyright and database right 2025
# Contains Royal Mail data (c) Royal Mail copyright and database right 2025
# Northern Ireland (BT) is left out: the NSPD does not license it under the OGL.
"""


class Command(BaseCommand):
    help = "Rebuild the postcode district table used for distances (takes a few seconds)."

    def handle(self, *args, **options):
        centroids = postcodes.district_centroids_from_nspd()
        path = postcodes._DISTRICT_TABLE
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as table:
            table.write(HEADER.format(pin=postcodes._DATA_PIN))
            table.write("district,latitude,longitude\n")
            for district, (latitude, longitude) in centroids.items():
                table.write(f"{district},{latitude:.5f},{longitude:.5f}\n")
        postcodes._district_centroids.cache_clear()
        self.stdout.write(f"Wrote {len(centroids)} districts to {path.name}.")
