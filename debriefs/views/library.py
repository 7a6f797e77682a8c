"""The learning library and the partners' "You said, we did" page.

Every insight comes through `insight_get_for_user` or `insight_list_for_user` (a partner contact
reads only insights about their own organisations; any other insight answers 404). Filters and
the partner choice are read from the query string: a bad value is named in the error summary
(status 400) and the rest of the page still shows.
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.loader import render_to_string

from connecting.accounts.roles import is_programme_team
from connecting.page_bodies import page_body, page_number
from debriefs.forms.library import LibraryFilterForm, YouSaidWeDidPartnerForm
from debriefs.permissions import can_read_learning_library, can_see_you_said_we_did
from debriefs.selectors.library import (
    insight_get_for_user,
    insight_list_filtered,
    insight_page_fingerprint,
    insight_page_ids,
    you_said_we_did_for_partner,
    you_said_we_did_partners_for_user,
)

PAGE_SIZE = 20


def _require_library_reader(user) -> None:
    if not can_read_learning_library(user):
        raise PermissionDenied


def insight_list(request):
    _require_library_reader(request.user)
    form = LibraryFilterForm(request.GET)
    filters = form.library_filters()
    insights = insight_list_filtered(user=request.user, filters=filters)
    paginator = Paginator(insights, PAGE_SIZE)
    number = page_number(paginator, request.GET.get("page"))

    def render_results() -> str:
        return render_to_string(
            "debriefs/_library_results.html",
            {"page": paginator.page(number), "filtered": bool(filters)},
            request,
        )

    def fingerprint() -> str:
        # The cards are rendered again only when a row they show changes
        # (connecting/page_bodies.py); the page links repeat the whole query, so it is in the key.
        start = (number - 1) * PAGE_SIZE
        ids = insight_page_ids(insights, start, start + PAGE_SIZE)
        return f"{insight_page_fingerprint(ids)}:{paginator.count}:{request.GET.urlencode()}"

    results = page_body("library_results", fingerprint, render_results)
    context = {
        "form": form,
        "results": results,
        # The only way in to "You said, we did" for the partners and the team who may read it.
        "can_see_you_said_we_did": can_see_you_said_we_did(request.user),
    }
    return render(request, "debriefs/library.html", context, status=400 if form.errors else 200)


def insight_detail(request, insight_id: int):
    _require_library_reader(request.user)
    insight = insight_get_for_user(insight_id=insight_id, user=request.user)
    return render(request, "debriefs/library_detail.html", {"insight": insight})


def you_said_we_did(request):
    if not can_see_you_said_we_did(request.user):
        raise PermissionDenied
    partners = you_said_we_did_partners_for_user(user=request.user)
    team = is_programme_team(request.user)
    # A contact's own organisations, usually one: the team chooses from every partner instead.
    own = [] if team else list(partners)
    form = partner = None
    if team or len(own) > 1:
        form = YouSaidWeDidPartnerForm(request.GET, partners=partners)
        partner = form.chosen_partner()
    if partner is None and own:
        # A partner contact always sees an organisation of their own: the first, unless they chose.
        partner = own[0]
    context = {
        "form": form,
        "team": team,
        "partner": partner,
        "has_partners": team or bool(own),
        "report": you_said_we_did_for_partner(partner=partner) if partner else None,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "debriefs/you_said_we_did.html", context, status=status)
