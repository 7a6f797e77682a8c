"""Where a journey starts: the state the journey before it leaves, built with the factories so
each journey can run (and fail) on its own."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from tests.factories import (
    EnrolmentFactory,
    OpportunityFactory,
    PartnerContactFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    SlotFactory,
    ThemeFactory,
)


@dataclass
class Published:
    programme: object
    partner: object
    contact: object
    opportunity: object
    slots: list
    theme: object


def published_opportunity(*, capacity: int = 2) -> Published:
    """Journey 1's end: a partner with a contact, and a published opportunity with weekly slots;
    plus another partner's opportunity that the participant's search and filters must leave out."""
    programme = ProgrammeFactory(name="Social care fellowship")
    theme = ThemeFactory(name="Hospital discharge", slug="e2e-hospital-discharge")
    other_theme = ThemeFactory(name="Children's services", slug="e2e-childrens-services")
    partner = PartnerFactory(name="Northbridge NHS Trust", town="Northbridge", postcode="M13 9WL")
    contact = PartnerContactFactory(email="alex.host@northbridge.nhs.example.org", full_name="Alex Host")
    PartnerMembershipFactory(partner=partner, user=contact, is_admin=True)
    opportunity = OpportunityFactory(
        partner=partner,
        title="A day in the discharge hub",
        summary="See how the hospital gets people home safely.",
        host_name="Alex Host",
        host_email=contact.email,
        programmes=[programme],
        policy_areas=[theme],
        minimum_notice_working_days=2,
    )
    slots = [SlotFactory(opportunity=opportunity, days_ahead=21 + 7 * n, capacity=capacity) for n in range(3)]
    elsewhere = OpportunityFactory(
        title="A day in the discharge lounge of a children's hospital",
        programmes=[programme],
        policy_areas=[other_theme],
    )
    SlotFactory(opportunity=elsewhere, days_ahead=25)
    return Published(programme, partner, contact, opportunity, slots, theme)


def enrol(person, programme) -> None:
    """The programme team enrols participants (tests/placements cover those pages)."""
    EnrolmentFactory(participant=person, programme=programme)


def move_visit_into_the_past(slot, *, days: int = 2) -> None:
    """Time moves forward by moving the visit back: the live server and the worker are separate
    threads and processes, and faking their clocks together would be fragile."""
    length = slot.ends_at - slot.starts_at
    local_day = timezone.localdate() - datetime.timedelta(days=days)
    slot.starts_at = timezone.make_aware(datetime.datetime.combine(local_day, datetime.time(9)))
    slot.ends_at = slot.starts_at + length
    slot.save(update_fields=["starts_at", "ends_at"])
