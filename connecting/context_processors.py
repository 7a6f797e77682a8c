from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from connecting.accounts.roles import is_participant, is_partner_contact, is_programme_team

# (label, URL name, the view names that mark the item as current: a name, or a prefix ending in : or _)
_PARTICIPANT_NAV = [
    (_("My connecting"), "accounts:participant_home", ("accounts:participant_home",)),
    (_("My visits"), "visits:list", ("visits:",)),
    (_("Find an opportunity"), "browse:list", ("browse:",)),
    (_("Learning library"), "library:list", ("library:",)),
]
_PARTNER_NAV = [
    (_("Partner dashboard"), "partners:dashboard", ("partners:",)),
    (_("Opportunities"), "opportunities:list", ("opportunities:",)),
    (_("Bookings"), "bookings:list", ("bookings:",)),
    (_("Learning library"), "library:list", ("library:",)),
]
_PROGRAMME_TEAM_NAV = [
    (_("Programme dashboard"), "accounts:programme_home", ("accounts:programme_home",)),
    (_("Programmes"), "programmes:list", ("programmes:",)),
    (_("Partners"), "partners:list", ("partners:",)),
    (_("Opportunities"), "opportunities:list", ("opportunities:", "browse:")),
    (_("Bookings"), "bookings:list", ("bookings:",)),
    (_("Review"), "review:queue", ("review:",)),
    (_("Outbox"), "outbox:list", ("outbox:",)),
    (_("Learning library"), "library:list", ("library:",)),
]
_ACCOUNT_NAV = [
    (_("Your account"), "accounts:profile", ("accounts:profile", "accounts:reminders", "account_", "mfa_"))
]
_ANONYMOUS_NAV = [
    (_("Sign in"), "account_login", ("account_login",)),
    (_("Create an account"), "account_signup", ("account_signup",)),
]

# Between the password and the authenticator code the person is neither signed out nor in:
# "Sign in" and "Create an account" would only lead them away from the step.
_SIGN_IN_STEP_VIEWS = {"mfa_authenticate", "mfa_trust"}


def _nav_items_for(user, view_name: str) -> list:
    if not user.is_authenticated:
        return [] if view_name in _SIGN_IN_STEP_VIEWS else _ANONYMOUS_NAV
    if is_programme_team(user):
        return _PROGRAMME_TEAM_NAV + _ACCOUNT_NAV
    if is_partner_contact(user):
        return _PARTNER_NAV + _ACCOUNT_NAV
    if is_participant(user):
        return _PARTICIPANT_NAV + _ACCOUNT_NAV
    return _ACCOUNT_NAV


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else ""


def _is_current(view_name: str, markers: tuple[str, ...]) -> bool:
    return any(view_name == m or (m.endswith((":", "_")) and view_name.startswith(m)) for m in markers)


def service(request):
    """Service name, phase and the navigation for the signed-in person's role."""
    view_name = _view_name(request)
    navigation = [
        {"label": label, "href": reverse(url_name), "current": _is_current(view_name, markers)}
        for label, url_name, markers in _nav_items_for(request.user, view_name)
    ]
    return {
        "service_name": settings.SERVICE_NAME,
        "service_phase": settings.SERVICE_PHASE,
        "service_feedback_email": settings.SERVICE_FEEDBACK_EMAIL,
        "service_navigation": navigation,
    }
