from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from connecting import demo


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo programme-team account (local run only)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo account does not exist in production.")
        counters = list(yield_hotp_counters_from_time())
        current = counters[len(counters) // 2]
        code = format_hotp_value(hotp_value(demo.DEMO_TOTP_SECRET, current))
        self.stdout.write(f"{demo.PROGRAMME_TEAM.email}: {code}")
