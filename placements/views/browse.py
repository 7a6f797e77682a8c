from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.accounts.models import Role
from connecting.accounts.roles import is_participant, is_programme_team, role_required
from connecting.forms import form_add_validation_error, posted_data
from connecting.page_bodies import page_bodies_supported, page_body
from placements.forms.browse import FILTER_PARAMETERS, OpportunityFilterForm, ParticipantInterestsForm
from placements.permissions import can_edit_opportunity
from placements.selectors.availability import slot_availability_list
from placements.selectors.browse import (
    opportunity_browse_fingerprint,
    opportunity_browse_list,
    opportunity_recommendations_for,
    participant_interests_can_recommend,
    participant_interests_get,
)
from placements.selectors.opportunities import opportunity_detail_fingerprint, opportunity_get_for_user
from placements.services.interests import participant_interests_save

PAGE_SIZE = 20
# Enough to be useful, few enough that the results still start near the top of a laptop screen.
RECOMMENDATIONS_SHOWN = 3


def _filters_applied(query) -> bool:
    return any(value.strip() for name in FILTER_PARAMETERS for value in query.getlist(name))


def _browse_body(request, context: dict) -> str:
    """The filter form and the results (recommendations, count, cards, page links)."""
    return render_to_string("placements/_browse_body.html", context, request)


# Partner contacts manage their own opportunities on their own pages; they do not browse.
@role_required(Role.PARTICIPANT, Role.PROGRAMME_TEAM)
def opportunity_browse(request):
    form = OpportunityFilterForm(request.GET)
    form.is_valid()
    filters = form.browse_filters()
    if "sort" not in form.errors and not form.data.get("sort"):
        # Show the sort in use: the default depends on whether there are keywords.
        form.data = form.data.copy()
        form.data["sort"] = filters.effective_sort
    now = timezone.now()
    filters_applied = _filters_applied(request.GET)
    context = {"form": form, "filters_applied": filters_applied}

    def page_of(results):
        return Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))

    if filters_applied and not form.errors:
        # A filtered list is rendered again only when a row it depends on changes
        # (connecting/page_bodies.py); its page links repeat the whole query, so it is in the key.
        def fingerprint() -> str:
            found = opportunity_browse_fingerprint(user=request.user, filters=filters, now=now)
            return f"{found}:{request.GET.urlencode()}"

        def render_body() -> str:
            results = opportunity_browse_list(user=request.user, filters=filters, now=now)
            return _browse_body(request, {**context, "page": page_of(results)})

        body = page_body(f"browse:{request.user.role}", fingerprint, render_body)
        return render(request, "placements/browse.html", {"body": body, "form": form})
    results = opportunity_browse_list(user=request.user, filters=filters, now=now)
    context["page"] = page = page_of(results)
    if is_participant(request.user) and not filters_applied and page.number == 1:
        interests = participant_interests_get(participant=request.user)
        context["has_interests"] = participant_interests_can_recommend(interests)
        context["show_recommendations"] = True
        context["recommendations"] = (
            opportunity_recommendations_for(
                participant=request.user,
                limit=RECOMMENDATIONS_SHOWN,
                now=now,
                availability=results.availability,
            )
            if context["has_interests"]
            else []
        )
    body = _browse_body(request, context)
    # The form goes to the layout too, for the error summary and the title's "Error:".
    return render(
        request, "placements/browse.html", {"body": body, "form": form}, status=400 if form.errors else 200
    )


def _opportunity_detail_body(request, opportunity, *, now=None) -> str:
    participant = request.user if is_participant(request.user) else None
    context = {
        "opportunity": opportunity,
        # Each upcoming slot with whether it can be asked for and, if not, why.
        "slot_rows": slot_availability_list(opportunity=opportunity, participant=participant, now=now),
        "can_edit": can_edit_opportunity(request.user, opportunity),
        "can_request": participant is not None,
    }
    return render_to_string("placements/_opportunity_detail_body.html", context, request)


@role_required(Role.PARTICIPANT, Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
def opportunity_detail(request, opportunity_id: int):
    # For a participant, on a database with fingerprints, every participant whose rows are the
    # same sees the same body: rendered once for them all and kept until one of those rows changes
    # (connecting/page_bodies.py). Anyone else, and an opportunity that is not there, goes the
    # usual way.
    now = timezone.now()
    found = (
        opportunity_detail_fingerprint(opportunity_id=opportunity_id, participant=request.user, now=now)
        if is_participant(request.user) and page_bodies_supported()
        else None
    )
    if found is not None:
        title, fingerprint = found

        def render_body() -> str:
            opportunity = opportunity_get_for_user(opportunity_id=opportunity_id, user=request.user)
            return _opportunity_detail_body(request, opportunity, now=now)

        body = page_body("opportunity_detail:participant", lambda: fingerprint, render_body)
    else:
        opportunity = opportunity_get_for_user(opportunity_id=opportunity_id, user=request.user)
        title, body = opportunity.title, _opportunity_detail_body(request, opportunity, now=now)
    context = {
        "page_title": title,
        "body": body,
        "can_browse": is_participant(request.user) or is_programme_team(request.user),
    }
    return render(request, "placements/opportunity_detail.html", context)


@role_required(Role.PARTICIPANT)
def participant_interests_edit(request):
    interests = participant_interests_get(participant=request.user)
    initial = {}
    if interests is not None:
        initial = {
            "policy_areas": list(interests.policy_areas.all()),
            "sectors": interests.sectors,
            "base_postcode": interests.base_postcode,
            "learning_objective": interests.learning_objective,
        }
    form = ParticipantInterestsForm(posted_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            participant_interests_save(
                participant=request.user,
                policy_areas=form.cleaned_data["policy_areas"],
                sectors=form.cleaned_data["sectors"],
                base_postcode=form.cleaned_data["base_postcode"],
                learning_objective=form.cleaned_data["learning_objective"],
            )
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("Your interests have been saved."))
            return redirect("browse:list")
    status = 400 if request.method == "POST" else 200
    return render(request, "placements/interests_form.html", {"form": form}, status=status)
