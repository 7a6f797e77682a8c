"""Before the visit: the participant's preparation and the partner's joining instructions."""

from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.uploads import DocumentInfo, document_delete, document_store
from debriefs.models import JoiningInstructions, Preparation, PreparationStatus
from debriefs.permissions import can_edit_joining_instructions, can_edit_preparation
from debriefs.services.common import (
    DebriefRefused,
    joining_instructions_check_open,
    lock_booking,
    personal_data_check,
    preparation_check_open,
)
from placements.models import Booking, Theme

PREPARATION_TEXT_FIELDS = ("objectives", "questions", "prior_knowledge", "access_needs")
JOINING_TEXT_FIELDS = ("where_to_go", "who_to_ask_for", "timings", "other_information")


@transaction.atomic
def preparation_save(
    *,
    booking: Booking,
    by,
    objectives: str = "",
    questions: str = "",
    policy_area: Theme | None = None,
    prior_knowledge: str = "",
    access_needs: str = "",
    confidentiality_acknowledged: bool = False,
    submit: bool = False,
    personal_data_confirmed: bool = False,
) -> Preparation:
    """Save the participant's preparation as a draft, or submit it for the host to read.

    Submitting needs objectives, questions and the confidentiality acknowledgement, and first checks
    the free text for personal data (`PersonalDataWarning`, nothing saved). A submitted preparation
    can still be corrected until the visit starts; it stays submitted. The host's contacts are
    e-mailed once, when it is first submitted, after the transaction commits.
    """
    if not can_edit_preparation(by, booking):
        raise PermissionDenied
    booking = lock_booking(booking.pk)
    preparation_check_open(booking, now=timezone.now())
    texts = {
        "objectives": objectives.strip(),
        "questions": questions.strip(),
        "prior_knowledge": prior_knowledge.strip(),
        "access_needs": access_needs.strip(),
    }
    preparation = Preparation.objects.filter(booking=booking).first() or Preparation(booking=booking)
    submitting = submit or preparation.is_submitted
    if submitting:
        required = {
            "objectives": (texts["objectives"], _("Enter what you want to learn from the visit")),
            "questions": (texts["questions"], _("Enter your questions for your host")),
            "confidentiality_acknowledged": (
                confidentiality_acknowledged,
                _("Confirm that you will follow the partner's confidentiality and safeguarding expectations"),
            ),
        }
        missing = {name: message for name, (value, message) in required.items() if not value}
        if missing:
            raise DebriefRefused(missing, code="required")
        personal_data_check(texts, confirmed=personal_data_confirmed)
    for name, value in texts.items():
        setattr(preparation, name, value)
    preparation.policy_area = policy_area
    preparation.confidentiality_acknowledged = confidentiality_acknowledged
    preparation.personal_data_confirmed = personal_data_confirmed and submitting
    newly_submitted = submitting and not preparation.is_submitted
    if newly_submitted:
        preparation.status = PreparationStatus.SUBMITTED
        preparation.submitted_at = timezone.now()
    preparation.save()
    if newly_submitted:
        # robust: the preparation is saved whatever happens to the e-mail; a broker outage is logged.
        transaction.on_commit(
            partial(_enqueue, "preparation_submitted_notify_task", preparation_id=preparation.pk), robust=True
        )
    return preparation


@transaction.atomic
def joining_instructions_save(
    *,
    booking: Booking,
    by,
    where_to_go: str,
    who_to_ask_for: str,
    timings: str,
    other_information: str = "",
    briefing_pack=None,
    briefing_pack_info: DocumentInfo | None = None,
    remove_briefing_pack: bool = False,
) -> JoiningInstructions:
    """Give or change the joining instructions for a confirmed visit, with an optional briefing pack.

    `briefing_pack` is an upload already checked by `connecting.uploads.document_check` (its result
    in `briefing_pack_info`). The new file is stored before the row is written; if the transaction
    fails it is removed again, and a replaced file is removed only once the change has committed,
    so a failure never leaves the row pointing at a missing file. The visitor is e-mailed the
    instructions after commit whenever what they are told changes (saving them unchanged sends
    nothing).
    """
    if not can_edit_joining_instructions(by, booking):
        raise PermissionDenied
    booking = lock_booking(booking.pk)
    joining_instructions_check_open(booking, now=timezone.now())
    instructions = JoiningInstructions.objects.filter(booking=booking).first() or JoiningInstructions(
        booking=booking
    )
    before = _what_the_visitor_is_told(instructions) if instructions.pk else None
    instructions.where_to_go = where_to_go.strip()
    instructions.who_to_ask_for = who_to_ask_for.strip()
    instructions.timings = timings.strip()
    instructions.other_information = other_information.strip()
    instructions.updated_by = by
    previous_pack = instructions.briefing_pack
    stored = ""
    if briefing_pack is not None:
        if briefing_pack_info is None:
            raise ValueError("a briefing pack must come with the result of document_check")
        stored = document_store(briefing_pack, info=briefing_pack_info, folder=f"briefing-packs/{booking.pk}")
        instructions.briefing_pack = stored
        instructions.briefing_pack_filename = briefing_pack_info.filename
        instructions.briefing_pack_content_type = briefing_pack_info.content_type
    elif remove_briefing_pack:
        instructions.briefing_pack = ""
        instructions.briefing_pack_filename = ""
        instructions.briefing_pack_content_type = ""
    if _what_the_visitor_is_told(instructions) == before:
        return instructions  # saved again unchanged: nothing to write or tell
    try:
        instructions.save()
    except Exception:
        if stored:
            document_delete(stored)
        raise
    if previous_pack and previous_pack != instructions.briefing_pack:
        transaction.on_commit(lambda: document_delete(previous_pack))
    transaction.on_commit(
        partial(_enqueue, "joining_instructions_notify_task", instructions_id=instructions.pk), robust=True
    )
    return instructions


def _what_the_visitor_is_told(instructions: JoiningInstructions) -> tuple:
    """The parts of the joining instructions the visitor's e-mail carries: saving them unchanged
    sends nothing."""
    return (
        instructions.where_to_go,
        instructions.who_to_ask_for,
        instructions.timings,
        instructions.other_information,
        instructions.briefing_pack,
    )


def _enqueue(task_name: str, **ids) -> None:
    from debriefs import tasks

    getattr(tasks, task_name).delay(**ids)
