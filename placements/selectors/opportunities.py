from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from connecting.accounts.roles import is_participant, is_partner_contact, is_programme_team
from partners.models import PartnerStatus
from placements.models import Opportunity, OpportunityStatus, Slot


def opportunity_list_for_user(*, user) -> QuerySet[Opportunity]:
    """Every opportunity the person may see: all for the team, their partners' (any state) for a
    contact, and only published ones of active partners for a participant."""
    opportunities = Opportunity.objects.select_related("partner")
    if is_programme_team(user):
        return opportunities
    if is_partner_contact(user):
        return opportunities.filter(partner__memberships__user=user)
    if is_participant(user):
        return opportunities.filter(status=OpportunityStatus.PUBLISHED, partner__status=PartnerStatus.ACTIVE)
    return opportunities.none()


def opportunity_get_for_user(*, opportunity_id: int, user) -> Opportunity:
    """The one door from a URL to an opportunity: anything the user may not see answers 404."""
    opportunity = (
        opportunity_list_for_user(user=user)
        .prefetch_related("programmes", "policy_areas")
        .filter(pk=opportunity_id)
        .first()
    )
    if opportunity is None:
        raise Http404("No such opportunity.")
    return opportunity


def slot_list_for_user(*, user) -> QuerySet[Slot]:
    return Slot.objects.select_related("opportunity__partner").filter(
        opportunity__in=opportunity_list_for_user(user=user)
    )


def slot_get_for_user(*, slot_id: int, user) -> Slot:
    slot = slot_list_for_user(user=user).filter(pk=slot_id).first()
    if slot is None:
        raise Http404("No such slot.")
    return slot


def opportunity_manage_list(*, user, status: str = "") -> QuerySet[Opportunity]:
    """The opportunities a contact or the team manages, with their upcoming slots summarised."""
    now = timezone.now()
    upcoming = Q(slots__starts_at__gt=now)
    opportunities = (
        opportunity_list_for_user(user=user)
        .annotate(
            upcoming_slots=Count("slots", filter=upcoming),
            upcoming_places_left=Sum(F("slots__capacity") - F("slots__places_held"), filter=upcoming),
            next_slot_at=Min("slots__starts_at", filter=upcoming),
        )
        .order_by("partner__name", "title", "pk")
    )
    if status in OpportunityStatus.values:
        opportunities = opportunities.filter(status=status)
    return opportunities


def opportunity_slot_list(*, opportunity: Opportunity, upcoming: bool = True) -> QuerySet[Slot]:
    now = timezone.now()
    slots = opportunity.slots.all()
    return (
        slots.filter(ends_at__gt=now).order_by("starts_at")
        if upcoming
        else slots.filter(ends_at__lte=now).order_by("-starts_at")
    )


def upcoming_slot_list_for_partners(*, user, limit: int = 10) -> QuerySet[Slot]:
    """The next slots of the user's partners' opportunities, with places taken and left."""
    return (
        slot_list_for_user(user=user)
        .filter(starts_at__gt=timezone.now())
        .exclude(opportunity__status=OpportunityStatus.CLOSED)
        .order_by("starts_at", "pk")[:limit]
    )
