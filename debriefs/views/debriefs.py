"""The pages after a visit: the participant's debrief and the host's feedback.

Both fetch the booking through `booking_get_for_user` (404 for anyone who may not see it), then ask
`debriefs.permissions` whether this person may read or write the record (403 if they may see the
booking but not this: a partner never reads a debrief, a visitor never reads the host's feedback).
Whether the booking's state allows the step is the service's call. A form asked for (GET) when it
cannot succeed sends the person back to the booking, told why; a POST goes to the service, whose
refusal is shown on the form.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from connecting.accounts.models import Role
from connecting.accounts.roles import is_programme_team, role_required
from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record
from connecting.forms import form_add_validation_error, posted_data, render_form_page
from debriefs.forms.debriefs import (
    DebriefForm,
    PartnerFeedbackForm,
    action_formset,
    debrief_error_items,
    personal_data_error,
)
from debriefs.models import Debrief, DebriefStatus, PartnerFeedback, ReviewAction
from debriefs.permissions import (
    can_edit_debrief,
    can_give_partner_feedback,
    can_view_debrief,
    can_view_partner_feedback,
)
from debriefs.selectors.debriefs import debrief_get_for_reader, review_event_list_for_debrief
from debriefs.services.common import (
    DebriefRefused,
    PersonalDataWarning,
    debrief_check_open,
    partner_feedback_check_open,
    refusal_now,
)
from debriefs.services.debriefs import debrief_save
from debriefs.services.feedback import partner_feedback_save
from placements.selectors.bookings import booking_get_for_user

ANYONE_SIGNED_IN = (Role.PARTICIPANT, Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)


def _booking_for(request, booking_id: int, may):
    booking = booking_get_for_user(booking_id=booking_id, user=request.user)
    if not may(request.user, booking):
        raise PermissionDenied
    return booking


def _back_to_booking(request, booking, refused: DebriefRefused):
    messages.info(request, " ".join(refused.messages))
    return redirect("bookings:detail", booking_id=booking.pk)


# --- The debrief ------------------------------------------------------------------------------------


def _debrief_context(request, booking, debrief: Debrief | None) -> dict:
    """The booking, the debrief and its history as this person may see it; when changes are asked
    for, the reviewer's latest comment, shown on top."""
    events = []
    if debrief is not None:
        events = list(
            review_event_list_for_debrief(
                debrief=debrief, include_team_only=not can_edit_debrief(request.user, booking)
            )
        )
    changes_requested = None
    if debrief is not None and debrief.status == DebriefStatus.CHANGES_REQUESTED:
        changes_requested = next(
            (event for event in reversed(events) if event.action == ReviewAction.CHANGES_REQUESTED), None
        )
    return {"booking": booking, "debrief": debrief, "events": events, "changes_requested": changes_requested}


def _debrief_initial(debrief: Debrief | None) -> dict:
    if debrief is None:
        return {}
    initial = {name: getattr(debrief, name) for name in DebriefForm.SHORT_NAMES}
    initial.update(
        themes=[theme.pk for theme in debrief.themes.all()],
        tags=", ".join(debrief.tags),
        usefulness=debrief.usefulness,
        consent=debrief.consent,
    )
    return initial


def _show_personal_data_warning(form: DebriefForm, warning: PersonalDataWarning, rows) -> None:
    """Name each finding on the answer it is in: a text field, or the description of an action
    (the service numbers the filled rows from 1, in page order)."""
    for name, findings in warning.findings.items():
        for finding in findings:
            number = name.removeprefix("action_")
            if name in form.SHORT_NAMES:
                form.add_error(name, personal_data_error(form.SHORT_NAMES[name], finding))
            elif number.isdigit() and 0 < int(number) <= len(rows):
                row = rows[int(number) - 1]
                row.add_error(
                    "description",
                    personal_data_error(_("Action %(number)d") % {"number": row.number}, finding),
                )
            else:
                form.add_error(None, personal_data_error(_("Your debrief"), finding))
    form.add_error(
        "personal_data_confirmed",
        _(
            "Remove the details, or confirm they are not details of a patient, service user or member "
            "of the public"
        ),
    )
    form.ask_personal_data_confirmation()


def _saved_message(debrief: Debrief, *, was_submitted: bool) -> str:
    if debrief.status == DebriefStatus.SUBMITTED:
        if was_submitted:
            return _("Your changes have been saved. Your debrief is still waiting for review.")
        return _("Your debrief has been submitted for review.")
    if debrief.status == DebriefStatus.CHANGES_REQUESTED:
        return _("Your changes have been saved. Submit your debrief again when it is ready.")
    return _("Your debrief has been saved as a draft.")


def _debrief_page(request, context: dict, form: DebriefForm, formset):
    items = debrief_error_items(form, formset)
    context = {**context, "form": form, "formset": formset, "error_items": items}
    return render(request, "debriefs/debrief_form.html", context, status=400 if items else 200)


@role_required(*ANYONE_SIGNED_IN)
def debrief_view(request, booking_id: int):
    """The participant writes their debrief here while it is theirs to change; otherwise, and for
    the programme team always, it is shown read-only with its status and history."""
    booking = _booking_for(request, booking_id, can_view_debrief)
    debrief = debrief_get_for_reader(booking=booking, user=request.user)
    context = _debrief_context(request, booking, debrief)
    if not can_edit_debrief(request.user, booking):
        if request.method == "POST":
            raise PermissionDenied
        if debrief is not None and is_programme_team(request.user):
            audit_record(actor=request.user, verb=AuditVerb.DEBRIEF_VIEWED, obj=debrief, request=request)
        return render(request, "debriefs/debrief_detail.html", context)
    if debrief is not None and not debrief.is_editable:
        if request.method == "POST":
            messages.error(
                request,
                _("Your debrief is %(status)s, so it can no longer be changed.")
                % {"status": debrief.get_status_display().lower()},
            )
            return redirect("debriefs:debrief", booking_id=booking.pk)
        return render(request, "debriefs/debrief_detail.html", context)
    closed = refusal_now(debrief_check_open, booking)
    if closed and request.method != "POST":
        return _back_to_booking(request, booking, closed)
    submitted = debrief is not None and debrief.status == DebriefStatus.SUBMITTED
    form = DebriefForm(posted_data(request), initial=_debrief_initial(debrief), submitted=submitted)
    formset = action_formset(posted_data(request), actions=debrief.actions.all() if debrief else ())
    # Both are checked, so every problem on the page is named at once.
    valid = request.method == "POST" and all([form.is_valid(), formset.is_valid()])
    if closed:  # posted: said first, above anything else wrong; the service would refuse the same
        form.add_error(None, closed)
    elif valid:
        rows = formset.action_inputs()
        try:
            debrief = debrief_save(
                booking=booking,
                by=request.user,
                texts={name: form.cleaned_data[name] for name in form.SHORT_NAMES},
                themes=list(form.cleaned_data["themes"]),
                tags=form.cleaned_data["tags"],
                usefulness=form.cleaned_data["usefulness"],
                consent=form.cleaned_data["consent"] or "",
                actions=[action for _row, action in rows],
                submit=form.submitting,
                personal_data_confirmed=form.cleaned_data["personal_data_confirmed"],
            )
        except PersonalDataWarning as warning:
            _show_personal_data_warning(form, warning, [row for row, _action in rows])
        except DebriefRefused as refused:
            form_add_validation_error(form, refused)
        else:
            messages.success(request, _saved_message(debrief, was_submitted=submitted))
            return redirect("debriefs:debrief", booking_id=booking.pk)
    return _debrief_page(request, context, form, formset)


# --- The host's feedback ----------------------------------------------------------------------------


def _feedback_initial(feedback: PartnerFeedback | None) -> dict:
    if feedback is None:
        return {}
    return {
        name: getattr(feedback, name)
        for name in ("visitor_prepared", "value_to_partner", "would_host_again", "comments")
    }


@role_required(*ANYONE_SIGNED_IN)
def partner_feedback_view(request, booking_id: int):
    """The host's contacts give or correct their feedback; the programme team reads it."""
    booking = _booking_for(request, booking_id, can_view_partner_feedback)
    feedback = PartnerFeedback.objects.filter(booking=booking).select_related("given_by").first()
    if not can_give_partner_feedback(request.user, booking):
        if request.method == "POST":
            raise PermissionDenied
        return render(request, "debriefs/feedback_detail.html", {"booking": booking, "feedback": feedback})
    closed = refusal_now(partner_feedback_check_open, booking)
    if closed and request.method != "POST":
        return _back_to_booking(request, booking, closed)
    form = PartnerFeedbackForm(posted_data(request), initial=_feedback_initial(feedback))
    valid = request.method == "POST" and form.is_valid()
    if closed:
        form.add_error(None, closed)
    elif valid:
        try:
            partner_feedback_save(booking=booking, by=request.user, **form.cleaned_data)
        except PersonalDataWarning as warning:
            form.add_personal_data_warning(warning.findings)
        except DebriefRefused as refused:
            form_add_validation_error(form, refused)
        else:
            messages.success(request, _("Thank you: your feedback has been sent to the programme team."))
            return redirect("bookings:detail", booking_id=booking.pk)
    context = {"booking": booking, "feedback": feedback, "form": form}
    return render_form_page(request, "debriefs/feedback.html", context)
