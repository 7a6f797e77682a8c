"""The pages before a visit: the participant's preparation, the partner's joining instructions and
the briefing pack.

Each fetches the booking through `booking_get_for_user` (404 for anyone who may not see it), then
asks a predicate of `debriefs.permissions` (403 if they may see the page but not write it). Whether
the booking's state allows writing is the service's call: when it does not, the page is read-only
with the service's own reason, and a POST that arrives anyway is refused in the same words.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.forms import form_add_validation_error, posted_data
from connecting.uploads import document_response
from debriefs.forms.preparation import JoiningInstructionsForm, PreparationForm
from debriefs.models import JoiningInstructions, Preparation
from debriefs.permissions import (
    can_edit_joining_instructions,
    can_edit_preparation,
    can_view_joining_instructions,
    can_view_preparation,
)
from debriefs.selectors.preparation import (
    joining_instructions_get_for_booking,
    preparation_get_for_booking,
    preparation_get_for_reader,
)
from debriefs.services.common import (
    DebriefRefused,
    PersonalDataWarning,
    joining_instructions_check_open,
    preparation_check_open,
    refusal_now,
)
from debriefs.services.preparation import (
    JOINING_TEXT_FIELDS,
    PREPARATION_TEXT_FIELDS,
    joining_instructions_save,
    preparation_save,
)
from placements.models import Booking
from placements.selectors.bookings import booking_get_for_user

PREPARATION_FORM_FIELDS = (*PREPARATION_TEXT_FIELDS, "policy_area", "confidentiality_acknowledged")
ANYONE_SIGNED_IN = (Role.PARTICIPANT, Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)


def _booking_for(request, booking_id: int, may_view, may_edit) -> tuple[Booking, bool]:
    """The booking in the URL and whether this person may write the page: 404 if they cannot see
    the booking, 403 if they may not see the page, or are POSTing to a page they may only read."""
    booking = booking_get_for_user(booking_id=booking_id, user=request.user)
    if not may_view(request.user, booking):
        raise PermissionDenied
    editable = may_edit(request.user, booking)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    return booking, editable


def _closed_reason(check, booking: Booking) -> str:
    """Why the booking's state rules the step out now, in the service's words; "" when it is open."""
    refused = refusal_now(check, booking)
    return " ".join(refused.messages) if refused else ""


def _render(request, template: str, context: dict, *, refused: bool):
    """400 when the form has errors or a POST was refused, else 200."""
    form = context.get("form")
    failed = refused or bool(form is not None and form.errors)
    return render(request, template, context, status=400 if failed else 200)


# --- The participant's preparation -----------------------------------------------------------------


def _preparation_initial(preparation: Preparation | None) -> dict:
    if preparation is None:
        return {}
    return model_to_dict(preparation, fields=PREPARATION_FORM_FIELDS)


@role_required(*ANYONE_SIGNED_IN)
def preparation_view(request, booking_id: int):
    booking, editable = _booking_for(request, booking_id, can_view_preparation, can_edit_preparation)
    partner = booking.slot.opportunity.partner
    closed = _closed_reason(preparation_check_open, booking) if editable else ""
    # Posted to a page that has closed since it was loaded: refused, in the service's words.
    refused = request.method == "POST" and bool(closed)
    form = None
    if editable and not closed:
        preparation = preparation_get_for_booking(booking=booking)
        form = PreparationForm(
            posted_data(request),
            initial=_preparation_initial(preparation),
            partner_name=partner.name,
            submitted=bool(preparation and preparation.is_submitted),
        )
        if request.method == "POST" and form.is_valid():
            try:
                preparation = preparation_save(
                    booking=booking,
                    by=request.user,
                    objectives=form.cleaned_data["objectives"],
                    questions=form.cleaned_data["questions"],
                    policy_area=form.cleaned_data["policy_area"],
                    prior_knowledge=form.cleaned_data["prior_knowledge"],
                    access_needs=form.cleaned_data["access_needs"],
                    confidentiality_acknowledged=form.cleaned_data["confidentiality_acknowledged"],
                    submit=form.submitting,
                    personal_data_confirmed=form.cleaned_data["personal_data_confirmed"],
                )
            except PersonalDataWarning as warning:
                form.add_personal_data_warning(warning.findings)
            except DebriefRefused as refusal:
                if hasattr(refusal, "error_dict"):
                    form_add_validation_error(form, refusal)
                else:
                    closed, refused, form = " ".join(refusal.messages), True, None
            else:
                messages.success(request, _preparation_saved_message(preparation, partner))
                return redirect("preparation:preparation", booking_id=booking.pk)
    context = {
        "booking": booking,
        "partner": partner,
        "opportunity": booking.slot.opportunity,
        "form": form,
        "editable": editable,
        "closed": closed,
        "refused": refused,
        "preparation": preparation_get_for_reader(booking=booking, user=request.user)
        if form is None
        else None,
        "can_give_instructions": not editable and can_edit_joining_instructions(request.user, booking),
        "instructions": joining_instructions_get_for_booking(booking=booking),
    }
    return _render(request, "debriefs/preparation.html", context, refused=refused)


def _preparation_saved_message(preparation: Preparation, partner) -> str:
    if preparation.is_submitted:
        return _("Your preparation has been submitted. %(partner)s can now read it.") % {"partner": partner}
    return _("Your preparation has been saved as a draft. %(partner)s cannot see it until you submit it.") % {
        "partner": partner
    }


# --- The partner's joining instructions ----------------------------------------------------------


def _instructions_initial(instructions: JoiningInstructions | None) -> dict:
    if instructions is None:
        return {}
    return model_to_dict(instructions, fields=JOINING_TEXT_FIELDS)


@role_required(*ANYONE_SIGNED_IN)
def joining_instructions_view(request, booking_id: int):
    booking, editable = _booking_for(
        request, booking_id, can_view_joining_instructions, can_edit_joining_instructions
    )
    instructions = joining_instructions_get_for_booking(booking=booking)
    closed = _closed_reason(joining_instructions_check_open, booking) if editable else ""
    refused = request.method == "POST" and bool(closed)
    form = None
    if editable and not closed:
        form = JoiningInstructionsForm(
            posted_data(request),
            request.FILES if request.method == "POST" else None,
            initial=_instructions_initial(instructions),
            briefing_pack_filename=instructions.briefing_pack_filename if instructions else "",
        )
        if request.method == "POST" and form.is_valid():
            pack = form.cleaned_data["briefing_pack"]
            try:
                joining_instructions_save(
                    booking=booking,
                    by=request.user,
                    where_to_go=form.cleaned_data["where_to_go"],
                    who_to_ask_for=form.cleaned_data["who_to_ask_for"],
                    timings=form.cleaned_data["timings"],
                    other_information=form.cleaned_data["other_information"],
                    briefing_pack=pack or None,
                    briefing_pack_info=getattr(pack, "document_info", None),
                    remove_briefing_pack=form.cleaned_data.get("remove_briefing_pack", False),
                )
            except DebriefRefused as refusal:
                if hasattr(refusal, "error_dict"):
                    form_add_validation_error(form, refusal)
                else:
                    closed, refused, form = " ".join(refusal.messages), True, None
            else:
                messages.success(
                    request,
                    _("The joining instructions have been saved. %(name)s can now read them.")
                    % {"name": booking.participant},
                )
                return redirect("preparation:joining_instructions", booking_id=booking.pk)
    context = {
        "booking": booking,
        "partner": booking.slot.opportunity.partner,
        "form": form,
        "editable": editable,
        "closed": closed,
        "refused": refused,
        "instructions": instructions,
        "preparation": preparation_get_for_reader(booking=booking, user=request.user),
    }
    return _render(request, "debriefs/joining_instructions.html", context, refused=refused)


# --- The briefing pack ---------------------------------------------------------------------------


@require_safe
@role_required(*ANYONE_SIGNED_IN)
def briefing_pack_download(request, booking_id: int):
    booking = booking_get_for_user(booking_id=booking_id, user=request.user)
    # Refused exactly like the booking itself: the pack's existence is not given away either.
    if not can_view_joining_instructions(request.user, booking):
        raise Http404("No such briefing pack.")
    instructions = joining_instructions_get_for_booking(booking=booking)
    if instructions is None or not instructions.briefing_pack:
        raise Http404("No such briefing pack.")
    return document_response(
        instructions.briefing_pack,
        filename=instructions.briefing_pack_filename,
        content_type=instructions.briefing_pack_content_type,
    )
