"""Capacity protection settings: weekly and monthly visitor caps, and blackout periods."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from partners import selectors, services
from partners.models import Partner, PartnerBlackout
from tests.factories import ParticipantFactory, PartnerFactory, PartnerMembershipFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def blackout_data(
    first: datetime.date | None = None, last: datetime.date | None = None, reason="Winter pressures"
):
    first, last = first or days(10), last or days(20)
    return {
        "starts_on_0": str(first.day),
        "starts_on_1": str(first.month),
        "starts_on_2": str(first.year),
        "ends_on_0": str(last.day),
        "ends_on_1": str(last.month),
        "ends_on_2": str(last.year),
        "reason": reason,
    }


@pytest.fixture
def partner():
    return PartnerFactory(name="Northbridge NHS Trust")


@pytest.fixture
def admin(client, partner):
    user = PartnerMembershipFactory(partner=partner, is_admin=True).user
    client.force_login(user)
    return user


def add_blackout(partner, first, last, reason="Closed"):
    return PartnerBlackout.objects.create(partner=partner, starts_on=first, ends_on=last, reason=reason)


# --- Services: caps -------------------------------------------------------------------------------


def test_caps_are_saved_and_cleared(partner):
    services.partner_update(
        partner=partner, data={"max_visitors_per_week": 5, "max_visitors_per_month": 12}, by=None
    )
    saved = Partner.objects.get(pk=partner.pk)
    services.partner_update(partner=partner, data={"max_visitors_per_week": None}, by=None)
    cleared = Partner.objects.get(pk=partner.pk)

    assert (saved.max_visitors_per_week, saved.max_visitors_per_month) == (5, 12)
    assert (cleared.max_visitors_per_week, cleared.max_visitors_per_month) == (None, 12)


@pytest.mark.parametrize("value", [0, -1, 501, 2.5, "10", True])
def test_caps_outside_1_to_500_or_not_whole_numbers_are_refused(partner, value):
    with pytest.raises(ValidationError) as error:
        services.partner_update(partner=partner, data={"max_visitors_per_week": value}, by=None)

    assert error.value.message_dict == {
        "max_visitors_per_week": ["The most visitors in one week must be a whole number from 1 to 500"]
    }
    assert Partner.objects.get(pk=partner.pk).max_visitors_per_week is None


def test_a_monthly_cap_below_the_weekly_cap_is_refused(partner):
    services.partner_update(partner=partner, data={"max_visitors_per_week": 6}, by=None)

    with pytest.raises(ValidationError) as error:
        services.partner_update(partner=partner, data={"max_visitors_per_month": 5}, by=None)

    assert error.value.message_dict == {
        "max_visitors_per_month": [
            "The most visitors in one month cannot be fewer than the most in one week (6). "
            "Raise it, or leave it blank for no monthly limit."
        ]
    }
    assert Partner.objects.get(pk=partner.pk).max_visitors_per_month is None


# --- Services: blackouts --------------------------------------------------------------------------


def test_blackout_add_saves_the_period_and_who_added_it(partner):
    by = ProgrammeTeamFactory()

    blackout = services.partner_blackout_add(
        partner=partner, starts_on=days(3), ends_on=days(40), reason="  Winter   pressures ", by=by
    )

    assert list(
        PartnerBlackout.objects.values_list("pk", "partner", "starts_on", "ends_on", "reason", "created_by")
    ) == [(blackout.pk, partner.pk, days(3), days(40), "Winter pressures", by.pk)]


def test_a_one_day_blackout_and_one_already_under_way_are_allowed(partner):
    services.partner_blackout_add(
        partner=partner, starts_on=days(7), ends_on=days(7), reason="Inspection", by=None
    )
    services.partner_blackout_add(
        partner=partner, starts_on=days(-3), ends_on=days(0), reason="Outbreak", by=None
    )

    assert list(PartnerBlackout.objects.order_by("starts_on").values_list("reason", flat=True)) == [
        "Outbreak",
        "Inspection",
    ]


def test_overlapping_blackouts_are_kept_side_by_side(partner):
    services.partner_blackout_add(
        partner=partner, starts_on=days(10), ends_on=days(30), reason="Winter", by=None
    )
    services.partner_blackout_add(
        partner=partner, starts_on=days(20), ends_on=days(40), reason="Move", by=None
    )

    assert list(
        PartnerBlackout.objects.order_by("starts_on").values_list("starts_on", "ends_on", "reason")
    ) == [
        (days(10), days(30), "Winter"),
        (days(20), days(40), "Move"),
    ]


@pytest.mark.parametrize(
    ("first", "last", "reason", "errors"),
    [
        (10, 9, "Winter", {"ends_on": ["The last day must be the same as or after the first day"]}),
        (
            -10,
            -1,
            "Winter",
            {"ends_on": ["The last day must be today or later: a blackout cannot be entirely in the past"]},
        ),
        (1, 2, "   ", {"reason": ["Enter the reason, for example winter pressures"]}),
        (1, 2, "x" * 201, {"reason": ["Enter a reason of 200 characters or fewer"]}),
        (1, 2, "a\x00b", {"reason": ["Remove the null character from this answer."]}),
    ],
)
def test_blackout_add_refuses_bad_periods_and_reasons(partner, first, last, reason, errors):
    with pytest.raises(ValidationError) as error:
        services.partner_blackout_add(
            partner=partner, starts_on=days(first), ends_on=days(last), reason=reason, by=None
        )

    assert error.value.message_dict == errors
    assert PartnerBlackout.objects.count() == 0


def test_blackout_remove_deletes_once_and_then_answers_false(partner):
    blackout = add_blackout(partner, days(1), days(2))

    assert services.partner_blackout_remove(partner=partner, blackout_id=blackout.pk, by=None) is True
    assert services.partner_blackout_remove(partner=partner, blackout_id=blackout.pk, by=None) is False
    assert PartnerBlackout.objects.count() == 0


def test_blackout_remove_never_touches_another_partners_blackout(partner):
    theirs = add_blackout(PartnerFactory(), days(1), days(2))

    assert services.partner_blackout_remove(partner=partner, blackout_id=theirs.pk, by=None) is False
    assert list(PartnerBlackout.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_blackout_list_puts_current_and_upcoming_first_then_past_latest_first(partner):
    add_blackout(partner, days(-60), days(-50), "Long ago")
    add_blackout(partner, days(30), days(31), "Later")
    add_blackout(partner, days(-5), days(-1), "Last week")
    add_blackout(partner, days(-2), days(3), "Now")
    add_blackout(partner, days(8), days(9), "Soon")
    add_blackout(PartnerFactory(), days(1), days(2), "Someone else's")

    listed = selectors.partner_blackout_list(partner=partner)

    assert [(b.reason, b.is_past) for b in listed] == [
        ("Now", False),
        ("Soon", False),
        ("Later", False),
        ("Last week", True),
        ("Long ago", True),
    ]


# --- The capacity page ----------------------------------------------------------------------------


def test_partner_admin_sets_the_caps(client, admin, partner):
    page = client.get(reverse("partners:capacity", args=[partner.pk]))
    response = client.post(
        reverse("partners:capacity", args=[partner.pk]),
        {"max_visitors_per_week": " 4 ", "max_visitors_per_month": "10"},
    )

    assert page.status_code == 200
    assert response["Location"] == reverse("partners:capacity", args=[partner.pk])
    partner.refresh_from_db()
    assert (partner.max_visitors_per_week, partner.max_visitors_per_month) == (4, 10)


def test_blank_caps_mean_no_limit(client, admin, partner):
    Partner.objects.filter(pk=partner.pk).update(max_visitors_per_week=4, max_visitors_per_month=10)

    client.post(
        reverse("partners:capacity", args=[partner.pk]),
        {"max_visitors_per_week": "", "max_visitors_per_month": ""},
    )

    partner.refresh_from_db()
    assert (partner.max_visitors_per_week, partner.max_visitors_per_month) == (None, None)
    html = client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    assert html.count("No limit") == 2


def test_the_capacity_page_shows_the_current_caps(client, admin, partner):
    Partner.objects.filter(pk=partner.pk).update(max_visitors_per_week=4)

    form = client.get(reverse("partners:capacity", args=[partner.pk])).context["form"]

    assert (form["max_visitors_per_week"].value(), form["max_visitors_per_month"].value()) == (4, None)


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("0", "The most visitors in one week must be 1 or more. Leave it blank for no limit"),
        ("-3", "The most visitors in one week must be 1 or more. Leave it blank for no limit"),
        ("501", "The most visitors in one week must be 500 or fewer"),
        ("2.5", "Enter the most visitors in one week as a whole number, like 10"),
        ("ten", "Enter the most visitors in one week as a whole number, like 10"),
        ("1e3", "Enter the most visitors in one week as a whole number, like 10"),
        ("\x00", "Enter the most visitors in one week as a whole number, like 10"),
        ("9" * 10_000, "Enter the most visitors in one week as a whole number, like 10"),
    ],
)
def test_bad_caps_show_a_field_error_and_save_nothing(client, admin, partner, week, message):
    response = client.post(
        reverse("partners:capacity", args=[partner.pk]),
        {"max_visitors_per_week": week, "max_visitors_per_month": "20"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"max_visitors_per_week": [message]}
    assert "There is a problem" in response.content.decode()
    partner.refresh_from_db()
    assert (partner.max_visitors_per_week, partner.max_visitors_per_month) == (None, None)


def test_programme_team_manages_any_partners_capacity(client, partner):
    client.force_login(ProgrammeTeamFactory())

    response = client.post(reverse("partners:capacity", args=[partner.pk]), {"max_visitors_per_week": "2"})
    added = client.post(reverse("partners:blackout_add", args=[partner.pk]), blackout_data())

    assert (response.status_code, added.status_code) == (302, 302)
    assert Partner.objects.get(pk=partner.pk).max_visitors_per_week == 2
    assert PartnerBlackout.objects.filter(partner=partner).count() == 1


def test_contact_who_is_not_an_admin_gets_403_on_the_capacity_pages(client, partner):
    blackout = add_blackout(partner, days(1), days(2))
    client.force_login(PartnerMembershipFactory(partner=partner, is_admin=False).user)

    responses = [
        client.get(reverse("partners:capacity", args=[partner.pk])),
        client.post(reverse("partners:capacity", args=[partner.pk]), {"max_visitors_per_week": "1"}),
        client.post(reverse("partners:blackout_add", args=[partner.pk]), blackout_data()),
        client.post(reverse("partners:blackout_remove", args=[partner.pk, blackout.pk])),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert Partner.objects.get(pk=partner.pk).max_visitors_per_week is None
    assert list(PartnerBlackout.objects.values_list("pk", flat=True)) == [blackout.pk]


def test_participant_gets_403_on_the_capacity_page(client, partner):
    client.force_login(ParticipantFactory())

    assert client.get(reverse("partners:capacity", args=[partner.pk])).status_code == 403


# --- Adding and removing blackouts ----------------------------------------------------------------


def test_partner_admin_adds_a_blackout_and_it_is_listed_on_the_partner_page(client, admin, partner):
    response = client.post(
        reverse("partners:blackout_add", args=[partner.pk]), blackout_data(days(10), days(20))
    )

    assert response["Location"] == reverse("partners:capacity", args=[partner.pk])
    assert list(PartnerBlackout.objects.values_list("starts_on", "ends_on", "reason", "created_by")) == [
        (days(10), days(20), "Winter pressures", admin.pk)
    ]
    detail = client.get(reverse("partners:detail", args=[partner.pk]))
    assert [b.reason for b in detail.context["blackouts"]] == ["Winter pressures"]
    assert "Winter pressures" in detail.content.decode()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            blackout_data(days(20), days(10)),
            {"ends_on": ["The last day must be the same as or after the first day"]},
        ),
        (
            blackout_data(days(-20), days(-10)),
            {"ends_on": ["The last day must be today or later: a blackout cannot be entirely in the past"]},
        ),
        (
            {**blackout_data(), "starts_on_0": "31", "starts_on_1": "2"},
            {"starts_on": ["Enter a real date, like 27 3 2027"]},
        ),
        (
            {**blackout_data(), "ends_on_0": "", "ends_on_1": "", "ends_on_2": ""},
            {"ends_on": ["Enter the last day"]},
        ),
        (
            {**blackout_data(), "starts_on_2": "99999"},
            {"starts_on": ["Enter the year as a number"]},
        ),
        ({**blackout_data(), "reason": ""}, {"reason": ["Enter the reason, for example winter pressures"]}),
        ({**blackout_data(), "reason": "x" * 10_000}, {"reason": ["Enter 200 characters or fewer"]}),
        ({**blackout_data(), "reason": "a\x00b"}, {"reason": ["Null characters are not allowed."]}),
    ],
)
def test_bad_blackouts_show_a_field_error_and_save_nothing(client, admin, partner, data, errors):
    response = client.post(reverse("partners:blackout_add", args=[partner.pk]), data)

    assert response.status_code == 400
    assert response.context["blackout_form"].errors == errors
    html = response.content.decode()
    assert "There is a problem" in html
    assert "<title>Error: " in html
    assert PartnerBlackout.objects.count() == 0


@pytest.mark.parametrize("value", ["\x00", "x" * 10_000, "<script>alert(1)</script>", "-1", "1.5"])
def test_hostile_values_in_every_blackout_field_give_form_errors(client, admin, partner, value):
    data = dict.fromkeys(blackout_data(), value)

    response = client.post(reverse("partners:blackout_add", args=[partner.pk]), data)

    assert response.status_code == 400
    assert {"starts_on", "ends_on"} <= set(response.context["blackout_form"].errors)
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert PartnerBlackout.objects.count() == 0


def test_partner_admin_removes_a_blackout_and_a_second_click_is_harmless(client, admin, partner):
    blackout = add_blackout(partner, days(1), days(2))
    keep = add_blackout(partner, days(5), days(6))
    url = reverse("partners:blackout_remove", args=[partner.pk, blackout.pk])

    first = client.post(url)
    second = client.post(url, follow=True)

    assert first["Location"] == reverse("partners:capacity", args=[partner.pk])
    assert [str(m) for m in second.context["messages"]] == [
        "The blackout has been removed.",
        "That blackout had already been removed.",
    ]
    assert list(PartnerBlackout.objects.values_list("pk", flat=True)) == [keep.pk]


def test_removing_a_blackout_needs_a_post(client, admin, partner):
    blackout = add_blackout(partner, days(1), days(2))

    response = client.get(reverse("partners:blackout_remove", args=[partner.pk, blackout.pk]))

    assert response.status_code == 405
    assert PartnerBlackout.objects.count() == 1


def test_another_partners_blackout_cannot_be_removed_through_your_own_partner(client, admin, partner):
    theirs = add_blackout(PartnerFactory(), days(1), days(2))

    client.post(reverse("partners:blackout_remove", args=[partner.pk, theirs.pk]))

    assert list(PartnerBlackout.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_contact_of_another_partner_gets_404_on_blackouts(client, partner):
    blackout = add_blackout(partner, days(1), days(2))
    client.force_login(PartnerMembershipFactory(is_admin=True).user)

    add = client.post(reverse("partners:blackout_add", args=[partner.pk]), blackout_data())
    remove = client.post(reverse("partners:blackout_remove", args=[partner.pk, blackout.pk]))

    assert (add.status_code, remove.status_code) == (404, 404)
    assert list(PartnerBlackout.objects.values_list("pk", flat=True)) == [blackout.pk]


def test_the_capacity_page_lists_blackouts_with_a_remove_button_each(client, admin, partner):
    later = add_blackout(partner, days(30), days(31), "Later")
    sooner = add_blackout(partner, days(3), days(4), "Sooner")

    html = client.get(reverse("partners:capacity", args=[partner.pk])).content.decode()

    actions = [reverse("partners:blackout_remove", args=[partner.pk, b.pk]) for b in (sooner, later)]
    assert [html.index(f'action="{action}"') for action in actions] == sorted(
        html.index(f'action="{action}"') for action in actions
    )
    assert html.index("Sooner") < html.index("Later")
