from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from connecting.accounts.roles import is_programme_team

# What an account that must use MFA but has no authenticator may still reach: setting one up
# (which asks them to re-enter their password first) and signing out. Full view names, so a view
# of the same short name in some other namespace is not let through by accident.
MFA_SETUP_VIEW_NAMES = frozenset(
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


# The id of the account, kept in the session once it is seen to have TOTP on, so the check costs a
# query once a session (at sign-in, when the session is saved anyway) rather than on every request.
# Removing an authenticator clears it (`mfa_seen_clear`), and every sign-in checks afresh.
SESSION_HAS_TOTP_KEY = "connecting_mfa_totp"


def _has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def mfa_seen_at_sign_in(sender, request, user, **kwargs):
    """Django's `user_logged_in`: note in the new session whether the account already has TOTP."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session.pop(SESSION_HAS_TOTP_KEY, None)
    if must_use_mfa(user) and _has_totp(user):
        session[SESSION_HAS_TOTP_KEY] = user.pk


def mfa_seen_clear(sender, request=None, **kwargs):
    """allauth's `authenticator_removed`: this session checks the database again on its next request."""
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(SESSION_HAS_TOTP_KEY, None)


def must_use_mfa(user) -> bool:
    """The programme team sees everyone's data; staff reach the Django admin, which sees it all too."""
    return is_programme_team(user) or bool(user.is_authenticated and user.is_active and user.is_staff)


class ProgrammeTeamMFAMiddleware:
    """Accounts that see everyone's data do nothing until TOTP is on: every page, download, export
    and the Django admin sends them to set it up. It checks in process_view, so it sees only
    requests that reached a view; anonymous requests are LoginRequiredMiddleware's business.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not must_use_mfa(request.user):
            return None
        if request.resolver_match.view_name in MFA_SETUP_VIEW_NAMES:
            return None
        if request.session.get(SESSION_HAS_TOTP_KEY) == request.user.pk:
            return None
        if _has_totp(request.user):
            request.session[SESSION_HAS_TOTP_KEY] = request.user.pk
            return None
        messages.warning(
            request,
            _(
                "Programme team accounts must use two-factor authentication. Set up an authenticator app to continue."
            ),
        )
        return redirect("mfa_activate_totp")
