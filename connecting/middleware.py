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
# The last-activity stamp is rewritten at most this often: saving the session on every request
# would cost an UPDATE per page view. The idle clock may then read up to this much too early, so an
# idle session ends up to a minute early, never late.
SESSION_ACTIVITY_RESOLUTION_SECONDS = 60


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def session_clocks_start(sender, request, user, **kwargs):
    """Start both clocks when someone is signed in (Django's `user_logged_in`, connected in
    `ConnectingConfig.ready`): after the password, and the second factor if any, whichever view
    or test client did it. The session is saved anyway on sign-in, so this costs no query."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_ACTIVITY_KEY] = now


class SessionTimeoutMiddleware:
    """End a signed-in session after SESSION_IDLE_SECONDS without a request, or SESSION_MAX_SECONDS
    after sign-in however busy, and send the person to sign in again with a message saying why.

    The clocks start on sign-in (`session_clocks_start`). A session from before this middleware
    starts its clocks on its next request. The session is saved only when a stamp changes, so most
    requests of a busy session write nothing.
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
            if SESSION_ACTIVITY_KEY not in session or now - last >= SESSION_ACTIVITY_RESOLUTION_SECONDS:
                session[SESSION_ACTIVITY_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _sign_out(request, reason: str):
        logout(request)
        messages.info(request, _("%(reason)s Sign in again to continue.") % {"reason": reason})
        next_url = request.get_full_path() if request.method in ("GET", "HEAD") else None
        return redirect_to_login(next_url or "/", resolve_url(settings.LOGIN_URL))
