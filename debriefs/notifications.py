"""What the author of a debrief is told about its review. The layout is the booking e-mails'
(`placements/email/booking_*`), so every message of the portal looks alike."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from debriefs.models import ReviewAction, ReviewEvent
from placements.notifications import Notice

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
