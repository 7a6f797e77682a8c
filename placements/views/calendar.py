"""A person's private calendar feed: the page that shows its address, the reset, and the feed itself."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from placements.calendar import calendar_feed_ics
from placements.models import CalendarFeed
from placements.services.calendar import calendar_feed_get_or_create, calendar_feed_reset


def _feed_url(feed: CalendarFeed) -> str:
    return settings.SITE_URL + reverse("calendar:feed", args=[feed.token])


@require_GET
def calendar_settings(request):
    feed = calendar_feed_get_or_create(user=request.user)
    return render(request, "placements/calendar_settings.html", {"feed_url": _feed_url(feed)})


@require_POST
def calendar_reset(request):
    calendar_feed_reset(user=request.user)
    messages.success(
        request,
        _(
            "Your calendar link has been reset. The old link no longer works: subscribe again with the new one."
        ),
    )
    return redirect("calendar:settings")


@login_not_required
@require_safe
def calendar_feed(request, token: str):
    """Calendar apps fetch this with no session: the unguessable token in the address is the key."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if feed is None:
        raise Http404
    response = HttpResponse(calendar_feed_ics(user=feed.user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="connecting.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
