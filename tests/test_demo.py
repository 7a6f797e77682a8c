from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone

from connecting import demo, demo_placements
from connecting.accounts.models import Role, User
from partners.models import Partner, PartnerMembership, Sector
from placements.models import (
    PLACE_TAKING_STATUSES,
    Booking,
    BookingAction,
    BookingEvent,
    BookingStatus,
    ManagerApproval,
    Programme,
    Slot,
)

pytestmark = pytest.mark.django_db


def _counts():
    return {
        "programmes": Programme.objects.count(),
        "partners": Partner.objects.count(),
        "users": User.objects.count(),
        "memberships": PartnerMembership.objects.count(),
        "authenticators": Authenticator.objects.count(),
    }


def test_demo_data_builds_the_programme_world_and_is_idempotent():
    call_command("demo_data")
    first = _counts()
    call_command("demo_data")

    assert _counts() == first
    assert first["programmes"] == 2
    assert first["partners"] == 12
    assert first["memberships"] == 13
    roles = dict(
        User.objects.values_list("role").annotate(
            n=__import__("django.db.models", fromlist=["Count"]).Count("pk")
        )
    )
    assert roles == {Role.PARTICIPANT: 8, Role.PARTNER_CONTACT: 13, Role.PROGRAMME_TEAM: 1}
    assert User.objects.filter(role=Role.PARTICIPANT).values("directorate").distinct().count() >= 5
    assert {Sector.ACUTE_NHS_TRUST, Sector.HOSPICE, Sector.LOCAL_AUTHORITY, Sector.POLICE, Sector.CARE_HOME,
            Sector.CHARITY, Sector.PRIMARY_CARE} <= set(Partner.objects.values_list("sector", flat=True))  # fmt: skip


def test_demo_accounts_can_sign_in_with_the_printed_password(client):
    call_command("demo_data")

    assert client.login(email=demo.PARTICIPANTS[0].email, password=demo.DEMO_PASSWORD)


def test_demo_data_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError):
        call_command("demo_data")
    assert User.objects.count() == 0


def test_demo_data_gives_every_partner_opportunities_with_slots_over_three_months():
    from django.db.models import Count, Max, Min
    from django.utils import timezone

    from placements.models import Booking, Enrolment, Opportunity, Slot

    call_command("demo_data")
    first = (
        Opportunity.objects.count(),
        Slot.objects.count(),
        Booking.objects.count(),
        Enrolment.objects.count(),
    )
    call_command("demo_data")

    assert (
        Opportunity.objects.count(),
        Slot.objects.count(),
        Booking.objects.count(),
        Enrolment.objects.count(),
    ) == first
    per_partner = dict(Partner.objects.annotate(n=Count("opportunities")).values_list("name", "n"))
    assert set(per_partner) == {p.name for p in demo.PARTNERS}
    assert all(1 <= n <= 4 for n in per_partner.values()), per_partner
    now = timezone.now()
    span = Slot.objects.filter(starts_at__gt=now).aggregate(first=Min("starts_at"), last=Max("starts_at"))
    today = timezone.localdate()
    assert today < timezone.localdate(span["first"]) <= today + timezone.timedelta(days=28)
    assert 70 <= (timezone.localdate(span["last"]) - today).days <= 100
    # The only slots in the past are those of the visit history, each holding one visit.
    past = Slot.objects.filter(starts_at__lte=now).annotate(n=Count("bookings"))
    assert sorted(past.values_list("n", flat=True)) == [1] * len(demo_placements.VISIT_HISTORY)
    assert set(Booking.objects.filter(slot__starts_at__lte=now).values_list("status", flat=True)) == {
        BookingStatus.ATTENDED,
        BookingStatus.NO_SHOW,
    }
    assert Partner.objects.exclude(postcode="").count() == 12
    assert first[2] >= 1  # some requests wait on partner dashboards


# --- Bookings in every state --------------------------------------------------------------------


def _local_part(user) -> str:
    return user.email.split("@")[0]


def test_demo_bookings_reach_every_state():
    call_command("demo_data")

    assert set(Booking.objects.values_list("status", flat=True)) == set(BookingStatus.values)
    assert list(
        Booking.objects.filter(manager_approval=ManagerApproval.PENDING).values_list(
            "status", "programme__slug", "line_manager_email"
        )
    ) == [(BookingStatus.REQUESTED, "leadership-collaborative", "line.manager@connecting-demo.gov.uk")]
    assert Programme.objects.get(slug="leadership-collaborative").line_manager_approval_required is True
    late = Booking.objects.get(cancelled_late=True)
    assert late.status == BookingStatus.CANCELLED
    assert list(BookingEvent.objects.filter(late=True).values_list("booking", "to_status")) == [
        (late.pk, BookingStatus.CANCELLED)
    ]
    # Booked at the earliest date its notice allowed; then the partner lengthened its notice.
    assert (late.slot.opportunity.title, late.slot.opportunity.minimum_notice_working_days) == (
        demo_placements.LATE_CANCELLATION_TITLE,
        10,
    )


def test_demo_bookings_each_end_where_their_history_ends():
    call_command("demo_data")

    last_step = {}
    for event in BookingEvent.objects.order_by("created_at", "pk"):
        last_step[event.booking_id] = event.to_status
    assert last_step == dict(Booking.objects.values_list("pk", "status"))


def test_demo_slots_hold_exactly_their_place_taking_bookings():
    call_command("demo_data")

    counted = Slot.objects.annotate(
        n=Count("bookings", filter=Q(bookings__status__in=PLACE_TAKING_STATUSES))
    ).values_list("pk", "n")
    assert dict(Slot.objects.values_list("pk", "places_held")) == dict(counted)
    assert sum(n for _pk, n in counted) > 0


def test_demo_visit_history_gives_three_participants_past_visits_and_days():
    call_command("demo_data")

    now = timezone.now()
    past = list(
        Booking.objects.filter(slot__starts_at__lte=now).select_related("participant", "slot__opportunity")
    )
    assert sorted((_local_part(b.participant), b.slot.opportunity.title, b.status) for b in past) == sorted(
        (who, title, status) for who, title, _weeks, status in demo_placements.VISIT_HISTORY
    )
    days_completed = {}
    for booking in past:
        if booking.status == BookingStatus.ATTENDED:
            who = _local_part(booking.participant)
            days_completed[who] = days_completed.get(who, 0) + booking.days
    assert days_completed == {"aisha.rahman": 1.5, "tom.whitaker": 1.0, "daniel.price": 1.0}
    for booking in past:
        assert booking.slot.ends_at < now
        host = PartnerMembership.objects.get(partner=booking.slot.opportunity.partner, is_admin=True).user
        assert list(booking.events.values_list("action", "from_status", "to_status", "actor", "late")) == [
            (BookingAction.REQUESTED, "", BookingStatus.REQUESTED, booking.participant.pk, False),
            (BookingAction.CONFIRMED, BookingStatus.REQUESTED, BookingStatus.CONFIRMED, host.pk, False),
            (BookingAction(booking.status), BookingStatus.CONFIRMED, booking.status, host.pk, False),
        ]
        # Marked as sent at the time, so no e-mail goes out about history now.
        times = list(booking.events.values_list("created_at", "notified_at"))
        assert all(created == notified < now for created, notified in times)
        assert booking.created_at == times[0][0]


def test_demo_visits_never_overlap_for_one_participant():
    call_command("demo_data")

    visits = {}
    for booking in Booking.objects.filter(
        status__in=(BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
    ).select_related("slot"):
        visits.setdefault(booking.participant_id, []).append((booking.slot.starts_at, booking.slot.ends_at))
    for spans in visits.values():
        spans.sort()
        assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False))
    assert len(visits) == 5  # aisha, tom and daniel (history), fiona and sanjay (confirmed)


def test_demo_live_steps_are_notified_on_commit_and_history_is_not(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("demo_data")

    unsent = BookingEvent.objects.filter(notified_at__isnull=True)
    assert len(callbacks) == unsent.count() > 0
    assert not unsent.filter(booking__slot__starts_at__lte=timezone.now()).exists()


def test_demo_data_second_run_adds_no_booking():
    first_out, second_out = StringIO(), StringIO()
    call_command("demo_data", stdout=first_out)
    first = (Booking.objects.count(), BookingEvent.objects.count(), Slot.objects.count())
    call_command("demo_data", stdout=second_out)

    assert (Booking.objects.count(), BookingEvent.objects.count(), Slot.objects.count()) == first
    assert first[0] == 18 + len(demo_placements.VISIT_HISTORY)
    assert f"{first[0]} bookings created now" in first_out.getvalue()
    assert "0 opportunities, 0 slots, 0 bookings created now" in second_out.getvalue()


def test_demo_story_refused_halfway_keeps_nothing_and_tries_the_next_slot():
    from placements.models import Opportunity
    from placements.services.bookings import booking_cancel, booking_confirm

    call_command("demo_data")
    grace = User.objects.get(email=demo.PARTICIPANTS[2].email)
    opportunity = Opportunity.objects.get(title="Commissioning community services")
    first, second = opportunity.slots.filter(starts_at__gt=timezone.now()).order_by("starts_at")[:2]
    before = (Booking.objects.count(), BookingEvent.objects.count())

    def story(slot):
        booking = demo_placements._request(slot, grace)
        booking_confirm(booking=booking, by=demo_placements._host(slot))
        if slot == first:
            booking_cancel(booking=booking, by=grace, reason="")  # refused: a reason is required
        return [(booking, BookingStatus.CONFIRMED)]

    created = {"bookings": 0}
    demo_placements._tell(created, opportunity.title, story)

    assert created == {"bookings": 1}
    assert list(
        Booking.objects.filter(participant=grace, slot__opportunity=opportunity).values_list("slot", "status")
    ) == [(second.pk, BookingStatus.CONFIRMED)]
    assert Slot.objects.get(pk=first.pk).places_held == first.places_held
    assert (Booking.objects.count(), BookingEvent.objects.count()) == (before[0] + 1, before[1] + 2)
