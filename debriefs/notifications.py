"""What the author of a debrief is told about its review. The layout is the booking e-mails'
(`placements/email/booking_*`), so every message of the portal looks alike."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from debriefs.models import JoiningInstructions, Preparation, ReviewAction, ReviewEvent
from placements.notifications import Notice, partner_contact_emails

A = ReviewAction
_TOLD = {
    A.CHANGES_REQUESTED: (
        _("Changes requested to your debrief"),
        _("The programme team has asked for changes to your debrief of %(title)s."),
    ),
    A.APPROVED: (
        _("Your debrief has been approved"),
        _("The programme team has approved your debrief of %(title)s. Thank you."),
    ),
    A.PUBLISHED: (
        _("Your debrief is in the learning library"),
        _("An insight from your debrief of %(title)s is now in the learning library."),
    ),
    A.UNPUBLISHED: (
        _("Your insight has been withdrawn"),
        _("The insight from your debrief of %(title)s has been taken out of the learning library."),
    ),
    A.COMMENTED: (
        _("A comment on your debrief"),
        _("The programme team has commented on your debrief of %(title)s."),
    ),
}


def review_event_notices(event: ReviewEvent) -> list[Notice]:
    """The e-mails one review step causes: the author hears of the steps that concern them."""
    if event.action not in _TOLD:
        return []
    booking = event.debrief.booking
    participant = booking.participant
    if not participant.is_active:
        return []
    subject, line = _TOLD[event.action]
    lines = [line % {"title": booking.slot.opportunity.title}]
    if event.comment:
        lines.append(_("Their comment: %(comment)s") % {"comment": event.comment})
    return [
        Notice(
            to=[participant.email],
            subject=subject,
            lines=lines,
            link_url=settings.SITE_URL + reverse("debriefs:debrief", args=[booking.pk]),
            link_label=_("See your debrief"),
        )
    ]


def _url(name: str, booking) -> str:
    return settings.SITE_URL + reverse(name, args=[booking.pk])


def preparation_submitted_notices(preparation: Preparation) -> list[Notice]:
    """The host's contacts hear that the visitor's objectives and questions are ready to read."""
    booking = preparation.booking
    emails = partner_contact_emails(booking)
    if not emails:
        return []
    visitor = booking.participant.full_name or booking.participant.email
    return [
        Notice(
            to=emails,
            subject=_("%(visitor)s has prepared for their visit") % {"visitor": visitor},
            lines=[
                _(
                    "%(visitor)s has sent their objectives and questions for %(title)s. Read them before "
                    "the visit, and give them joining instructions if you have not yet."
                )
                % {"visitor": visitor, "title": booking.slot.opportunity.title}
            ],
            link_url=_url("preparation:preparation", booking),
            link_label=_("Read the visitor's preparation"),
        )
    ]


def joining_instructions_notices(instructions: JoiningInstructions, *, changed: bool) -> list[Notice]:
    """The visitor hears where to go, who to ask for and when, and again when that changes."""
    booking = instructions.booking
    participant = booking.participant
    if not participant.is_active:
        return []
    partner = booking.slot.opportunity.partner.name
    subject = (
        _("Changed joining instructions from %(partner)s")
        if changed
        else _("Joining instructions from %(partner)s")
    ) % {"partner": partner}
    details = [
        (_("Where to go"), instructions.where_to_go),
        (_("Who to ask for"), instructions.who_to_ask_for),
        (_("Timings"), instructions.timings),
    ]
    if instructions.other_information:
        details.append((_("Anything else"), instructions.other_information))
    if instructions.briefing_pack:
        details.append((_("Briefing pack"), instructions.briefing_pack_filename))
    return [
        Notice(
            to=[participant.email],
            subject=subject,
            lines=[
                _("%(partner)s has sent joining instructions for your visit: %(title)s.")
                % {"partner": partner, "title": booking.slot.opportunity.title}
            ],
            details=details,
            link_url=_url("preparation:joining_instructions", booking),
            link_label=_("See the joining instructions"),
        )
    ]
