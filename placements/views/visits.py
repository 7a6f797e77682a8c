"""A participant's "My visits" page: days against each programme's target, then their visits."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from placements.selectors.visits import (
    participant_days_summary,
    visit_lists_for_participant,
    visit_next_steps,
)

PAGE_SIZE = 25


@role_required(Role.PARTICIPANT)
def visit_list(request):
    now = timezone.now()
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
    return render(request, "placements/visit_list.html", context)
