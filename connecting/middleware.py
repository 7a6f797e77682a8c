import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseNotAllowed
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MethodNotAllowedPageMiddleware:
    """Give a 405 (e.g. a GET on a POST-only address) a GOV.UK page instead of an empty body.

    Django has no handler405, and `require_POST` answers with no content at all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response


class PermissionsPolicyMiddleware:
    """Switch off browser features the portal never uses (settings.PERMISSIONS_POLICY).

    Django has no setting for this header; a view that needs a feature can set its own.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# Unix times kept in the server's copy of the session, so the browser cannot stretch them.
SESSION_STARTED_KEY = "connecting_session_started"
SESSION_ACTIVITY_KEY = "connecting_last_activity"


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


class SessionTimeoutMiddleware:
    """End a signed-in session after SESSION_IDLE_SECONDS without a request, or SESSION_MAX_SECONDS
    after sign-in however busy, and send the person to sign in again with a message saying why.

    The clocks start on the request that signs someone in (stamped on the way out, because the
    view is what signs them in). A session from before this middleware starts its clocks on its
    next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = int(time.time())
        if request.user.is_authenticated:
            session = request.session
            started = session.setdefault(SESSION_STARTED_KEY, now)
            last = session.get(SESSION_ACTIVITY_KEY, now)
            if now - last > settings.SESSION_IDLE_SECONDS:
                return self._sign_out(
                    request,
                    _("You were signed out because you had not used %(service)s for %(duration)s.")
                    % {
                        "service": settings.SERVICE_NAME,
                        "duration": _duration(settings.SESSION_IDLE_SECONDS),
                    },
                )
            if now - started > settings.SESSION_MAX_SECONDS:
                return self._sign_out(
                    request,
                    _("You were signed out because you had been signed in for %(duration)s.")
                    % {"duration": _duration(settings.SESSION_MAX_SECONDS)},
                )
            # Written on every request, as SESSION_SAVE_EVERY_REQUEST would: one small UPDATE, and
            # every signed-in request costs the same queries (the query-count tests rely on it).
            session[SESSION_ACTIVITY_KEY] = now

        response = self.get_response(request)

        # The view may have signed someone in (a new session) or out (nothing left to stamp).
        if request.user.is_authenticated and SESSION_STARTED_KEY not in request.session:
            request.session[SESSION_STARTED_KEY] = now
            request.session[SESSION_ACTIVITY_KEY] = now
        return response

    @staticmethod
    def _sign_out(request, reason: str):
        logout(request)
        messages.info(request, _("%(reason)s Sign in again to continue.") % {"reason": reason})
        next_url = request.get_full_path() if request.method in ("GET", "HEAD") else None
        return redirect_to_login(next_url or "/", resolve_url(settings.LOGIN_URL))
