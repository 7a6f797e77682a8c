import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements.models import Opportunity, OpportunityStatus, Slot
from tests.factories import (
    BookingFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    SlotFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return PartnerMembershipFactory(partner=PartnerFactory(name="Northbridge Trust")).user


def _partner_of(user):
    return user.partner_memberships.get().partner


def _opportunity_form(programme, **overrides) -> dict:
    data = {
        "title": "A day with the discharge team",
        "summary": "See how patients get home from hospital.",
        "what_you_will_do": "Join the morning board round.",
        "duration": "day",
        "site_address": "1 Hospital Road\nNorthbridge",
        "site_postcode": "m1 1ae",
        "vetting_level": "none",
        "minimum_notice_working_days": "10",
        "host_name": "Liam Byrne",
        "host_email": "liam.byrne@northbridge.example.org",
        "programmes": [str(programme.pk)],
    }
    data.update(overrides)
    return data


def _date_fields(prefix: str, day: datetime.date) -> dict:
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def test_partner_contact_creates_a_draft_opportunity_for_their_partner(client, contact):
    programme = ProgrammeFactory()
    theme = ThemeFactory(name="Hospital flow", slug="hospital-flow")
    client.force_login(contact)

    response = client.post(
        reverse("opportunities:create"), _opportunity_form(programme, policy_areas=[str(theme.pk)])
    )

    opportunity = Opportunity.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("opportunities:detail", args=[opportunity.pk])
    assert (opportunity.partner, opportunity.status, opportunity.site_postcode, opportunity.created_by) == (
        _partner_of(contact),
        OpportunityStatus.DRAFT,
        "M1 1AE",
        contact,
    )
    assert list(opportunity.programmes.all()) == [programme]
    assert list(opportunity.policy_areas.all()) == [theme]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a title"),
        ({"programmes": []}, "programmes", "Select at least one programme"),
        ({"site_postcode": "NOT A CODE"}, "site_postcode", "Enter a real postcode, like SW1A 2AA"),
        (
            {"site_address": "", "site_postcode": ""},
            "site_address",
            "Enter the site address, or say the visit is remote",
        ),
        (
            {"minimum_notice_working_days": "61"},
            "minimum_notice_working_days",
            "Minimum notice must be 60 working days or fewer",
        ),
        (
            {"host_email": "not-an-email"},
            "host_email",
            "Enter an e-mail address in the correct format, like name@example.org",
        ),
        ({"what_you_will_do": "w" * 5001}, "what_you_will_do", "Enter 5000 characters or fewer"),
        ({"vetting_level": ""}, "vetting_level", "Select the vetting a visitor needs"),
        ({"title": "x\x00y"}, "title", "Null characters are not allowed."),
        (
            {"summary": "y" * 10_000},
            "summary",
            "Ensure this value has at most 400 characters (it has 10000).",
        ),
    ],
)
def test_opportunity_form_shows_a_field_error_and_saves_nothing(client, contact, overrides, field, message):
    client.force_login(contact)

    response = client.post(
        reverse("opportunities:create"), _opportunity_form(ProgrammeFactory(), **overrides)
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert "govuk-error-summary" in response.content.decode()
    assert Opportunity.objects.count() == 0


def test_partner_contact_publishes_pauses_and_closes_their_opportunity(client, contact):
    opportunity = OpportunityFactory(
        partner=_partner_of(contact), status=OpportunityStatus.DRAFT, published_at=None
    )
    client.force_login(contact)
    url = reverse("opportunities:status", args=[opportunity.pk])

    statuses = []
    for target in ["published", "paused", "closed"]:
        client.post(url, {"to": target})
        opportunity.refresh_from_db()
        statuses.append(opportunity.status)

    assert statuses == ["published", "paused", "closed"]
    assert opportunity.published_at is not None


def test_an_illegal_status_move_is_refused_with_a_message(client, contact):
    opportunity = OpportunityFactory(partner=_partner_of(contact), status=OpportunityStatus.DRAFT)
    client.force_login(contact)

    response = client.post(
        reverse("opportunities:status", args=[opportunity.pk]), {"to": "paused"}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == ["A draft opportunity cannot be made paused."]
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.DRAFT


def test_slot_form_adds_a_slot_in_london_time(client, contact):
    opportunity = OpportunityFactory(partner=_partner_of(contact))
    day = timezone.localdate() + datetime.timedelta(days=20)
    client.force_login(contact)

    response = client.post(
        reverse("opportunities:slot_add", args=[opportunity.pk]),
        {**_date_fields("date", day), "start_time": "09:30", "end_time": "16.00", "capacity": "3"},
    )

    slot = Slot.objects.get()
    assert response.status_code == 302
    assert (timezone.localtime(slot.starts_at).replace(tzinfo=None), slot.capacity) == (
        datetime.datetime.combine(day, datetime.time(9, 30)),
        3,
    )


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"date_0": "30", "date_1": "2", "date_2": "2027"}, {"date": ["Enter a real date, like 27 3 2027"]}),
        ({"date_0": "", "date_1": "", "date_2": ""}, {"date": ["Enter the date"]}),
        ({"start_time": "25:00"}, {"start_time": ["Enter a time like 09:30 or 14:00"]}),
        ({"end_time": "08:00"}, {"end_time": ["The end time must be after the start time"]}),
        ({"capacity": "0"}, {"capacity": ["A slot needs at least 1 place"]}),
        ({"capacity": "lots"}, {"capacity": ["Enter the number of places as a whole number, like 2"]}),
    ],
)
def test_slot_form_bad_input_gives_a_field_error_and_saves_nothing(client, contact, fields, errors):
    opportunity = OpportunityFactory(partner=_partner_of(contact))
    day = timezone.localdate() + datetime.timedelta(days=20)
    client.force_login(contact)
    data = {
        **_date_fields("date", day),
        "start_time": "09:00",
        "end_time": "12:00",
        "capacity": "2",
        **fields,
    }

    response = client.post(reverse("opportunities:slot_add", args=[opportunity.pk]), data)

    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert Slot.objects.count() == 0


def test_slot_form_in_the_past_is_an_error_on_the_date(client, contact):
    opportunity = OpportunityFactory(partner=_partner_of(contact))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    client.force_login(contact)

    response = client.post(
        reverse("opportunities:slot_add", args=[opportunity.pk]),
        {**_date_fields("date", yesterday), "start_time": "09:00", "end_time": "12:00", "capacity": "2"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"date": ["The date must be in the future"]}


def test_series_form_reports_what_it_added_and_skipped(client, contact):
    opportunity = OpportunityFactory(partner=_partner_of(contact))
    first = timezone.localdate() + datetime.timedelta(days=14)
    client.force_login(contact)

    response = client.post(
        reverse("opportunities:slot_series_add", args=[opportunity.pk]),
        {
            **_date_fields("first_day", first),
            "weeks": "8",
            "start_time": "09:00",
            "end_time": "12:00",
            "capacity": "2",
            "skip_bank_holidays": "on",
        },
        follow=True,
    )

    created = opportunity.slots.count()
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith(f"{created} slots have been added.")
    assert 6 <= created <= 8  # at most two bank holidays fall on one weekday in any 8 weeks


def test_slot_delete_asks_first_then_removes(client, contact):
    slot = SlotFactory(opportunity=OpportunityFactory(partner=_partner_of(contact)))
    client.force_login(contact)
    url = reverse("opportunities:slot_delete", args=[slot.pk])

    confirm = client.get(url)
    client.post(url)

    assert confirm.status_code == 200
    assert Slot.objects.filter(pk=slot.pk).exists() is False


def test_manage_page_shows_places_left_for_each_slot(client, contact):
    slot = SlotFactory(opportunity=OpportunityFactory(partner=_partner_of(contact)), capacity=3)
    BookingFactory(slot=slot)
    Slot.objects.filter(pk=slot.pk).update(places_held=1)
    client.force_login(contact)

    response = client.get(reverse("opportunities:detail", args=[slot.opportunity_id]))

    assert [(s.capacity, s.places_held, s.places_left) for s in response.context["upcoming_slots"]] == [
        (3, 1, 2)
    ]


# --- Another organisation's objects answer 404; the wrong role answers 403 ---------------------


def _other_organisations_urls():
    slot = SlotFactory()
    opportunity = slot.opportunity
    return [
        ("get", reverse("opportunities:detail", args=[opportunity.pk])),
        ("get", reverse("opportunities:edit", args=[opportunity.pk])),
        ("post", reverse("opportunities:status", args=[opportunity.pk])),
        ("get", reverse("opportunities:slot_add", args=[opportunity.pk])),
        ("post", reverse("opportunities:slot_add", args=[opportunity.pk])),
        ("get", reverse("opportunities:slot_series_add", args=[opportunity.pk])),
        ("get", reverse("opportunities:slot_edit", args=[slot.pk])),
        ("post", reverse("opportunities:slot_edit", args=[slot.pk])),
        ("get", reverse("opportunities:slot_delete", args=[slot.pk])),
        ("post", reverse("opportunities:slot_delete", args=[slot.pk])),
    ]


def test_a_contact_gets_404_on_every_url_of_another_organisations_opportunity(client, contact):
    urls = _other_organisations_urls()
    client.force_login(contact)

    statuses = [getattr(client, method)(url, {"to": "closed"}).status_code for method, url in urls]

    assert statuses == [404] * len(urls)
    assert Slot.objects.count() == 1
    assert Opportunity.objects.get().status == OpportunityStatus.PUBLISHED


def test_participants_get_403_on_the_opportunity_management_pages(client):
    urls = _other_organisations_urls() + [
        ("get", reverse("opportunities:list")),
        ("get", reverse("opportunities:create")),
    ]
    client.force_login(ParticipantFactory())

    statuses = [getattr(client, method)(url).status_code for method, url in urls]

    assert statuses == [403] * len(urls)


def test_programme_team_manages_any_partners_opportunity(client):
    opportunity = OpportunityFactory(status=OpportunityStatus.PUBLISHED)
    client.force_login(ProgrammeTeamFactory())

    response = client.post(reverse("opportunities:status", args=[opportunity.pk]), {"to": "paused"})

    opportunity.refresh_from_db()
    assert (response.status_code, opportunity.status) == (302, OpportunityStatus.PAUSED)


def test_opportunity_list_shows_only_the_contacts_own_partners_opportunities(client, contact):
    own = OpportunityFactory(partner=_partner_of(contact), status=OpportunityStatus.DRAFT)
    OpportunityFactory()
    client.force_login(contact)

    response = client.get(reverse("opportunities:list"))

    assert list(response.context["page"]) == [own]


def test_opportunity_list_query_count_does_not_grow_with_rows(client, contact):
    partner = _partner_of(contact)
    client.force_login(contact)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("opportunities:list")).status_code == 200
        return len(captured)

    SlotFactory(opportunity=OpportunityFactory(partner=partner))
    one = queries_for_list()
    for _ in range(2):
        SlotFactory(opportunity=OpportunityFactory(partner=partner))
    three = queries_for_list()

    assert one == three


def test_a_date_error_in_the_summary_links_to_the_day_box(client, contact):
    opportunity = OpportunityFactory(partner=_partner_of(contact))
    client.force_login(contact)

    response = client.post(
        reverse("opportunities:slot_add", args=[opportunity.pk]),
        {
            "date_0": "31",
            "date_1": "2",
            "date_2": "2027",
            "start_time": "09:00",
            "end_time": "12:00",
            "capacity": "1",
        },
    )

    page = response.content.decode()
    assert '<a href="#id_date_0">Enter a real date, like 27 3 2027</a>' in page
    assert 'id="id_date_0"' in page


def test_error_summary_follows_the_form_and_links_checkbox_groups_to_their_first_box(client, contact):
    ProgrammeFactory()
    client.force_login(contact)

    response = client.post(reverse("opportunities:create"), {})

    assert response.status_code == 400  # an empty POST binds the form: errors, not a blank page
    page = response.content.decode()
    summary = page[
        page.index("govuk-error-summary__list") : page.index("</ul>", page.index("govuk-error-summary__list"))
    ]
    links = [line.split('href="#')[1].split('"')[0] for line in summary.splitlines() if 'href="#' in line]
    assert links[:5] == ["id_title", "id_summary", "id_what_you_will_do", "id_duration_1", "id_programmes_1"]
    assert 'id="id_programmes_1"' in page and 'id="id_duration_1"' in page


def test_a_slot_can_last_several_days(client, contact):
    opportunity = OpportunityFactory(partner=_partner_of(contact))
    first = timezone.localdate() + datetime.timedelta(days=20)
    last = first + datetime.timedelta(days=2)
    client.force_login(contact)

    response = client.post(
        reverse("opportunities:slot_add", args=[opportunity.pk]),
        {
            **_date_fields("date", first),
            **_date_fields("end_date", last),
            "start_time": "09:00",
            "end_time": "08:00",
            "capacity": "1",
        },
    )

    slot = Slot.objects.get()
    assert response.status_code == 302
    assert (timezone.localtime(slot.starts_at).date(), timezone.localtime(slot.ends_at)) == (
        first,
        timezone.make_aware(datetime.datetime.combine(last, datetime.time(8))),
    )


def test_a_last_day_before_the_date_is_an_error_on_the_last_day(client, contact):
    opportunity = OpportunityFactory(partner=_partner_of(contact))
    first = timezone.localdate() + datetime.timedelta(days=20)
    client.force_login(contact)

    response = client.post(
        reverse("opportunities:slot_add", args=[opportunity.pk]),
        {
            **_date_fields("date", first),
            **_date_fields("end_date", first - datetime.timedelta(days=1)),
            "start_time": "09:00",
            "end_time": "17:00",
            "capacity": "1",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "end_date": ["The last day must be the same as or after the date"]
    }


def test_a_slot_earlier_today_is_an_error_on_the_start_time(client, contact):
    opportunity = OpportunityFactory(partner=_partner_of(contact))
    client.force_login(contact)
    visit_day = timezone.localdate()
    midday = timezone.make_aware(datetime.datetime.combine(visit_day, datetime.time(12)))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: midday)  # whatever the real clock says, it is noon today
        response = client.post(
            reverse("opportunities:slot_add", args=[opportunity.pk]),
            {**_date_fields("date", visit_day), "start_time": "09:00", "end_time": "09:30", "capacity": "1"},
        )

    assert response.context["form"].errors == {"start_time": ["The start time must be in the future"]}


def test_a_booked_slot_can_be_moved_and_its_page_says_who_will_be_told(client, contact):
    slot = SlotFactory(opportunity=OpportunityFactory(partner=_partner_of(contact)), capacity=3)
    booking = BookingFactory(slot=slot, status="confirmed")
    Slot.objects.filter(pk=slot.pk).update(places_held=1)
    client.force_login(contact)
    url = reverse("opportunities:slot_edit", args=[slot.pk])
    new_day = timezone.localdate() + datetime.timedelta(days=90)

    page = client.get(url).content.decode()
    response = client.post(
        url,
        {**_date_fields("date", new_day), "start_time": "10:00", "end_time": "11:00", "capacity": "5"},
    )

    slot.refresh_from_db()
    assert response.status_code == 302
    assert (timezone.localtime(slot.starts_at).date(), slot.capacity) == (new_day, 5)
    assert "everyone booked is told by e-mail" in page
    assert list(booking.events.values_list("action", "actor")) == [("rescheduled", contact.pk)]
