"""A participant's "My visits" page: days against each programme's target, then their visits."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.page_bodies import page_body
from placements.selectors.visits import (
    participant_days_summary,
    visit_lists_for_participant,
    visit_next_steps,
    visit_page_fingerprint,
)

PAGE_SIZE = 25


PAGE_PARAMETERS = ("upcoming_page", "past_page")


def _page_numbers(request) -> tuple[str, str] | None:
    """The two tables' page numbers as asked for, or None when the address holds anything else
    (the page links repeat the whole query)."""
    numbers = tuple(request.GET.get(name, "1") for name in PAGE_PARAMETERS)
    plain = all(n.isascii() and n.isdigit() and len(n) <= 4 for n in numbers)
    only_pages = all(name in PAGE_PARAMETERS and len(request.GET.getlist(name)) == 1 for name in request.GET)
    return numbers if plain and only_pages else None


@role_required(Role.PARTICIPANT)
def visit_list(request):
    now = timezone.now()
    numbers = _page_numbers(request)
    if numbers is None:  # nonsense in the address: never kept
        body = _visit_list_body(request, now)
    else:
        # Rendered again only when one of the rows it shows changes (connecting/page_bodies.py).
        body = page_body(
            "visit_list",
            lambda: f"{visit_page_fingerprint(participant=request.user, now=now)}:{':'.join(numbers)}",
            lambda: _visit_list_body(request, now),
        )
    return render(request, "placements/visit_list.html", {"body": body})


def _visit_list_body(request, now) -> str:
    lists = visit_lists_for_participant(participant=request.user, now=now, read_all_up_to=2 * PAGE_SIZE)
    context = {
        "summaries": participant_days_summary(
            participant=request.user, today=timezone.localdate(now), bookings=lists.everything
        )
    }
    # Each table pages on its own, so moving through past visits keeps the upcoming page.
    for when, visits in (("upcoming", lists.upcoming), ("past", lists.past)):
        page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get(f"{when}_page"))
        context[f"{when}_page"] = page
        context[f"{when}_rows"] = [(booking, visit_next_steps(booking, now)) for booking in page]
    return render_to_string("placements/_visit_list_body.html", context, request)
