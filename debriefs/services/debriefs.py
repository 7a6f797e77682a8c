"""After the visit: the participant's debrief, and every step of its review.

One function moves a debrief between review states: `debrief_transition`. It locks the debrief,
checks the move against `DEBRIEF_TRANSITIONS`, stamps the time, records a ReviewEvent (who, when,
from, to, the reviewer's comment) and e-mails the author once the transaction commits. The verbs
(`debrief_submit`, `debrief_request_changes`, `debrief_publish`, ...) add their own checks and call
it. Nothing else assigns `Debrief.status`.
"""

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.accounts.roles import is_programme_team
from debriefs.models import (
    DEBRIEF_TRANSITIONS,
    Debrief,
    DebriefAction,
    DebriefStatus,
    Insight,
    PolicyAction,
    PolicyActionStatus,
    ReviewAction,
    ReviewEvent,
    SharingConsent,
)
from debriefs.permissions import can_edit_debrief, can_manage_policy_actions, can_review_debriefs
from debriefs.services.common import DebriefRefused, debrief_check_open, lock_booking, personal_data_check
from placements.models import Booking, Theme

D = DebriefStatus
DEBRIEF_TEXT_FIELDS = (
    "what_i_saw",
    "what_i_learnt",
    "what_surprised_me",
    "what_works",
    "what_does_not_work",
    "policy_implications",
)
MAX_TAGS = 10
TAG_MAX_LENGTH = 40
MAX_ACTIONS = 10
_ACTION_FOR_STATUS = {
    D.SUBMITTED: ReviewAction.SUBMITTED,
    D.IN_REVIEW: ReviewAction.STARTED,
    D.CHANGES_REQUESTED: ReviewAction.CHANGES_REQUESTED,
    D.APPROVED: ReviewAction.APPROVED,
    D.PUBLISHED: ReviewAction.PUBLISHED,
}


@dataclass(frozen=True)
class ActionInput:
    description: str
    owner: str
    due_on: datetime.date


def tags_normalise(tags) -> list[str]:
    """Free tags as stored: trimmed, inner spaces folded, lower case, each once, in the order given."""
    seen: list[str] = []
    for tag in tags:
        tag = " ".join(str(tag).split()).lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


# Steps named by what they do rather than where they lead ("approved" would misname a withdrawal).
_STEP_WORDS = {
    ReviewAction.UNPUBLISHED: _("withdrawn from the learning library"),
    ReviewAction.REOPENED: _("reopened for review"),
}


def _refuse_illegal(debrief: Debrief, to: str, action: str | None = None) -> None:
    raise DebriefRefused(
        _("This debrief is %(current)s, so it cannot be %(wanted)s.")
        % {
            "current": debrief.get_status_display().lower(),
            "wanted": _STEP_WORDS.get(action, D(to).label.lower()),
        },
        code="illegal_transition",
    )


def _lock_debrief(debrief_id: int) -> Debrief:
    return (
        Debrief.objects.select_for_update(no_key=True, of=("self",))
        .select_related("booking__participant", "booking__slot__opportunity__partner")
        .get(pk=debrief_id)
    )


def _record(debrief: Debrief, *, action: str, from_status: str, by, comment: str = "") -> ReviewEvent:
    event = ReviewEvent.objects.create(
        debrief=debrief,
        action=action,
        from_status=from_status,
        to_status=debrief.status,
        actor=by,
        comment=comment,
    )
    # robust: the review step is saved whatever happens to the e-mail; a broker outage is logged.
    transaction.on_commit(lambda event_id=event.pk: _notify(event_id), robust=True)
    return event


def _notify(event_id: int) -> None:
    from debriefs.tasks import review_event_notify_task

    review_event_notify_task.delay(event_id=event_id)


@transaction.atomic
def debrief_transition(
    *, debrief: Debrief, to: str, by, comment: str = "", action: str | None = None, check=None
):
    """Move `debrief` to review state `to`, as `by`. A debrief already in `to` is returned
    unchanged (double clicks happen); `check(debrief)` is the caller's own rule, run under the lock."""
    debrief = _lock_debrief(debrief.pk)
    if debrief.status == to:
        return debrief
    if to not in DEBRIEF_TRANSITIONS[debrief.status]:
        _refuse_illegal(debrief, to, action)
    if check:
        check(debrief)
    now = timezone.now()
    from_status = debrief.status
    debrief.status = to
    update_fields = ["status", "updated_at"]
    if to == D.SUBMITTED:
        debrief.submitted_at = now
        update_fields.append("submitted_at")
    if to in (D.CHANGES_REQUESTED, D.APPROVED):
        debrief.reviewed_at = now
        update_fields.append("reviewed_at")
    if to == D.IN_REVIEW and debrief.reviewer_id is None and is_programme_team(by):
        debrief.reviewer = by
        update_fields.append("reviewer")
    debrief.save(update_fields=update_fields)
    _record(debrief, action=action or _ACTION_FOR_STATUS[to], from_status=from_status, by=by, comment=comment)
    return debrief


# --- Writing the debrief ---------------------------------------------------------------------------


def _check_complete(values: dict) -> None:
    required = {
        "what_i_learnt": _("Enter what you learnt"),
        "usefulness": _("Select how useful the visit was"),
        "consent": _("Select who may see your debrief"),
    }
    missing = {name: message for name, message in required.items() if not values.get(name)}
    if missing:
        raise DebriefRefused(missing, code="required")


@transaction.atomic
def debrief_save(
    *,
    booking: Booking,
    by,
    texts: dict[str, str],
    themes: list[Theme] | tuple = (),
    tags: list[str] | tuple = (),
    usefulness: int | None = None,
    consent: str = "",
    actions: list[ActionInput] | tuple = (),
    submit: bool = False,
    personal_data_confirmed: bool = False,
) -> Debrief:
    """Save the participant's debrief as a draft, or submit it for review.

    Open from the day of the visit, for a confirmed or attended booking, and editable until a
    reviewer starts on it (and again when changes are asked for). Submitting needs what was learnt,
    a usefulness score and a consent choice, and first checks all the free text, actions included,
    for personal data (`PersonalDataWarning`, nothing saved). The actions are replaced as a whole.
    """
    if not can_edit_debrief(by, booking):
        raise PermissionDenied
    booking = lock_booking(booking.pk)
    debrief_check_open(booking, now=timezone.now())
    debrief = Debrief.objects.select_for_update(no_key=True).filter(booking=booking).first()
    if debrief is not None and not debrief.is_editable:
        raise DebriefRefused(
            _("Your debrief is %(status)s, so it can no longer be changed.")
            % {"status": debrief.get_status_display().lower()},
            code="debrief_locked",
        )
    if len(actions) > MAX_ACTIONS:
        raise DebriefRefused(_("List at most %(n)d actions") % {"n": MAX_ACTIONS}, code="too_many_actions")
    # The form offers only these; the service holds the rule for any other caller (the database's
    # CHECK would otherwise answer with an IntegrityError).
    if usefulness is not None and usefulness not in range(1, 6):
        raise DebriefRefused({"usefulness": _("Select how useful the visit was")}, code="usefulness")
    if consent and consent not in SharingConsent.values:
        raise DebriefRefused({"consent": _("Select who may see your debrief")}, code="consent")
    tags = tags_normalise(tags)
    if len(tags) > MAX_TAGS:
        raise DebriefRefused({"tags": _("Enter at most %(n)d tags") % {"n": MAX_TAGS}}, code="too_many_tags")
    if any(len(tag) > TAG_MAX_LENGTH for tag in tags):
        raise DebriefRefused(
            {"tags": _("Each tag must be %(n)d characters or fewer") % {"n": TAG_MAX_LENGTH}},
            code="tag_too_long",
        )
    texts = {name: (texts.get(name) or "").strip() for name in DEBRIEF_TEXT_FIELDS}
    if debrief is None:
        debrief = Debrief(booking=booking)
    submitting = submit or debrief.status == D.SUBMITTED
    if submitting:
        _check_complete({**texts, "usefulness": usefulness, "consent": consent})
        scanned = dict(texts)
        for number, action in enumerate(actions, start=1):
            scanned[f"action_{number}"] = action.description
        personal_data_check(scanned, confirmed=personal_data_confirmed)
    for name, value in texts.items():
        setattr(debrief, name, value)
    debrief.tags = tags
    debrief.usefulness = usefulness
    if consent:
        debrief.consent = consent
    debrief.personal_data_confirmed = personal_data_confirmed and submitting
    debrief.save()
    debrief.themes.set(themes)
    debrief.actions.all().delete()
    DebriefAction.objects.bulk_create(
        DebriefAction(
            debrief=debrief, description=a.description.strip(), owner=a.owner.strip(), due_on=a.due_on
        )
        for a in actions
    )
    if submit and debrief.status != D.SUBMITTED:
        debrief = debrief_transition(debrief=debrief, to=D.SUBMITTED, by=by)
    return debrief


# --- Review by the programme team ---------------------------------------------------------------------


def _require_reviewer(by) -> None:
    if not can_review_debriefs(by):
        raise PermissionDenied


def _require_comment(comment: str, message: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise DebriefRefused({"comment": message}, code="comment_required")
    return comment


def debrief_start_review(*, debrief: Debrief, by) -> Debrief:
    """Pick up a submitted debrief; the reviewer becomes its assigned reviewer if it had none."""
    _require_reviewer(by)
    return debrief_transition(debrief=debrief, to=D.IN_REVIEW, by=by)


def debrief_request_changes(*, debrief: Debrief, by, comment: str) -> Debrief:
    """Send the debrief back to its author, saying what to change."""
    _require_reviewer(by)
    comment = _require_comment(comment, _("Enter what the author should change"))
    return debrief_transition(debrief=debrief, to=D.CHANGES_REQUESTED, by=by, comment=comment)


def debrief_approve(*, debrief: Debrief, by, comment: str = "") -> Debrief:
    _require_reviewer(by)
    return debrief_transition(debrief=debrief, to=D.APPROVED, by=by, comment=(comment or "").strip())


def debrief_reopen(*, debrief: Debrief, by, comment: str) -> Debrief:
    """Take an approved debrief back into review."""
    _require_reviewer(by)
    comment = _require_comment(comment, _("Enter why the debrief needs another review"))
    return debrief_transition(
        debrief=debrief, to=D.IN_REVIEW, by=by, comment=comment, action=ReviewAction.REOPENED
    )


def _shareable(debrief: Debrief) -> None:
    if not debrief.is_shareable:
        raise DebriefRefused(
            _(
                "The author asked for this debrief to be seen by the programme team only, so it cannot be published."
            ),
            code="no_consent",
        )


def _author_named_in(debrief: Debrief, text: str) -> bool:
    """Whether `text` holds the author's full name (any case, any spacing) or e-mail address."""
    participant = debrief.booking.participant
    name = r"\s+".join(re.escape(part) for part in (participant.full_name or "").split())
    if name and re.search(rf"(?<!\w){name}(?!\w)", text, re.IGNORECASE):
        return True
    return bool(participant.email) and participant.email.casefold() in text.casefold()


def _refuse_naming_an_anonymous_author(debrief: Debrief, *, title: str, body: str) -> None:
    """An anonymised insight never names its author, in its text any more than in its attribution.
    Not a warning to confirm: it is the author's choice."""
    from debriefs.models import SharingConsent

    if debrief.consent != SharingConsent.ANONYMISED:
        return
    named = [field for field, text in (("title", title), ("body", body)) if _author_named_in(debrief, text)]
    if named:
        message = _(
            "The author asked to share this without their name: remove their name and e-mail "
            "address from the text"
        )
        raise DebriefRefused(dict.fromkeys(named, message), code="names_author")


def insight_attribution(debrief: Debrief) -> str:
    """'Aisha Rahman, Adult Social Care' when the author shares with their name; else nothing."""
    from debriefs.models import SharingConsent

    if debrief.consent != SharingConsent.NAMED:
        return ""
    participant = debrief.booking.participant
    name = participant.full_name or participant.email
    return f"{name}, {participant.directorate}" if participant.directorate else name


def insight_draft_body(debrief: Debrief) -> str:
    """The reviewer's starting text for an insight: what was learnt, what works and what does not,
    and what it means for policy."""
    parts = [
        debrief.what_i_learnt,
        debrief.what_works,
        debrief.what_does_not_work,
        debrief.policy_implications,
    ]
    return "\n\n".join(part for part in parts if part)


@transaction.atomic
def debrief_publish(
    *, debrief: Debrief, by, title: str, body: str, personal_data_confirmed: bool = False
) -> Insight:
    """Publish an approved, consented debrief to the learning library as an insight.

    The reviewer gives the title and the text (an edit of the debrief); the text is checked for
    personal data like the author's was. An anonymised insight carries no name, in its attribution
    or its title and text. Partner, sector,
    region, programme, visit date and themes are copied from the booking and the debrief.
    """
    _require_reviewer(by)
    title, body = (title or "").strip(), (body or "").strip()
    missing = {}
    if not title:
        missing["title"] = _("Enter a title for the insight")
    if not body:
        missing["body"] = _("Enter the text of the insight")
    if missing:
        raise DebriefRefused(missing, code="required")
    personal_data_check({"title": title, "body": body}, confirmed=personal_data_confirmed)
    debrief = debrief_transition(debrief=debrief, to=D.PUBLISHED, by=by, check=_shareable)
    # After the move, on the locked row, so a republished text is checked too; a refusal here
    # rolls the move back with the rest of the transaction.
    _refuse_naming_an_anonymous_author(debrief, title=title, body=body)
    booking = debrief.booking
    partner = booking.slot.opportunity.partner
    insight, _created = Insight.objects.update_or_create(
        debrief=debrief,
        defaults={
            "title": title,
            "body": body,
            "attribution": insight_attribution(debrief),
            "partner": partner,
            "programme_id": booking.programme_id,
            "sector": partner.sector,
            "region": partner.region,
            "visited_on": timezone.localdate(booking.slot.starts_at),
            "published_by": by,
            "published_at": timezone.now(),
        },
    )
    insight.themes.set(debrief.themes.all())
    return insight


@transaction.atomic
def debrief_unpublish(*, debrief: Debrief, by, comment: str) -> Debrief:
    """Withdraw the insight from the library; the debrief goes back to approved."""
    _require_reviewer(by)
    comment = _require_comment(comment, _("Enter why the insight is being withdrawn"))
    debrief = debrief_transition(
        debrief=debrief, to=D.APPROVED, by=by, comment=comment, action=ReviewAction.UNPUBLISHED
    )
    Insight.objects.filter(debrief=debrief).delete()
    return debrief


@transaction.atomic
def debrief_comment(*, debrief: Debrief, by, comment: str) -> ReviewEvent:
    """A reviewer's comment to the author, without a change of state."""
    _require_reviewer(by)
    comment = _require_comment(comment, _("Enter your comment"))
    debrief = _lock_debrief(debrief.pk)
    if debrief.status == D.DRAFT:
        raise DebriefRefused(_("This debrief has not been submitted yet."), code="not_submitted")
    return _record(debrief, action=ReviewAction.COMMENTED, from_status=debrief.status, by=by, comment=comment)


@transaction.atomic
def debrief_assign(*, debrief: Debrief, by, reviewer) -> Debrief:
    """Give the debrief to a reviewer from the programme team (or to nobody, with None)."""
    _require_reviewer(by)
    if reviewer is not None and not is_programme_team(reviewer):
        raise DebriefRefused({"reviewer": _("Choose someone from the programme team")}, code="not_a_reviewer")
    debrief = _lock_debrief(debrief.pk)
    if debrief.status == D.DRAFT:
        raise DebriefRefused(_("This debrief has not been submitted yet."), code="not_submitted")
    if debrief.reviewer_id == (reviewer.pk if reviewer else None):
        return debrief
    debrief.reviewer = reviewer
    debrief.save(update_fields=["reviewer", "updated_at"])
    ReviewEvent.objects.create(
        debrief=debrief,
        action=ReviewAction.ASSIGNED,
        from_status=debrief.status,
        to_status=debrief.status,
        actor=by,
        comment=(reviewer.full_name or reviewer.email) if reviewer else _("Nobody"),
        # Not the author's business: no e-mail.
        notified_at=timezone.now(),
    )
    return debrief


# --- Policy follow-up --------------------------------------------------------------------------------


def _require_policy_manager(by) -> None:
    if not can_manage_policy_actions(by):
        raise PermissionDenied


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if not description:
        raise DebriefRefused({"description": _("Enter what needs to happen")}, code="required")
    return description


@transaction.atomic
def policy_action_create(
    *, debrief: Debrief, by, description: str, owner, personal_data_confirmed: bool = False
) -> PolicyAction:
    """Flag a submitted debrief for policy follow-up, with an owner from the programme team.

    The description is shown to the host partner on *You said, we did*, so it is checked for
    personal data first (`PersonalDataWarning`, nothing saved).
    """
    _require_policy_manager(by)
    description = _clean_description(description)
    personal_data_check({"description": description}, confirmed=personal_data_confirmed)
    if owner is None or not is_programme_team(owner):
        raise DebriefRefused({"owner": _("Choose an owner from the programme team")}, code="owner")
    debrief = _lock_debrief(debrief.pk)
    if debrief.status == D.DRAFT:
        raise DebriefRefused(_("This debrief has not been submitted yet."), code="not_submitted")
    action = PolicyAction.objects.create(debrief=debrief, description=description, owner=owner, created_by=by)
    ReviewEvent.objects.create(
        debrief=debrief,
        action=ReviewAction.FLAGGED,
        from_status=debrief.status,
        to_status=debrief.status,
        actor=by,
        comment=description,
        notified_at=timezone.now(),
    )
    return action


@transaction.atomic
def policy_action_update(
    *,
    action: PolicyAction,
    by,
    status: str,
    outcome: str = "",
    owner=None,
    description: str | None = None,
    personal_data_confirmed: bool = False,
) -> PolicyAction:
    """Move a policy action on (open, in progress, done) and record what was done.

    Done needs an outcome ("what we did"); reopening keeps the outcome text but clears the date.
    The outcome and a changed description are shown to the host partner, so they are checked for
    personal data first (`PersonalDataWarning`, nothing saved).
    """
    _require_policy_manager(by)
    action = PolicyAction.objects.select_for_update(no_key=True).get(pk=action.pk)
    if status not in PolicyActionStatus.values:
        raise DebriefRefused({"status": _("Select a status")}, code="status")
    outcome = (outcome or "").strip()
    if status == PolicyActionStatus.DONE and not outcome:
        raise DebriefRefused({"outcome": _("Enter what was done")}, code="outcome_required")
    if owner is not None:
        if not is_programme_team(owner):
            raise DebriefRefused({"owner": _("Choose an owner from the programme team")}, code="owner")
        action.owner = owner
    scanned = {"outcome": outcome}
    if description is not None:
        description = _clean_description(description)
        if description != action.description:
            scanned["description"] = description  # an unchanged one was checked when it was written
        action.description = description
    personal_data_check(scanned, confirmed=personal_data_confirmed)
    if status == PolicyActionStatus.DONE and action.status != PolicyActionStatus.DONE:
        action.done_at = timezone.now()
    elif status != PolicyActionStatus.DONE:
        action.done_at = None
    action.status = status
    action.outcome = outcome
    action.save()
    return action
