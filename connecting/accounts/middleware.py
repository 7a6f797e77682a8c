from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from connecting.accounts.roles import is_programme_team

# What a programme-team member without an authenticator may still reach: setting one up
# (which asks them to re-enter their password first) and signing out.
MFA_SETUP_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "account_logout",
        "account_reauthenticate",
        "mfa_reauthenticate",
    }
)


class ProgrammeTeamMFAMiddleware:
    """The programme team sees everyone's data, so their accounts do nothing until TOTP is on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_programme_team(request.user):
            return None
        if request.resolver_match.url_name in MFA_SETUP_URL_NAMES:
            return None
        if Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists():
            return None
        messages.warning(
            request,
            _(
                "Programme team accounts must use two-factor authentication. Set up an authenticator app to continue."
            ),
        )
        return redirect("mfa_activate_totp")
