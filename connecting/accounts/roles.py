"""The one place that says what each role is and how a view demands one.

Views never compare `user.role` themselves: they call these predicates, or wrap themselves in
`role_required`, so a change to what a role means is made here once.
"""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from connecting.accounts.models import Role


def _has_role(user, role: Role) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role == role)


def is_participant(user) -> bool:
    return _has_role(user, Role.PARTICIPANT)


def is_partner_contact(user) -> bool:
    return _has_role(user, Role.PARTNER_CONTACT)


def is_programme_team(user) -> bool:
    return _has_role(user, Role.PROGRAMME_TEAM)


ROLE_PREDICATES: dict[Role, Callable[[object], bool]] = {
    Role.PARTICIPANT: is_participant,
    Role.PARTNER_CONTACT: is_partner_contact,
    Role.PROGRAMME_TEAM: is_programme_team,
}


def has_any_role(user, roles: tuple[Role, ...]) -> bool:
    return any(ROLE_PREDICATES[role](user) for role in roles)


def role_required(*roles: Role):
    """Let the view run only for a signed-in user holding one of `roles`; anyone else gets 403.

    Anonymous visitors never reach this check: LoginRequiredMiddleware has already sent them to
    the sign-in page.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not has_any_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


def home_url_name(user) -> str:
    """Where a signed-in person starts: their role's own home page."""
    if is_programme_team(user):
        return "accounts:programme_home"
    if is_partner_contact(user):
        return "partners:dashboard"
    return "accounts:participant_home"
