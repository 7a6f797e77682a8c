"""What the programme team reads about the outbox: the list of messages, one message, the counts.

Bodies never leave the database through here: they can hold sign-in codes and invitation links,
which would let whoever reads them act as the recipient. Every queryset defers them.
"""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from connecting.accounts.roles import is_programme_team
from connecting.models import OutboxMessage, OutboxStatus

# Never loaded for the pages: the bodies (see above) and the attachments' content (calendar files).
_NOT_SHOWN = ("body_text", "body_html", "attachments", "headers")
STATUS_ALL = "all"


def _filtered(*, kind: str | None = None, search: str | None = None) -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.defer(*_NOT_SHOWN)
    if kind:
        messages = messages.filter(kind=kind)
    if search:
        # `to` is a JSON list of addresses: its text holds each one.
        messages = messages.filter(Q(subject__icontains=search) | Q(to__icontains=search))
    return messages


def outbox_message_list(
    *, status: str | None = None, kind: str | None = None, search: str | None = None
) -> QuerySet[OutboxMessage]:
    """Messages newest first, narrowed by status, kind and a search of the subject and addresses."""
    messages = _filtered(kind=kind, search=search)
    if status:
        messages = messages.filter(status=status)
    return messages.order_by("-created_at", "-pk")


def outbox_status_counts(*, kind: str | None = None, search: str | None = None) -> dict[str, int]:
    """How many messages are in each status (and in all), under the same kind and search: one query."""
    counts = {status: Count("pk", filter=Q(status=status)) for status in OutboxStatus.values}
    return _filtered(kind=kind, search=search).aggregate(**{STATUS_ALL: Count("pk")}, **counts)


def outbox_kind_choices() -> list[str]:
    return list(OutboxMessage.objects.order_by("kind").values_list("kind", flat=True).distinct())


def outbox_message_get_for_user(*, message_id: int, user) -> OutboxMessage:
    """One message for the programme team; 404 for anyone else, as for an id that does not exist."""
    if not is_programme_team(user):
        raise Http404
    message = (
        OutboxMessage.objects.defer(*_NOT_SHOWN).select_related("recipient").filter(pk=message_id).first()
    )
    if message is None:
        raise Http404
    return message
