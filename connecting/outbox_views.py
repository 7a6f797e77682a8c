"""The programme team's view of the outbox: every e-mail the portal sent or means to send, one
message's history, and sending a failed one again.

Every page is for the programme team only (403 for anyone else, before any lookup, as the review
pages do). No page shows a message's body: bodies can hold sign-in codes and invitation links.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.models import OutboxStatus
from connecting.outbox import outbox_retry
from connecting.outbox_forms import OutboxFilterForm, RetryForm, status_choices
from connecting.outbox_selectors import (
    STATUS_ALL,
    outbox_message_get_for_user,
    outbox_message_list,
    outbox_status_counts,
)

PAGE_SIZE = 50
RETRYABLE = (OutboxStatus.FAILED, OutboxStatus.RETRYING)
team_only = role_required(Role.PROGRAMME_TEAM)


def _status_links(form: OutboxFilterForm, counts: dict[str, int], current: str) -> list[dict]:
    """One link a status (and "All"), with its count, keeping the kind and search filters."""
    kept = form.query_items(without="status")
    base = reverse("outbox:list")
    links = []
    for value, label in status_choices():
        query = urlencode([("status", value), *kept] if value else kept)
        links.append(
            {
                "label": label,
                "count": counts[value or STATUS_ALL],
                "href": f"{base}?{query}" if query else base,
                "current": value == current,
            }
        )
    return links


@team_only
def outbox_list(request):
    """Messages newest first, 50 a page, with a count of each status under the kind and search."""
    form = OutboxFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(outbox_message_list(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = outbox_status_counts(kind=filters["kind"], search=filters["search"])
    context = {
        "page": page,
        "form": form,
        "status_links": _status_links(form, counts, filters["status"] or ""),
        "filtered": any(filters.values()),
    }
    return render(request, "outbox/message_list.html", context, status=400 if form.errors else 200)


@team_only
def outbox_detail(request, message_id: int):
    message = outbox_message_get_for_user(message_id=message_id, user=request.user)
    context = {
        "message": message,
        "retry_form": RetryForm() if message.status in RETRYABLE else None,
    }
    return render(request, "outbox/message_detail.html", context)


@team_only
@require_POST
def outbox_retry_view(request, message_id: int):
    message = outbox_message_get_for_user(message_id=message_id, user=request.user)
    try:
        outbox_retry(message=message, by=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, _("The message will be sent again."))
    return redirect("outbox:detail", message_id=message.pk)
