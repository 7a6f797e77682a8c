"""Partner contacts (and the programme team) manage opportunities and their slots here."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.forms import form_add_validation_error, posted_data, render_form_page
from partners.selectors import partner_list_for_user
from placements.forms.opportunities import OpportunityForm, SlotForm, SlotSeriesForm
from placements.models import OpportunityStatus
from placements.permissions import can_edit_opportunity
from placements.selectors import opportunities as selectors
from placements.services import opportunities as services
from placements.services.opportunities import OPPORTUNITY_MOVES

PAGE_SIZE = 25
managers_only = role_required(Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)


def _editable_opportunity(request, opportunity_id: int):
    opportunity = selectors.opportunity_get_for_user(opportunity_id=opportunity_id, user=request.user)
    if not can_edit_opportunity(request.user, opportunity):
        raise Http404("No such opportunity.")
    return opportunity


def _editable_slot(request, slot_id: int):
    slot = selectors.slot_get_for_user(slot_id=slot_id, user=request.user)
    if not can_edit_opportunity(request.user, slot.opportunity):
        raise Http404("No such slot.")
    return slot


@managers_only
def opportunity_list(request):
    status = request.GET.get("status", "")
    page = Paginator(selectors.opportunity_manage_list(user=request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "placements/opportunity_list.html",
        {
            "page": page,
            "status": status if status in OpportunityStatus.values else "",
            "statuses": OpportunityStatus.choices,
            "can_create": partner_list_for_user(user=request.user).exists(),
        },
    )


def _save_opportunity(form, *, by, opportunity=None):
    values = {name: form.cleaned_data[name] for name in services.OPPORTUNITY_FIELDS}
    values["site_postcode"] = values["site_postcode"] or ""
    if opportunity is None:
        return services.opportunity_create(
            partner=form.chosen_partner(),
            by=by,
            programmes=form.cleaned_data["programmes"],
            policy_areas=form.cleaned_data["policy_areas"],
            **values,
        )
    return services.opportunity_update(
        opportunity=opportunity,
        programmes=form.cleaned_data["programmes"],
        policy_areas=form.cleaned_data["policy_areas"],
        **values,
    )


def _opportunity_form_page(request, *, opportunity=None):
    partners = partner_list_for_user(user=request.user)
    if not partners.exists():
        raise Http404("You do not act for any partner.")
    form = OpportunityForm(posted_data(request), instance=opportunity, partners=partners)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save_opportunity(form, by=request.user, opportunity=opportunity)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("“%(title)s” has been saved.") % {"title": saved.title})
            return redirect("opportunities:detail", opportunity_id=saved.pk)
    return render_form_page(
        request, "placements/opportunity_form.html", {"form": form, "opportunity": opportunity}
    )


@managers_only
def opportunity_create(request):
    return _opportunity_form_page(request)


@managers_only
def opportunity_edit(request, opportunity_id: int):
    return _opportunity_form_page(request, opportunity=_editable_opportunity(request, opportunity_id))


@managers_only
def opportunity_detail(request, opportunity_id: int):
    opportunity = _editable_opportunity(request, opportunity_id)
    return render(
        request,
        "placements/opportunity_manage.html",
        {
            "opportunity": opportunity,
            "upcoming_slots": selectors.opportunity_slot_list(opportunity=opportunity),
            "past_slots": selectors.opportunity_slot_list(opportunity=opportunity, upcoming=False)[:20],
            "moves": [
                (status, OpportunityStatus(status).label)
                for status in sorted(OPPORTUNITY_MOVES.get(opportunity.status, ()))
            ],
        },
    )


@require_POST
@managers_only
def opportunity_status(request, opportunity_id: int):
    opportunity = _editable_opportunity(request, opportunity_id)
    target = request.POST.get("to", "")
    if target not in OpportunityStatus.values:
        messages.error(request, _("Choose what to do with the opportunity."))
        return redirect("opportunities:detail", opportunity_id=opportunity.pk)
    try:
        opportunity = services.opportunity_status_set(opportunity=opportunity, to=target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("“%(title)s” is now %(status)s.")
            % {"title": opportunity.title, "status": opportunity.get_status_display().lower()},
        )
    return redirect("opportunities:detail", opportunity_id=opportunity.pk)


@managers_only
def slot_add(request, opportunity_id: int):
    opportunity = _editable_opportunity(request, opportunity_id)
    form = SlotForm(posted_data(request), submit_label=_("Add slot"))
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.times()
        try:
            services.slot_create(
                opportunity=opportunity,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=form.cleaned_data["capacity"],
            )
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("The slot has been added."))
            return redirect("opportunities:detail", opportunity_id=opportunity.pk)
    return render_form_page(
        request,
        "placements/slot_form.html",
        {"form": form, "opportunity": opportunity, "title": _("Add a slot")},
    )


@managers_only
def slot_series_add(request, opportunity_id: int):
    opportunity = _editable_opportunity(request, opportunity_id)
    form = SlotSeriesForm(posted_data(request), initial={"weeks": 8})
    if request.method == "POST" and form.is_valid():
        try:
            result = services.slot_series_create(opportunity=opportunity, **form.cleaned_data)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            message = ngettext(
                "%(count)d slot has been added.", "%(count)d slots have been added.", len(result.created)
            ) % {"count": len(result.created)}
            for day, reason in result.skipped:
                message += " " + _("Skipped %(day)s: %(reason)s.") % {
                    "day": day.strftime("%-d %B %Y"),
                    "reason": reason,
                }
            messages.success(request, message)
            return redirect("opportunities:detail", opportunity_id=opportunity.pk)
    return render_form_page(
        request,
        "placements/slot_form.html",
        {"form": form, "opportunity": opportunity, "title": _("Add a weekly series of slots")},
    )


@managers_only
def slot_edit(request, slot_id: int):
    slot = _editable_slot(request, slot_id)
    form = SlotForm(posted_data(request), initial=SlotForm.initial_for(slot))
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.times()
        try:
            services.slot_update(
                slot=slot,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=form.cleaned_data["capacity"],
                by=request.user,
            )
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("The slot has been changed."))
            return redirect("opportunities:detail", opportunity_id=slot.opportunity_id)
    return render_form_page(
        request,
        "placements/slot_form.html",
        {"form": form, "opportunity": slot.opportunity, "slot": slot, "title": _("Change a slot")},
    )


@managers_only
def slot_delete(request, slot_id: int):
    slot = _editable_slot(request, slot_id)
    if request.method == "POST":
        try:
            services.slot_delete(slot=slot)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The slot has been removed."))
        return redirect("opportunities:detail", opportunity_id=slot.opportunity_id)
    return render(
        request, "placements/slot_confirm_delete.html", {"slot": slot, "opportunity": slot.opportunity}
    )
