"""iCalendar (RFC 5545) for bookings: the invite or cancellation sent by e-mail, and the private feed.

Every copy of a booking's event carries the same UID and the booking's `calendar_sequence`, so a
calendar that already holds the event replaces it (RFC 5546) rather than adding a second one.
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress

from connecting.accounts.roles import is_partner_contact
from placements.models import Booking
from placements.selectors.calendar import calendar_booking_list_for_user

PRODID = "-//Connecting//Bookings//EN"
METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"
FEED_NAME = "Connecting visits"


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.pk}@{urlsplit(settings.SITE_URL).hostname}"


def booking_url(booking: Booking) -> str:
    return f"{settings.SITE_URL}/bookings/{booking.pk}/"


def _one_line(text: str) -> str:
    # A parameter value (CN) may not hold a line break; names typed into forms sometimes do.
    return " ".join(text.split())


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC)


def _location(booking: Booking) -> str:
    opportunity = booking.slot.opportunity
    if opportunity.is_remote:
        return _("Online")
    if opportunity.site_address.strip():
        parts = [*opportunity.site_address.splitlines(), opportunity.site_postcode]
    else:
        partner = opportunity.partner
        parts = [partner.address_line_1, partner.address_line_2, partner.town, partner.postcode]
    return ", ".join(part.strip() for part in parts if part.strip())


def _description(booking: Booking, *, for_host: bool = False) -> str:
    opportunity = booking.slot.opportunity
    if for_host:
        participant = booking.participant
        return "\n".join(
            [
                _("Visitor: %(name)s") % {"name": participant.full_name or participant.email},
                _("Job title: %(title)s") % {"title": participant.job_title or "-"},
                _("Programme: %(programme)s") % {"programme": booking.programme.name},
                "",
                _("Booking details: %(url)s") % {"url": booking_url(booking)},
            ]
        )
    lines = [opportunity.summary, "", _("Your host: %(name)s") % {"name": opportunity.host_name}]
    lines.append(_("E-mail: %(email)s") % {"email": opportunity.host_email})
    if opportunity.host_phone:
        lines.append(_("Telephone: %(phone)s") % {"phone": opportunity.host_phone})
    lines += ["", _("Booking details: %(url)s") % {"url": booking_url(booking)}]
    return "\n".join(lines)


def _booking_event(
    booking: Booking, *, cancelled: bool, stamp: datetime.datetime, for_host: bool = False
) -> Event:
    slot = booking.slot
    opportunity = slot.opportunity
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.calendar_sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", _utc(slot.starts_at))
    event.add("dtend", _utc(slot.ends_at))
    visitor = booking.participant.full_name or booking.participant.email
    summary = (
        _("Visitor: %(visitor)s, %(title)s") % {"visitor": visitor, "title": opportunity.title}
        if for_host
        else _("%(title)s with %(partner)s")
        % {"title": opportunity.title, "partner": opportunity.partner.name}
    )
    event.add("summary", summary)
    location = _location(booking)
    if location:
        event.add("location", location)
    event.add("description", _description(booking, for_host=for_host))
    event.add("url", booking_url(booking))
    event.add(
        "organizer",
        vCalAddress(f"mailto:{opportunity.host_email}", params={"CN": _one_line(opportunity.host_name)}),
    )
    participant = booking.participant
    attendee_params = {"CN": _one_line(participant.full_name or participant.email), "ROLE": "REQ-PARTICIPANT"}
    if not cancelled:
        attendee_params["PARTSTAT"] = "ACCEPTED"
    event.add("attendee", vCalAddress(f"mailto:{participant.email}", params=attendee_params))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    return calendar


def booking_ics(*, booking: Booking, method: str) -> bytes:
    """One booking as an invitation or update (`REQUEST`) or a cancellation (`CANCEL`), for e-mail.

    The caller bumps `booking.calendar_sequence` whenever the event changes, before building this.
    """
    if method not in (METHOD_REQUEST, METHOD_CANCEL):
        raise ValueError(f"method must be {METHOD_REQUEST} or {METHOD_CANCEL}, not {method!r}")
    calendar = _calendar()
    calendar.add("method", method)
    calendar.add_component(_booking_event(booking, cancelled=method == METHOD_CANCEL, stamp=timezone.now()))
    return calendar.to_ical()


def calendar_feed_ics(*, user) -> bytes:
    """The person's subscribable calendar: the visits `calendar_booking_list_for_user` gives them.

    No METHOD: a subscribed feed is published, not an invitation a calendar should answer.
    """
    calendar = _calendar()
    calendar.add("x-wr-calname", FEED_NAME)
    # A hint to clients that poll the feed; Outlook and Google choose their own interval anyway.
    calendar.add("x-published-ttl", "PT1H")
    stamp = timezone.now()
    # A partner contact's feed is of visitors coming to them: it names the visitor, not the host.
    for_host = is_partner_contact(user)
    for booking in calendar_booking_list_for_user(user=user):
        calendar.add_component(_booking_event(booking, cancelled=False, stamp=stamp, for_host=for_host))
    return calendar.to_ical()
