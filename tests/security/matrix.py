"""The machinery of the permission matrix: enumerating the URL configuration, visiting a URL as one
of the six visitors, and a fingerprint of the database to prove a refused POST changed nothing."""

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.world import VISITORS, World

# --- Outcomes -------------------------------------------------------------------------------------
LOGIN = "login"  # 302 to the sign-in page
REDIRECT = "redirect"  # 302 anywhere else (a form page that sends you back to the booking, ...)
Outcome = int | str

# allauth's own URLs are left out of the matrix except these: the portal's sign-in, sign-up,
# sign-out, password and two-factor pages, which the MFA middleware and the rate limits depend on.
# The rest (e-mail confirmation keys, login codes, the OIDC callbacks, the social-account pages)
# act on allauth's own session stages and signed keys rather than on the portal's roles, and are
# allauth's to test; tests/accounts covers how the portal configures them.
ALLAUTH_URLS_IN_THE_MATRIX = frozenset(
    {
        "account_login",
        "account_logout",
        "account_signup",
        "account_reset_password",
        "account_change_password",
        "account_reauthenticate",
        "mfa_index",
        "mfa_activate_totp",
        "mfa_reauthenticate",
    }
)


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    from_allauth: bool
    from_admin: bool


def _walk(patterns, namespace: str | None, prefix: str, from_allauth: bool, from_admin: bool):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            module = getattr(pattern.urlconf_name, "__name__", pattern.urlconf_name)
            module = module if isinstance(module, str) else ""
            yield from _walk(
                pattern.url_patterns,
                ns,
                prefix + str(pattern.pattern),
                from_allauth or module.startswith("allauth"),
                from_admin or pattern.namespace == "admin",
            )
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield Route(name or "", prefix + str(pattern.pattern), from_allauth, from_admin)


def portal_routes() -> list[Route]:
    """Every URL pattern the portal answers, except the Django admin's and allauth's own (but the
    listed few). A portal URL without a name is kept, with an empty name, so the matrix names it."""
    routes = []
    for route in _walk(get_resolver().url_patterns, None, "", False, False):
        if route.from_admin or (route.from_allauth and route.name not in ALLAUTH_URLS_IN_THE_MATRIX):
            continue
        routes.append(route)
    return routes


# --- Expectations ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Expect:
    """What each of the six visitors gets from a GET of the URL.

    `post` overrides, visitor by visitor, what a POST with no form data gets (by default, the same
    as the GET). `post_changes` names the visitors whose empty POST may legitimately write (a form
    whose every field is optional, a one-click action); for everyone else the database must be
    exactly as before the POST."""

    kwargs: Callable[[World], dict] | None = None
    anonymous: Outcome
    participant_a: Outcome
    participant_b: Outcome
    partner_x: Outcome
    partner_y: Outcome
    team: Outcome
    post: dict[str, Outcome] = field(default_factory=dict)
    post_changes: frozenset[str] = frozenset()

    def get_outcome(self, visitor: str) -> Outcome:
        return getattr(self, visitor)

    def post_outcome(self, visitor: str) -> Outcome:
        return self.post.get(visitor, self.get_outcome(visitor))

    def url(self, name: str, world: World) -> str:
        return reverse(name, kwargs=self.kwargs(world) if self.kwargs else None)


def outcome_of(response):
    if response.status_code in (301, 302, 303):
        location = urlparse(response["Location"]).path
        if location == resolve_url(settings.LOGIN_URL):
            return LOGIN
        return REDIRECT
    return response.status_code


def client_for(world: World, visitor: str) -> Client:
    client = Client()  # CSRF checks off: a refusal must come from the permission checks alone
    user = world.user(visitor)
    if user is not None:
        client.force_login(user)
    return client


# --- A fingerprint of the data --------------------------------------------------------------------

# Written by requests as a side effect of being signed in or refused, not by the action itself.
TABLES_ANY_REQUEST_MAY_WRITE = frozenset({"django_session", "audit_auditevent"})


def data_fingerprint() -> dict[str, str]:
    """Each table's row count and a hash of all its rows, in one query: any insert, update or
    delete shows as a changed entry."""
    tables = sorted(
        name
        for name in connection.introspection.django_table_names(only_existing=True, include_views=False)
        if name not in TABLES_ANY_REQUEST_MAY_WRITE
    )
    # The table names come from the schema itself, never from input.
    parts = [
        f"SELECT '{table}', count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "  # noqa: S608
        f'FROM "{table}" t'
        for table in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {table: f"{count}:{digest}" for table, count, digest in cursor.fetchall()}


def fingerprint_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))


__all__ = ["VISITORS"]
