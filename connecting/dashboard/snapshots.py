"""The dashboard's figures, computed once and then served from the cache for
`DASHBOARD_CACHE_SECONDS` (5 minutes unless set).

At national scale the figures take about half a second of SQL (grouped aggregates over 300,000
bookings) and their charts tens of milliseconds of Python, while the team opens the dashboard far
more often than the figures move. So the rendered figures section and the portal's counts are
kept in the cache, and the page says when they were computed. Invalidation is by age alone, with
one exception: "Recompute the figures now" (`dashboard_snapshots_discard`) starts a new
generation, so every filter's figures are computed afresh on their next view. A key holds
everything the figures depend on besides the data: the filter, today's date (the trend months)
and the language.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

T = TypeVar("T")

_GENERATION_KEY = "dashboard:generation"


@dataclass(frozen=True)
class Snapshot(Generic[T]):
    value: T
    computed_at: datetime.datetime

    @property
    def max_age_minutes(self) -> int:
        return max(1, round(settings.DASHBOARD_CACHE_SECONDS / 60))


def _generation() -> int:
    return cache.get_or_set(_GENERATION_KEY, 1, timeout=None)


def dashboard_snapshot(*, parts: tuple, compute: Callable[[], T]) -> Snapshot[T]:
    """The value `compute` gives for these key parts, computed at most DASHBOARD_CACHE_SECONDS ago;
    with the setting at 0, computed on every call."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return Snapshot(value=compute(), computed_at=timezone.now())
    key = ":".join(
        ["dashboard", str(_generation()), translation.get_language() or "", *(str(part) for part in parts)]
    )
    snapshot = cache.get(key)
    if snapshot is None:
        snapshot = Snapshot(value=compute(), computed_at=timezone.now())
        cache.set(key, snapshot, timeout=seconds)
    return snapshot


def dashboard_snapshots_discard() -> None:
    """Make every filter's figures be computed afresh on their next view. The old entries are left
    to expire: no key of the new generation can reach them."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): any new value starts a new generation
        cache.set(_GENERATION_KEY, int(timezone.now().timestamp()), timeout=None)
