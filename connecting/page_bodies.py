"""A page's body rendered once and reused while what it shows is unchanged.

The key is the page's name, the language and a *fingerprint*: a digest PostgreSQL computes over
the version (`row_version`: `ctid`, `xmin`) of every row the body is rendered from, the rows
chosen as the body's own selectors choose them, with the same "now". A change to any of those
rows, however it was written (a service, the admin, SQL), gives another fingerprint, and a slot
that starts drops out of the rows; so a kept body is never shown once what it shows has changed,
and nothing has to remember to invalidate it. What depends on the day (notice in working days) has
the London date in its key.

Only a body that is the same for everyone whose fingerprint is the same is kept: nothing of the
person looking goes in it except what the fingerprint reads (their own bookings, say), and no form
with a CSRF token. The layout around it (navigation, messages) is rendered on every request.

The bodies live in each process's memory (the `page_bodies` cache, bounded; a deploy restarts the
processes, so a template change shows at once), never in Redis.
"""

import hashlib
from collections.abc import Callable

from django.core.cache import caches
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

CACHE_ALIAS = "page_bodies"


def row_version(alias: str) -> str:
    """SQL for the version of a row: where it lies and the transaction that wrote it (`ctid`,
    `xmin`). Every write of a row, however it is made, gives a new one: an UPDATE writes a new
    row version elsewhere (in the same transaction too, as the one it replaces cannot be reclaimed
    before it ends), and no other transaction can write one with the same `xmin`. Locking a row
    (SELECT ... FOR UPDATE) changes neither. Far cheaper than the row's text."""
    return f"({alias}.ctid::text || '@' || {alias}.xmin::text)"


def page_bodies_supported() -> bool:
    """The fingerprints are PostgreSQL's (`ctid`, `xmin`, `md5`); on SQLite, the embedded default for
    trying the portal out, every body is rendered afresh."""
    return connection.vendor == "postgresql"


def page_body(page: str, fingerprint: Callable[[], str], render: Callable[[], str]) -> SafeString:
    """The body of `page` kept under `fingerprint()`, or rendered by `render()` and kept. On a
    database without fingerprints (`page_bodies_supported`) it is rendered every time."""
    if not page_bodies_supported():
        return mark_safe(render())  # noqa: S308 - our own templates' output, escaped by them
    key = "body:" + hashlib.sha256(f"{page}\x1f{get_language()}\x1f{fingerprint()}".encode()).hexdigest()
    cache = caches[CACHE_ALIAS]
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html)
    # Rendered by our own templates, which escaped it: kept as text, it is the same markup.
    return mark_safe(html)  # noqa: S308


def page_bodies_clear() -> None:
    caches[CACHE_ALIAS].clear()


def page_number(paginator: Paginator, asked) -> int:
    """The page `Paginator.get_page(asked)` would show: the first for nonsense, the last for a
    number past the end. Worked out before any row is read, for a body's key."""
    try:
        return paginator.validate_number(asked if asked is not None else 1)
    except PageNotAnInteger:
        return 1
    except EmptyPage:
        return paginator.num_pages
