import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from placements.models import Cohort, Programme
from placements.selectors.programmes import programme_get_for_user, programme_list_for_user
from placements.services.programmes import cohort_create, cohort_update, programme_create, programme_update
from tests.factories import (
    CohortFactory,
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerContactFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def _programme_fields(**overrides) -> dict:
    fields = {
        "name": "Connecting",
        "slug": "",
        "owner_organisation": "Department of Health and Social Care",
        "description": "Days out with the NHS.",
        "target_days_per_participant": 3,
        "starts_on": D(2026, 4, 1),
        "ends_on": D(2027, 3, 31),
        "bookings_confirmed_automatically": True,
        "line_manager_approval_required": True,
        "max_places_per_slot": 6,
    }
    return fields | overrides


def _date_post(prefix: str, value: datetime.date | None) -> dict:
    if value is None:
        return {f"{prefix}_0": "", f"{prefix}_1": "", f"{prefix}_2": ""}
    return {f"{prefix}_0": str(value.day), f"{prefix}_1": str(value.month), f"{prefix}_2": str(value.year)}


def _programme_post(**overrides) -> dict:
    fields = _programme_fields(**overrides)
    data = {
        name: str(value)
        for name, value in fields.items()
        if name not in ("starts_on", "ends_on") and value is not None
    }
    return data | _date_post("starts_on", fields["starts_on"]) | _date_post("ends_on", fields["ends_on"])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def team_client(client):
    client.force_login(ProgrammeTeamFactory())
    return client


# --- Services: programmes -----------------------------------------------------------------------


def test_programme_create_saves_every_field_and_makes_the_short_name_from_the_name():
    programme = programme_create(**_programme_fields(name="  Connecting   2026 ", slug=""))

    programme.refresh_from_db()
    assert (
        programme.name,
        programme.slug,
        programme.owner_organisation,
        programme.description,
        programme.target_days_per_participant,
        programme.starts_on,
        programme.ends_on,
        programme.bookings_confirmed_automatically,
        programme.line_manager_approval_required,
        programme.max_places_per_slot,
    ) == (
        "Connecting 2026",
        "connecting-2026",
        "Department of Health and Social Care",
        "Days out with the NHS.",
        3,
        D(2026, 4, 1),
        D(2027, 3, 31),
        True,
        True,
        6,
    )


def test_programme_create_numbers_a_made_up_short_name_that_is_taken():
    ProgrammeFactory(name="Something else", slug="connecting")

    programme = programme_create(**_programme_fields(name="Connecting!"))

    assert programme.slug == "connecting-2"


def test_programme_create_with_a_name_of_symbols_only_gets_a_generic_short_name():
    assert programme_create(**_programme_fields(name="😀 !!")).slug == "programme"


def test_programme_create_refuses_a_duplicate_name_in_any_case():
    ProgrammeFactory(name="Connecting", slug="connecting")

    with pytest.raises(ValidationError) as caught:
        programme_create(**_programme_fields(name="CONNECTING", slug="other"))

    assert caught.value.message_dict == {
        "name": ["A programme called “CONNECTING” already exists. Choose a different name."]
    }
    assert Programme.objects.count() == 1


def test_programme_create_refuses_a_short_name_another_programme_has():
    ProgrammeFactory(name="Leaders", slug="leaders")

    with pytest.raises(ValidationError) as caught:
        programme_create(**_programme_fields(name="Connecting", slug="Leaders"))

    assert caught.value.message_dict == {
        "slug": ["The short name “leaders” is already used by Leaders. Choose a different short name."]
    }


def test_programme_create_puts_an_end_before_the_start_on_the_end_date():
    with pytest.raises(ValidationError) as caught:
        programme_create(**_programme_fields(starts_on=D(2026, 4, 1), ends_on=D(2026, 3, 31)))

    assert caught.value.message_dict == {
        "ends_on": ["The end date must be the same as or after the start date"]
    }
    assert Programme.objects.count() == 0


def test_programme_create_reports_every_bad_answer_at_once():
    with pytest.raises(ValidationError) as caught:
        programme_create(
            **_programme_fields(
                name=" ",
                owner_organisation="",
                slug="not a slug",
                target_days_per_participant=400,
                max_places_per_slot=0,
            )
        )

    assert caught.value.message_dict == {
        "name": ["Enter the programme’s name"],
        "owner_organisation": ["Enter the organisation that runs the programme"],
        "slug": ["Use only letters, numbers and hyphens in the short name"],
        "target_days_per_participant": ["Enter a number of days between 0 and 365"],
        "max_places_per_slot": ["Enter a number of places between 1 and 500"],
    }


def test_programme_update_changes_the_booking_policy_and_keeps_its_own_name():
    programme = ProgrammeFactory(name="Connecting", slug="connecting", starts_on=D(2026, 1, 1))

    programme_update(
        programme=programme,
        **_programme_fields(
            name="Connecting",
            slug="connecting",
            bookings_confirmed_automatically=False,
            line_manager_approval_required=True,
        ),
    )

    programme.refresh_from_db()
    assert (programme.bookings_confirmed_automatically, programme.line_manager_approval_required) == (
        False,
        True,
    )


def test_programme_update_refuses_dates_that_leave_a_cohort_outside_and_saves_nothing():
    programme = ProgrammeFactory(name="Connecting", starts_on=D(2026, 1, 1), ends_on=None)
    CohortFactory(programme=programme, name="Spring", starts_on=D(2026, 3, 1), ends_on=D(2026, 6, 30))

    with pytest.raises(ValidationError) as caught:
        programme_update(
            programme=programme,
            **_programme_fields(
                name="Renamed", slug=programme.slug, starts_on=D(2026, 4, 1), ends_on=D(2026, 5, 1)
            ),
        )

    assert caught.value.message_dict == {
        "starts_on": [
            "Cohort “Spring” starts on 1 March 2026, before this date. Change the cohort’s dates first."
        ],
        "ends_on": [
            "Cohort “Spring” ends on 30 June 2026, after this date. Change the cohort’s dates first."
        ],
    }
    programme.refresh_from_db()
    assert (programme.name, programme.starts_on) == ("Connecting", D(2026, 1, 1))


def test_programme_update_refuses_the_name_of_another_programme():
    ProgrammeFactory(name="Leaders")
    programme = ProgrammeFactory(name="Connecting")

    with pytest.raises(ValidationError) as caught:
        programme_update(programme=programme, **_programme_fields(name="leaders", slug=programme.slug))

    assert list(caught.value.message_dict) == ["name"]
    assert programme.name == "Connecting"


# --- Services: cohorts --------------------------------------------------------------------------


def test_cohort_create_inside_the_programme_dates():
    programme = ProgrammeFactory(starts_on=D(2026, 4, 1), ends_on=D(2027, 3, 31))

    cohort = cohort_create(
        programme=programme, name=" Autumn  2026 ", starts_on=D(2026, 9, 1), ends_on=D(2027, 3, 31)
    )

    assert list(Cohort.objects.values_list("programme", "name", "starts_on", "ends_on")) == [
        (programme.pk, "Autumn 2026", D(2026, 9, 1), D(2027, 3, 31))
    ]
    assert cohort.pk is not None


def test_cohort_create_refuses_a_name_the_programme_already_has_in_any_case():
    programme = ProgrammeFactory(starts_on=D(2026, 1, 1))
    CohortFactory(programme=programme, name="Autumn 2026")

    with pytest.raises(ValidationError) as caught:
        cohort_create(
            programme=programme, name="AUTUMN 2026", starts_on=D(2026, 9, 1), ends_on=D(2026, 12, 1)
        )

    assert caught.value.message_dict == {
        "name": ["This programme already has a cohort called “AUTUMN 2026”. Choose a different name."]
    }


def test_cohort_name_may_repeat_in_another_programme():
    CohortFactory(name="Autumn 2026", programme=ProgrammeFactory(starts_on=D(2026, 1, 1)))
    other = ProgrammeFactory(starts_on=D(2026, 1, 1))

    cohort_create(programme=other, name="Autumn 2026", starts_on=D(2026, 9, 1), ends_on=D(2026, 12, 1))

    assert Cohort.objects.filter(name="Autumn 2026").count() == 2


def test_cohort_create_refuses_an_end_before_the_start():
    programme = ProgrammeFactory(starts_on=D(2026, 1, 1))

    with pytest.raises(ValidationError) as caught:
        cohort_create(programme=programme, name="Autumn", starts_on=D(2026, 9, 1), ends_on=D(2026, 8, 31))

    assert caught.value.message_dict == {
        "ends_on": ["The end date must be the same as or after the start date"]
    }


def test_cohort_create_refuses_dates_outside_the_programme():
    programme = ProgrammeFactory(starts_on=D(2026, 4, 1), ends_on=D(2027, 3, 31))

    with pytest.raises(ValidationError) as caught:
        cohort_create(programme=programme, name="Too wide", starts_on=D(2026, 3, 1), ends_on=D(2027, 4, 30))

    assert caught.value.message_dict == {
        "starts_on": ["The cohort cannot start before the programme starts, on 1 April 2026"],
        "ends_on": ["The cohort cannot end after the programme ends, on 31 March 2027"],
    }
    assert Cohort.objects.count() == 0


def test_cohort_of_a_programme_without_an_end_date_may_end_any_time_after_it_starts():
    programme = ProgrammeFactory(starts_on=D(2026, 4, 1), ends_on=None)

    cohort = cohort_create(programme=programme, name="Long", starts_on=D(2026, 4, 1), ends_on=D(2030, 1, 1))

    assert cohort.ends_on == D(2030, 1, 1)


def test_cohort_update_may_keep_its_own_name_in_another_case_but_not_take_a_sibling_name():
    programme = ProgrammeFactory(starts_on=D(2026, 1, 1))
    spring = CohortFactory(programme=programme, name="Spring", starts_on=D(2026, 3, 1), ends_on=D(2026, 6, 1))
    CohortFactory(programme=programme, name="Autumn", starts_on=D(2026, 9, 1), ends_on=D(2026, 12, 1))

    cohort_update(cohort=spring, name="SPRING", starts_on=D(2026, 3, 2), ends_on=D(2026, 6, 1))
    with pytest.raises(ValidationError) as caught:
        cohort_update(cohort=spring, name="autumn", starts_on=D(2026, 3, 2), ends_on=D(2026, 6, 1))

    spring.refresh_from_db()
    assert (spring.name, spring.starts_on, list(caught.value.message_dict)) == (
        "SPRING",
        D(2026, 3, 2),
        ["name"],
    )


# --- Selectors ----------------------------------------------------------------------------------


def test_programme_list_counts_cohorts_and_participants_without_multiplying_them():
    team = ProgrammeTeamFactory()
    busy = ProgrammeFactory(name="B busy")
    CohortFactory.create_batch(2, programme=busy)
    EnrolmentFactory.create_batch(3, programme=busy)
    ProgrammeFactory(name="A quiet")

    rows = [(p.name, p.cohort_count, p.participant_count) for p in programme_list_for_user(user=team)]

    assert rows == [("A quiet", 0, 0), ("B busy", 2, 3)]


def test_programme_list_is_empty_for_anyone_but_the_team():
    ProgrammeFactory()

    assert [
        list(programme_list_for_user(user=ParticipantFactory())),
        list(programme_list_for_user(user=PartnerContactFactory())),
    ] == [[], []]


def test_programme_get_counts_its_opportunities():
    programme = ProgrammeFactory()
    OpportunityFactory.create_batch(2, programmes=[programme])
    OpportunityFactory()

    assert (
        programme_get_for_user(programme_id=programme.pk, user=ProgrammeTeamFactory()).opportunity_count == 2
    )


# --- Views: programmes --------------------------------------------------------------------------


def test_programme_list_shows_programmes_by_name_with_counts(team_client):
    busy = ProgrammeFactory(name="Zeta")
    EnrolmentFactory(programme=busy)
    ProgrammeFactory(name="Alpha")

    response = team_client.get(reverse("programmes:list"))

    assert response.status_code == 200
    assert [(p.name, p.participant_count) for p in response.context["page"]] == [("Alpha", 0), ("Zeta", 1)]


def test_programme_list_query_count_does_not_grow_with_programmes(team_client):
    counts = {}
    for total in (1, 3):
        for _ in range(total - Programme.objects.count()):
            programme = ProgrammeFactory()
            CohortFactory(programme=programme)
            EnrolmentFactory(programme=programme)
        with CaptureQueriesContext(connection) as captured:
            response = team_client.get(reverse("programmes:list"))
        assert len(response.context["page"].object_list) == total
        counts[total] = len(captured)

    assert counts[1] == counts[3]


def test_programme_list_is_paginated(team_client):
    ProgrammeFactory.create_batch(27)

    first = team_client.get(reverse("programmes:list"))
    second = team_client.get(reverse("programmes:list"), {"page": 2})

    assert (len(first.context["page"]), len(second.context["page"])) == (25, 2)
    assert 'class="govuk-pagination"' in first.content.decode()


@pytest.mark.parametrize("factory", [ParticipantFactory, PartnerContactFactory])
@pytest.mark.parametrize(
    ("url_name", "needs_programme"),
    [
        ("programmes:list", False),
        ("programmes:create", False),
        ("programmes:detail", True),
        ("programmes:edit", True),
        ("programmes:cohort_create", True),
    ],
)
def test_programme_pages_are_forbidden_to_everyone_but_the_team(client, factory, url_name, needs_programme):
    programme = ProgrammeFactory()
    client.force_login(factory())
    url = reverse(url_name, args=[programme.pk] if needs_programme else [])

    assert (client.get(url).status_code, client.post(url, _programme_post()).status_code) == (403, 403)
    assert Programme.objects.count() == 1


def test_programme_create_page_creates_and_shows_the_programme(team_client):
    response = team_client.post(reverse("programmes:create"), _programme_post(name="Connecting", slug=""))

    programme = Programme.objects.get()
    assert response["Location"] == reverse("programmes:detail", args=[programme.pk])
    assert (programme.slug, programme.bookings_confirmed_automatically, programme.ends_on) == (
        "connecting",
        True,
        D(2027, 3, 31),
    )
    detail = team_client.get(response["Location"])
    assert _messages(detail) == ["Programme Connecting created."]
    assert "Automatically, as soon as the participant books" in detail.content.decode()


def test_programme_create_page_with_an_end_before_the_start_answers_400_with_the_error(team_client):
    response = team_client.post(
        reverse("programmes:create"), _programme_post(starts_on=D(2026, 5, 1), ends_on=D(2026, 4, 1))
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "ends_on": ["The end date must be the same as or after the start date"]
    }
    assert "There is a problem" in html
    assert 'href="#id_ends_on_0"' in html
    assert Programme.objects.count() == 0


def test_programme_create_page_with_a_duplicate_name_answers_400(team_client):
    ProgrammeFactory(name="Connecting")

    response = team_client.post(reverse("programmes:create"), _programme_post(name="connecting"))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["name"]
    assert Programme.objects.count() == 1


def test_programme_create_page_with_nothing_filled_in_names_each_missing_answer(team_client):
    response = team_client.post(reverse("programmes:create"), {})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "name": ["Enter the programme’s name"],
        "owner_organisation": ["Enter the organisation that runs the programme"],
        "starts_on": ["Enter the start date"],
        "target_days_per_participant": ["Enter a number of days between 0 and 365"],
        "bookings_confirmed_automatically": ["Select how bookings are confirmed"],
        "line_manager_approval_required": ["Select whether line managers must approve bookings"],
        "max_places_per_slot": ["Enter a number of places between 1 and 500"],
    }


def test_programme_create_page_refuses_a_date_that_does_not_exist(team_client):
    data = _programme_post() | {"starts_on_0": "31", "starts_on_1": "2", "starts_on_2": "2026"}

    response = team_client.post(reverse("programmes:create"), data)

    assert response.status_code == 400
    assert response.context["form"].errors["starts_on"] == ["The start date must be a real date"]


@pytest.mark.parametrize(
    "value", ["\x00", "x" * 10_000, "<script>alert(1)</script>", "'; DROP TABLE x; --", " "]
)
def test_programme_create_page_with_hostile_values_answers_with_form_errors(team_client, value):
    data = dict.fromkeys(_programme_post(), value)

    response = team_client.post(reverse("programmes:create"), data)

    assert response.status_code == 400
    assert response.context["form"].errors
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert Programme.objects.count() == 0


def test_programme_edit_page_shows_current_values_and_saves_changes(team_client):
    programme = ProgrammeFactory(name="Connecting", slug="connecting", starts_on=D(2026, 4, 1))

    page = team_client.get(reverse("programmes:edit", args=[programme.pk]))
    response = team_client.post(
        reverse("programmes:edit", args=[programme.pk]),
        _programme_post(name="Connecting 2", slug="connecting", line_manager_approval_required=False),
    )

    assert page.context["form"].initial["name"] == "Connecting"
    assert response["Location"] == reverse("programmes:detail", args=[programme.pk])
    programme.refresh_from_db()
    assert (programme.name, programme.line_manager_approval_required) == ("Connecting 2", False)


def test_programme_edit_page_with_bad_dates_saves_nothing(team_client):
    programme = ProgrammeFactory(name="Connecting", starts_on=D(2026, 4, 1))

    response = team_client.post(
        reverse("programmes:edit", args=[programme.pk]),
        _programme_post(name="Renamed", starts_on=D(2026, 4, 1), ends_on=D(2026, 1, 1)),
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["ends_on"]
    programme.refresh_from_db()
    assert programme.name == "Connecting"


def test_programme_detail_shows_policy_cohorts_participants_and_opportunities(team_client):
    programme = ProgrammeFactory(name="Connecting", line_manager_approval_required=True)
    autumn = CohortFactory(programme=programme, name="Autumn 2026")
    EnrolmentFactory(programme=programme, participant=ParticipantFactory(full_name="Zoe Zed"), cohort=autumn)
    EnrolmentFactory(programme=programme, participant=ParticipantFactory(full_name="Amy Able"))
    EnrolmentFactory(participant=ParticipantFactory(full_name="Not On This One"))
    OpportunityFactory(programmes=[programme])

    response = team_client.get(reverse("programmes:detail", args=[programme.pk]))

    html = response.content.decode()
    assert [(e.participant.full_name, e.cohort) for e in response.context["page"]] == [
        ("Amy Able", None),
        ("Zoe Zed", autumn),
    ]
    assert [(c.name, c.participant_count) for c in response.context["cohorts"]] == [("Autumn 2026", 1)]
    assert response.context["programme"].opportunity_count == 1
    assert "Needed before each booking" in html
    assert "By the partner, who confirms or declines each request" in html
    assert "Not On This One" not in html


def test_programme_detail_query_count_does_not_grow_with_participants(team_client):
    programme = ProgrammeFactory()
    counts = {}
    for total in (1, 3):
        for _ in range(total - programme.enrolments.count()):
            EnrolmentFactory(programme=programme, cohort=CohortFactory(programme=programme))
        with CaptureQueriesContext(connection) as captured:
            team_client.get(reverse("programmes:detail", args=[programme.pk]))
        counts[total] = len(captured)

    assert counts[1] == counts[3]


@pytest.mark.parametrize("programme_id", ["0", "999999999"])
def test_programme_detail_of_an_unknown_programme_answers_404(team_client, programme_id):
    assert team_client.get(f"/programmes/{programme_id}/").status_code == 404


# --- Views: cohorts -----------------------------------------------------------------------------


def test_cohort_create_page_adds_a_cohort(team_client):
    programme = ProgrammeFactory(starts_on=D(2026, 1, 1))
    data = {"name": "Autumn"} | _date_post("starts_on", D(2026, 9, 1)) | _date_post("ends_on", D(2026, 12, 1))

    response = team_client.post(reverse("programmes:cohort_create", args=[programme.pk]), data)

    assert response["Location"] == reverse("programmes:detail", args=[programme.pk])
    assert list(programme.cohorts.values_list("name", flat=True)) == ["Autumn"]


def test_cohort_create_page_with_a_duplicate_name_answers_400(team_client):
    programme = ProgrammeFactory(starts_on=D(2026, 1, 1))
    CohortFactory(programme=programme, name="Autumn")
    data = {"name": "autumn"} | _date_post("starts_on", D(2026, 9, 1)) | _date_post("ends_on", D(2026, 12, 1))

    response = team_client.post(reverse("programmes:cohort_create", args=[programme.pk]), data)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "name": ["This programme already has a cohort called “autumn”. Choose a different name."]
    }
    assert "There is a problem" in response.content.decode()


def test_cohort_edit_page_changes_the_dates(team_client):
    programme = ProgrammeFactory(starts_on=D(2026, 1, 1))
    cohort = CohortFactory(programme=programme, name="Autumn")
    data = (
        {"name": "Autumn"} | _date_post("starts_on", D(2026, 10, 1)) | _date_post("ends_on", D(2026, 12, 1))
    )

    response = team_client.post(reverse("programmes:cohort_edit", args=[programme.pk, cohort.pk]), data)

    cohort.refresh_from_db()
    assert (response.status_code, cohort.starts_on) == (302, D(2026, 10, 1))


def test_cohort_edit_page_of_another_programmes_cohort_answers_404(team_client):
    programme = ProgrammeFactory()
    elsewhere = CohortFactory()

    assert (
        team_client.get(reverse("programmes:cohort_edit", args=[programme.pk, elsewhere.pk])).status_code
        == 404
    )


def test_cohort_edit_page_is_forbidden_to_a_participant(client):
    cohort = CohortFactory()
    client.force_login(ParticipantFactory())

    assert (
        client.get(reverse("programmes:cohort_edit", args=[cohort.programme_id, cohort.pk])).status_code
        == 403
    )
