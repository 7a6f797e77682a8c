"""Seed the shared policy-area taxonomy. The programme team can add to it in the admin."""

from django.db import migrations
from django.utils.text import slugify

from placements.taxonomy import POLICY_AREAS


def seed(apps, schema_editor):
    Theme = apps.get_model("placements", "Theme")
    for name, description in POLICY_AREAS:
        Theme.objects.get_or_create(slug=slugify(name), defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("placements", "0002_cohorts_opportunities_slots_bookings")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
