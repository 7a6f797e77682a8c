import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from connecting.scale import DEFAULT_SEED, DEFAULTS, ScaleRefused, scale_data_build, scale_data_wipe


class Command(BaseCommand):
    help = (
        "Generate the national-scale benchmark data set (issue 9) in a PostgreSQL database whose name "
        "ends in _bench. Defaults: " + ", ".join(f"{value:,} {key}" for key, value in DEFAULTS.items()) + "."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="fraction of the default size (e.g. 0.01)"
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same data)"
        )
        parser.add_argument("--wipe", action="store_true", help="empty the data tables first")

    def handle(self, *args, scale, seed, wipe, **options):
        if scale <= 0:
            raise CommandError("--scale must be positive.")
        start = time.perf_counter()

        def log(message: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - start:6.1f} s] {message}")

        try:
            if wipe:
                scale_data_wipe()
                log("wiped")
            counts = scale_data_build(scale=scale, seed=seed, log=log)
        except ScaleRefused as refused:
            raise CommandError(str(refused)) from refused
        with connection.cursor() as cursor:
            # Statistics and the visibility map as autovacuum would leave them on a live database.
            cursor.execute("VACUUM (ANALYZE)")
        log("vacuumed and analysed")
        for key, value in counts.items():
            self.stdout.write(f"  {key:<26} {value:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Scale data written in {time.perf_counter() - start:.1f} s."))
