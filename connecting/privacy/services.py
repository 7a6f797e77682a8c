"""UK GDPR in the portal: subject access, erasure (anonymisation) and retention.

- `subject_access_archive` builds the ZIP a person downloads from "Download your data".
- `person_anonymise` is the programme team's answer to an erasure request.
- `retention_apply` is run every night by beat: it removes free text and contact details older
  than settings.RETENTION_DAYS (730 unless set) after the visit.

Erasure and retention both keep the rows and every value that feeds a figure (booking statuses,
visit dates, debrief status, themes and usefulness, feedback scores, survey scores, directorate,
organisation and grade), so the dashboard, the theme roll-up and the impact pack stay true; only
what identifies a person or was written by or about them goes.

The audit log is not changed by either. Its entries keep the actor's key and the e-mail address
written when they acted: an audit trail of who did what with personal data is kept for the
controller's accountability (UK GDPR Art. 5(2)) and for legal claims (Art. 17(3)(e)), which the
erasure right does not override. The privacy notice says so; the log is readable only by the team.
"""

import datetime
import io
import json
import logging
import zipfile
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.accounts.models import Role
from connecting.audit.models import AuditVerb
from connecting.audit.selectors import audit_event_list_about_person
from connecting.audit.services import audit_record
from connecting.models import OutboxMessage, OutboxStatus
from connecting.surveys.models import QuestionKind, SurveyAnswer, SurveyStatus
from debriefs.models import (
    Debrief,
    DebriefAction,
    Insight,
    JoiningInstructions,
    PartnerFeedback,
    Preparation,
    ReviewEvent,
    RollupDebriefText,
    ThemeQuote,
)
from partners.models import PartnerInvitation
from placements.models import Booking, BookingEvent, CalendarFeed, Enrolment, ParticipantInterests

logger = logging.getLogger(__name__)

User = get_user_model()

REMOVED = "[removed]"
ANONYMISED_NAME = "Anonymised person"
ANONYMISED_DOMAIN = "anonymised.invalid"  # .invalid can never be delivered to (RFC 2606)
DEFAULT_RETENTION_DAYS = 730
# What a booking step done by a line manager (by e-mail, without an account) says once the address goes.
LINE_MANAGER = "Line manager"

DEBRIEF_TEXT_FIELDS = (
    "what_i_saw",
    "what_i_learnt",
    "what_surprised_me",
    "what_works",
    "what_does_not_work",
    "policy_implications",
)
PREPARATION_TEXT_FIELDS = ("objectives", "questions", "prior_knowledge", "access_needs")
# Outbox messages whose sending is over: their bodies are no longer needed.
FINISHED_OUTBOX_STATUSES = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SKIPPED)


class PrivacyRefused(ValidationError):
    """An erasure the portal will not do, in words the programme team can act on."""


def anonymised_email(user) -> str:
    return f"anonymised-{user.pk}@{ANONYMISED_DOMAIN}"


def is_anonymised(user) -> bool:
    return user.email == anonymised_email(user)


def retention_days() -> int:
    return getattr(settings, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS)


# --- Subject access ------------------------------------------------------------------------------------


def _role_of(actor_id: int | None, person, team_ids: set[int]) -> str:
    """Who did something to a person's record, without naming anyone else."""
    if actor_id is None:
        return "the portal or a line manager"
    if actor_id == person.pk:
        return "you"
    return "the programme team" if actor_id in team_ids else "a partner contact"


def _profile(person) -> dict:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    interests = (
        ParticipantInterests.objects.filter(participant=person).prefetch_related("policy_areas").first()
    )
    feed = CalendarFeed.objects.filter(user=person).first()
    return {
        "email": person.email,
        "full_name": person.full_name,
        "job_title": person.job_title,
        "organisation": person.organisation,
        "directorate": person.directorate,
        "grade": person.grade,
        "role": person.role,
        "is_active": person.is_active,
        "date_joined": person.date_joined,
        "last_login": person.last_login,
        "reminders_off_at": person.reminders_off_at,
        "email_addresses": list(
            EmailAddress.objects.filter(user=person).order_by("pk").values("email", "verified", "primary")
        ),
        # Which second factors are set up and when, never their secrets.
        "two_factor_methods": list(
            Authenticator.objects.filter(user=person)
            .order_by("pk")
            .values("type", "created_at", "last_used_at")
        ),
        "single_sign_on_accounts": list(
            SocialAccount.objects.filter(user=person)
            .order_by("pk")
            .values("provider", "uid", "date_joined", "last_login", "extra_data")
        ),
        "partner_memberships": [
            {
                "partner": membership.partner.name,
                "partner_admin": membership.is_admin,
                "since": membership.created_at,
            }
            for membership in person.partner_memberships.select_related("partner").order_by("pk")
        ],
        "calendar_feed_created_at": feed.created_at if feed else None,
        "interests": None
        if interests is None
        else {
            "policy_areas": [theme.name for theme in interests.policy_areas.all()],
            "sectors": interests.sectors,
            "base_postcode": interests.base_postcode,
            "learning_objective": interests.learning_objective,
            "updated_at": interests.updated_at,
        },
    }


def _enrolments(person) -> list[dict]:
    return [
        {
            "programme": enrolment.programme.name,
            "cohort": enrolment.cohort.name if enrolment.cohort else None,
            "enrolled_at": enrolment.enrolled_at,
        }
        for enrolment in Enrolment.objects.filter(participant=person)
        .select_related("programme", "cohort")
        .order_by("enrolled_at", "pk")
    ]


def _bookings(person, team_ids: set[int]) -> list[dict]:
    bookings = (
        Booking.objects.filter(participant=person)
        .select_related("slot__opportunity__partner", "programme")
        .prefetch_related("events")
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": booking.pk,
            "programme": booking.programme.name,
            "opportunity": booking.slot.opportunity.title,
            "partner": booking.slot.opportunity.partner.name,
            "starts_at": booking.slot.starts_at,
            "ends_at": booking.slot.ends_at,
            "status": booking.status,
            "line_manager_email": booking.line_manager_email,
            "manager_approval": booking.manager_approval,
            "cancelled_late": booking.cancelled_late,
            "created_at": booking.created_at,
            "events": [
                {
                    "action": event.action,
                    "from_status": event.from_status,
                    "to_status": event.to_status,
                    "by": _role_of(event.actor_id, person, team_ids),
                    "reason": event.reason,
                    "late": event.late,
                    "at": event.created_at,
                }
                for event in booking.events.all()
            ],
        }
        for booking in bookings
    ]


def _preparations(person) -> list[dict]:
    return [
        {
            "booking_id": preparation.booking_id,
            "status": preparation.status,
            "objectives": preparation.objectives,
            "questions": preparation.questions,
            "policy_area": preparation.policy_area.name if preparation.policy_area else None,
            "prior_knowledge": preparation.prior_knowledge,
            "access_needs": preparation.access_needs,
            "confidentiality_acknowledged": preparation.confidentiality_acknowledged,
            "submitted_at": preparation.submitted_at,
            "updated_at": preparation.updated_at,
        }
        for preparation in Preparation.objects.filter(booking__participant=person)
        .select_related("policy_area")
        .order_by("booking_id")
    ]


def _debriefs(person, team_ids: set[int]) -> list[dict]:
    debriefs = (
        Debrief.objects.filter(booking__participant=person)
        .prefetch_related("themes", "actions", "events")
        .order_by("booking_id")
    )
    return [
        {
            "booking_id": debrief.booking_id,
            "status": debrief.status,
            **{field: getattr(debrief, field) for field in DEBRIEF_TEXT_FIELDS},
            "themes": [theme.name for theme in debrief.themes.all()],
            "tags": debrief.tags,
            "usefulness": debrief.usefulness,
            "consent": debrief.consent,
            "submitted_at": debrief.submitted_at,
            "updated_at": debrief.updated_at,
            "actions": [
                {"description": action.description, "owner": action.owner, "due_on": action.due_on}
                for action in debrief.actions.all()
            ],
            "review_history": [
                {
                    "action": event.action,
                    "from_status": event.from_status,
                    "to_status": event.to_status,
                    "by": _role_of(event.actor_id, person, team_ids),
                    "comment": event.comment,
                    "at": event.created_at,
                }
                for event in debrief.events.all()
            ],
        }
        for debrief in debriefs
    ]


def _feedback_given(person) -> list[dict]:
    return [
        {
            "booking_id": feedback.booking_id,
            "partner": feedback.booking.slot.opportunity.partner.name,
            "visitor_prepared": feedback.visitor_prepared,
            "value_to_partner": feedback.value_to_partner,
            "would_host_again": feedback.would_host_again,
            "comments": feedback.comments,
            "updated_at": feedback.updated_at,
        }
        for feedback in PartnerFeedback.objects.filter(given_by=person)
        .select_related("booking__slot__opportunity__partner")
        .order_by("pk")
    ]


def _survey_answers(person) -> list[dict]:
    answers = (
        SurveyAnswer.objects.filter(response__invitation__user=person)
        .select_related("question", "response__survey")
        .order_by("response_id", "question__position")
    )
    return [
        {
            "survey": answer.response.survey.title,
            "answered_at": answer.response.created_at,
            "question": answer.question.text,
            "value": answer.value,
            "text": answer.text,
        }
        for answer in answers
    ]


def _messages(person) -> list[dict]:
    # Metadata only: bodies can hold sign-in codes and links that are still live.
    return list(
        OutboxMessage.objects.filter(recipient=person)
        .order_by("created_at", "pk")
        .values("kind", "to", "subject", "status", "created_at", "sent_at")
    )


def _audit(person) -> list[dict]:
    return [
        {
            "what": event.verb,
            "by": "you" if event.actor_id == person.pk else "someone else",
            "record": f"{event.object_type} {event.object_id}".strip(),
            "description": event.description,
            # The address is the person's own only when they acted.
            "ip_address": event.ip_address if event.actor_id == person.pk else None,
            "at": event.created_at,
        }
        for event in audit_event_list_about_person(person=person)
    ]


def _uploaded_files(person) -> Iterable[tuple[str, JoiningInstructions]]:
    """Files the person uploaded themselves: briefing packs they last saved. A pack another contact
    of the partner uploaded belongs to the partner and is not in anyone's download."""
    packs = JoiningInstructions.objects.filter(updated_by=person).exclude(briefing_pack="").order_by("pk")
    for instructions in packs:
        yield (
            f"files/briefing-pack-{instructions.booking_id}-{instructions.briefing_pack_filename}",
            instructions,
        )


README = """Your data in Connecting
=====================

Downloaded on {now:%d %B %Y at %H:%M} (UTC). Each file holds one kind of record, in JSON.

profile.json          your account, e-mail addresses, sign-in methods and interests
enrolments.json       the programmes you are on
bookings.json         your bookings and each step in their history
preparations.json     what you wrote before your visits
debriefs.json         your debriefs, your actions and their review history
partner_feedback.json feedback you gave as a partner contact about visits you hosted
survey_answers.json   your answers to surveys
messages.json         e-mails the portal sent you (subject and dates; the text is not kept here)
audit.json            entries of the audit log about you or made by you
files/                documents you uploaded, if any

Other people are described by their role, not their name. To ask about this data, or to ask for
it to be corrected or erased, contact the programme team (see the privacy notice).
"""


def subject_access_archive(*, user) -> bytes:
    """Everything the portal holds about `user`, as a ZIP of JSON files and their uploads.

    Reads only: the download itself is audited by the caller (the view knows the request).
    """
    team_ids = set(User.objects.filter(role=Role.PROGRAMME_TEAM).values_list("pk", flat=True))
    sections = {
        "profile.json": _profile(user),
        "enrolments.json": _enrolments(user),
        "bookings.json": _bookings(user, team_ids),
        "preparations.json": _preparations(user),
        "debriefs.json": _debriefs(user, team_ids),
        "partner_feedback.json": _feedback_given(user),
        "survey_answers.json": _survey_answers(user),
        "messages.json": _messages(user),
        "audit.json": _audit(user),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(now=timezone.now()))
        for name, content in sections.items():
            archive.writestr(name, json.dumps(content, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
        for name, instructions in _uploaded_files(user):
            try:
                with storages["private"].open(instructions.briefing_pack, "rb") as file:
                    archive.writestr(name, file.read())
            except FileNotFoundError:
                logger.warning("briefing pack of booking %s is missing from storage", instructions.booking_id)
    return buffer.getvalue()


# --- Erasure -----------------------------------------------------------------------------------------


def _scrub_bookings(bookings) -> None:
    """Free text on bookings and their records; statuses, dates, themes and scores stay."""
    from placements.services.bookings import AUTOMATIC

    bookings.update(line_manager_email="")
    events = BookingEvent.objects.filter(booking__in=bookings)
    events.exclude(reason="").update(reason="")
    # A line manager acts by e-mail address; the address goes, the fact that a manager acted stays.
    events.exclude(actor_description__in=["", AUTOMATIC, LINE_MANAGER]).update(actor_description=LINE_MANAGER)
    Preparation.objects.filter(booking__in=bookings).update(**dict.fromkeys(PREPARATION_TEXT_FIELDS, ""))
    debriefs = Debrief.objects.filter(booking__in=bookings)
    debriefs.update(**dict.fromkeys(DEBRIEF_TEXT_FIELDS, ""))
    DebriefAction.objects.filter(debrief__in=debriefs).update(description=REMOVED, owner=REMOVED)
    ReviewEvent.objects.filter(debrief__in=debriefs).exclude(comment="").update(comment="")
    ThemeQuote.objects.filter(debrief__in=debriefs).delete()
    _forget_rollup_texts(debriefs)
    Insight.objects.filter(debrief__in=debriefs).exclude(attribution="").update(attribution="")
    PartnerFeedback.objects.filter(booking__in=bookings).exclude(comments="").update(comments="")


def _forget_rollup_texts(debriefs) -> None:
    """The roll-up's stored words and quote excerpt of these debriefs: blanked at once rather than
    at the next refresh (which notices the changed text and rewrites them from it anyway)."""
    RollupDebriefText.objects.filter(fact__debrief__in=debriefs).update(words=b"", quote="")


@transaction.atomic
def person_anonymise(*, person, by):
    """Erase `person`: replace their name, e-mail address and everything they wrote, or was written
    about them, with placeholders; close the account for good.

    Kept so the figures stay true: the rows themselves (bookings, events, debriefs, feedback,
    survey responses), their statuses and dates, themes, tags, usefulness, scores, role,
    organisation, directorate and grade. Removed: name, e-mail address, job title, password,
    e-mail addresses and single sign-on and two-factor records, the calendar feed and interests,
    free text (preparation, debrief, actions, review comments, feedback comments, survey text
    answers, booking reasons, line manager addresses), quotes taken from their debriefs, the name
    on their published insights, and the bodies and addresses of e-mails to them. E-mails not yet
    sent to them are not sent. Doing it twice changes nothing. The audit log is not changed (see
    the module's docstring), and a new entry says who anonymised whom.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    person = User.objects.select_for_update(no_key=True).get(pk=person.pk)
    if person.pk == by.pk:
        raise PrivacyRefused(_("You cannot anonymise your own account. Ask another member of the team."))
    if is_anonymised(person):
        return person
    old_email = person.email

    person.full_name = f"{ANONYMISED_NAME} {person.pk}"
    person.email = anonymised_email(person)
    person.job_title = ""
    person.is_active = False
    person.is_staff = False
    person.is_superuser = False
    person.reminders_off_at = person.reminders_off_at or timezone.now()
    person.set_unusable_password()
    person.save()
    person.groups.clear()
    person.user_permissions.clear()

    EmailAddress.objects.filter(user=person).delete()
    SocialAccount.objects.filter(user=person).delete()
    Authenticator.objects.filter(user=person).delete()
    CalendarFeed.objects.filter(user=person).delete()
    ParticipantInterests.objects.filter(participant=person).delete()
    PartnerInvitation.objects.filter(email__iexact=old_email).update(email=person.email)

    _scrub_bookings(Booking.objects.filter(participant=person))
    PartnerFeedback.objects.filter(given_by=person).exclude(comments="").update(comments="")
    SurveyAnswer.objects.filter(
        response__invitation__user=person, question__kind=QuestionKind.FREE_TEXT
    ).update(text=REMOVED)
    messages = OutboxMessage.objects.filter(recipient=person)
    messages.filter(status__in=(OutboxStatus.PENDING, OutboxStatus.RETRYING, OutboxStatus.FAILED)).update(
        status=OutboxStatus.SKIPPED, last_error=_("Not sent: the recipient was anonymised.")
    )
    messages.update(to=[], body_text="", body_html="", headers={}, attachments=[])

    audit_record(
        actor=by, verb=AuditVerb.PERSON_ANONYMISED, obj=person, description=f"Person {person.pk} anonymised"
    )
    logger.info("user %s anonymised by user %s", person.pk, by.pk)
    return person


# --- Retention --------------------------------------------------------------------------------------


@transaction.atomic
def retention_apply(*, now: datetime.datetime) -> dict[str, int]:
    """Remove personal data from visits that ended more than RETENTION_DAYS before `now`.

    Debriefs lose their free text (status, themes, tags and usefulness stay, so the roll-up and
    the dashboard do not change), as do preparations (access needs included), debrief actions,
    review comments and partner feedback comments; quotes taken from those debriefs and names on
    their insights go; line manager addresses and booking reasons go. Finished e-mails created
    before the cut-off lose their bodies and attachments. Free-text survey answers go from surveys
    closed before it. Only rows that still hold something are touched, so a second run changes
    nothing (and records nothing). Returns how many rows of each kind were changed.
    """
    cutoff = now - datetime.timedelta(days=retention_days())
    bookings = Booking.objects.filter(slot__ends_at__lt=cutoff)
    debriefs = Debrief.objects.filter(booking__in=bookings)
    not_empty = Q()
    for field in DEBRIEF_TEXT_FIELDS:
        not_empty |= ~Q(**{field: ""})
    preparation_not_empty = Q()
    for field in PREPARATION_TEXT_FIELDS:
        preparation_not_empty |= ~Q(**{field: ""})
    events = BookingEvent.objects.filter(booking__in=bookings)
    from placements.services.bookings import AUTOMATIC

    _forget_rollup_texts(debriefs)
    counts = {
        "debriefs": debriefs.filter(not_empty).update(**dict.fromkeys(DEBRIEF_TEXT_FIELDS, "")),
        "debrief_actions": DebriefAction.objects.filter(debrief__in=debriefs)
        .exclude(description=REMOVED, owner=REMOVED)
        .update(description=REMOVED, owner=REMOVED),
        "review_comments": ReviewEvent.objects.filter(debrief__in=debriefs)
        .exclude(comment="")
        .update(comment=""),
        "theme_quotes": ThemeQuote.objects.filter(debrief__in=debriefs).delete()[0],
        "insight_names": Insight.objects.filter(debrief__in=debriefs)
        .exclude(attribution="")
        .update(attribution=""),
        "preparations": Preparation.objects.filter(booking__in=bookings)
        .filter(preparation_not_empty)
        .update(**dict.fromkeys(PREPARATION_TEXT_FIELDS, "")),
        "partner_feedback": PartnerFeedback.objects.filter(booking__in=bookings)
        .exclude(comments="")
        .update(comments=""),
        "line_manager_emails": bookings.exclude(line_manager_email="").update(line_manager_email=""),
        "booking_reasons": events.exclude(reason="").update(reason=""),
        "booking_actor_emails": events.exclude(actor_description__in=["", AUTOMATIC, LINE_MANAGER]).update(
            actor_description=LINE_MANAGER
        ),
        "messages": OutboxMessage.objects.filter(status__in=FINISHED_OUTBOX_STATUSES, created_at__lt=cutoff)
        .filter(~Q(body_text="") | ~Q(body_html="") | ~Q(attachments=[]))
        .update(body_text="", body_html="", attachments=[]),
        "survey_answers": SurveyAnswer.objects.filter(
            response__survey__status=SurveyStatus.CLOSED,
            response__survey__closed_at__lt=cutoff,
            question__kind=QuestionKind.FREE_TEXT,
        )
        .exclude(text=REMOVED)
        .update(text=REMOVED),
    }
    if any(counts.values()):
        audit_record(
            actor=None,
            actor_description="Retention task",
            verb=AuditVerb.RETENTION_APPLIED,
            description=f"Personal data from visits that ended before {cutoff:%Y-%m-%d} removed",
            **counts,
        )
        logger.info("retention applied before %s: %s", cutoff.date(), counts)
    return counts
