from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from connecting import demo
from debriefs.services.rollup import theme_rollup_refresh


class Command(BaseCommand):
    help = "Create the demo programme world (programmes, partners, people). Safe to run again."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data is for the local run only; CONNECTING_ENV is production.")
        created = demo.demo_seed()
        # The roll-up runs every 15 minutes under beat; run it now so the themes page has the demo's.
        theme_rollup_refresh()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready ({programmes} programmes, {partners} partners, {people} people, "
                "{opportunities} opportunities, {slots} slots, {bookings} bookings, {debriefs} debriefs, "
                "{insights} insights created now).".format(**{"debriefs": 0, "insights": 0, **created})
            )
        )
        self.stdout.write(f"\n  Demo log-ins (password for all: {demo.DEMO_PASSWORD})")
        self.stdout.write(f"    participant      {demo.PARTICIPANTS[0].email}")
        self.stdout.write(f"    partner contact  {demo.PARTNERS[0].contact.email}")
        self.stdout.write(f"    programme team   {demo.PROGRAMME_TEAM.email}")
        self.stdout.write("                     two-factor code: .venv/bin/python manage.py demo_totp_code")
        self.stdout.write(
            f"                     or add the key {demo.DEMO_TOTP_SECRET} to an authenticator app"
        )
