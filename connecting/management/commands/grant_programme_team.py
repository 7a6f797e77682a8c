from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from connecting.accounts.models import Role
from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record


class Command(BaseCommand):
    help = (
        "Give an existing account the programme-team role (they must set up two-factor authentication next)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--staff", action="store_true", help="Also let them into the Django admin site.")

    def handle(self, *args, email, staff, **options):
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account uses {email}. They should sign up (or be invited) first.")
        if user.partner_memberships.exists():
            raise CommandError(
                f"{email} acts for a partner organisation; programme-team accounts must be separate."
            )
        previous = user.role
        user.role = Role.PROGRAMME_TEAM
        user.is_staff = user.is_staff or staff
        user.save(update_fields=["role", "is_staff"])
        audit_record(
            actor=None,
            actor_description="grant_programme_team command",
            verb=AuditVerb.ROLE_CHANGED,
            obj=user,
            description=f"{previous} → {user.role}",
            staff=user.is_staff,
        )
        self.stdout.write(self.style.SUCCESS(f"{user.email} is now in the programme team."))
