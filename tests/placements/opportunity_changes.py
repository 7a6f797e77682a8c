"""Changes to the rows an opportunity's pages are made from, written the way no cache could hear
of (`QuerySet.update`, SQL, a factory): for the tests of kept page bodies (connecting/page_bodies.py).
Each takes the opportunity (with partner "Riverside Hospice", title "A day on the ward" and policy
area "Zq palliative rounds") and its one slot, 30 days ahead with 4 places."""

import datetime

from django.db import connection
from django.utils import timezone

from partners.models import Partner, PartnerBlackout
from placements.models import Opportunity, OpportunityStatus, Slot, Theme
from tests.factories import OpportunityFactory, SlotFactory, ThemeFactory


def retitle(opportunity, slot):
    Opportunity.objects.filter(pk=opportunity.pk).update(title="A ward at night & A&E")


def rename_partner(opportunity, slot):
    Partner.objects.filter(pk=opportunity.partner_id).update(name="Hillside Hospice")


def rename_theme(opportunity, slot):
    Theme.objects.filter(name="Zq palliative rounds").update(name="Zq night-time care")


def add_policy_area(opportunity, slot):
    opportunity.policy_areas.add(ThemeFactory(name="Zq rota design"))


def take_places(opportunity, slot):
    Slot.objects.filter(pk=slot.pk).update(places_held=3)


def fill_slot(opportunity, slot):
    Slot.objects.filter(pk=slot.pk).update(places_held=4)


def add_slot(opportunity, slot):
    SlotFactory(opportunity=opportunity, days_ahead=40, capacity=2)


def slot_starts(opportunity, slot):
    """What time passing does to a slot: it is no longer to come."""
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - datetime.timedelta(minutes=1),
        ends_at=timezone.now() + datetime.timedelta(hours=1),
    )


def blackout_on_the_day(opportunity, slot):
    day = timezone.localdate(slot.starts_at)
    PartnerBlackout.objects.create(
        partner=opportunity.partner, starts_on=day, ends_on=day, reason="Inspection"
    )


def week_full_elsewhere_at_the_partner(opportunity, slot):
    """A weekly cap of one, reached by a place held on another opportunity of the same partner."""
    Partner.objects.filter(pk=opportunity.partner_id).update(max_visitors_per_week=1)
    sibling = OpportunityFactory(partner=opportunity.partner, title="Somewhere else entirely")
    SlotFactory(opportunity=sibling, starts_at=slot.starts_at, ends_at=slot.ends_at, places_held=1)


def unpublish(opportunity, slot):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE placements_opportunity SET status = %s WHERE id = %s",
            [OpportunityStatus.CLOSED, opportunity.pk],
        )
