import secrets

from django.db import transaction

from placements.models import CalendarFeed


def _new_token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def calendar_feed_get_or_create(*, user) -> CalendarFeed:
    """The person's private feed, made with a fresh token the first time they ask for it."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user, defaults={"token": _new_token()})
    return feed


@transaction.atomic
def calendar_feed_reset(*, user) -> CalendarFeed:
    """Give the person a new feed token. The old address answers 404 from now on, so a leaked link
    stops working; calendars subscribed with it must be subscribed again with the new one."""
    feed, _created = CalendarFeed.objects.update_or_create(user=user, defaults={"token": _new_token()})
    return feed
