import datetime
import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from django.urls import reverse

from placements.models import Enrolment
from placements.services import programmes as services
from placements.services.programmes import (
    enrolment_create,
    enrolment_import_csv,
    enrolment_import_parse,
    enrolment_move,
    enrolment_remove,
)
from tests.factories import (
    CohortFactory,
    EnrolmentFactory,
    ParticipantFactory,
    PartnerContactFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def team():
    return ProgrammeTeamFactory()


@pytest.fixture
def programme():
    return ProgrammeFactory(name="Connecting", starts_on=D(2026, 1, 1))


@pytest.fixture
def team_client(client, team):
    client.force_login(team)
    return client


def _enrolled(programme) -> list[tuple[str, str | None]]:
    return sorted(
        (e.participant.email, e.cohort.name if e.cohort else None)
        for e in programme.enrolments.select_related("participant", "cohort")
    )


def _csv(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def _problems(result) -> list[tuple[int, list[str]]]:
    return [(row.number, row.problems) for row in result.error_rows]


# --- Enrolment one at a time --------------------------------------------------------------------


def test_enrolment_create_finds_the_participant_by_address_in_any_case(programme, team):
    participant = ParticipantFactory(email="sam.jones@dhsc.gov.uk")
    autumn = CohortFactory(programme=programme, name="Autumn")

    enrolment = enrolment_create(
        programme=programme, email="  Sam.Jones@DHSC.gov.uk ", cohort=autumn, by=team
    )

    assert (enrolment.participant, enrolment.cohort, enrolment.enrolled_by) == (participant, autumn, team)
    assert _enrolled(programme) == [("sam.jones@dhsc.gov.uk", "Autumn")]


@pytest.mark.parametrize(
    ("make_account", "message"),
    [
        (lambda: None, "No account uses this e-mail address. The person must create an account first."),
        (
            lambda: PartnerContactFactory(email="who@dhsc.gov.uk"),
            "This e-mail address belongs to a partner contact account. Only participants can be enrolled.",
        ),
        (
            lambda: ProgrammeTeamFactory(email="who@dhsc.gov.uk"),
            "This e-mail address belongs to a programme team account. Only participants can be enrolled.",
        ),
        (
            lambda: ParticipantFactory(email="who@dhsc.gov.uk", is_active=False),
            "The account for this e-mail address has been deactivated.",
        ),
    ],
    ids=["unknown", "partner-contact", "programme-team", "deactivated"],
)
def test_enrolment_create_refuses_anyone_but_an_active_participant(programme, team, make_account, message):
    make_account()

    with pytest.raises(ValidationError) as caught:
        enrolment_create(programme=programme, email="who@dhsc.gov.uk", by=team)

    assert caught.value.message_dict == {"email": [message]}
    assert Enrolment.objects.count() == 0


def test_enrolment_create_refuses_someone_already_enrolled(programme, team):
    existing = EnrolmentFactory(programme=programme, participant=ParticipantFactory(full_name="Sam Jones"))

    with pytest.raises(ValidationError) as caught:
        enrolment_create(programme=programme, email=existing.participant.email.upper(), by=team)

    assert caught.value.message_dict == {"email": ["Sam Jones is already enrolled on Connecting."]}
    assert Enrolment.objects.count() == 1


def test_enrolment_create_refuses_a_cohort_of_another_programme(programme, team):
    participant = ParticipantFactory()

    with pytest.raises(ValidationError) as caught:
        enrolment_create(programme=programme, email=participant.email, cohort=CohortFactory(), by=team)

    assert caught.value.message_dict == {"cohort": ["Choose one of this programme’s cohorts"]}
    assert Enrolment.objects.count() == 0


def test_enrolment_of_the_same_person_on_two_programmes_is_fine(programme, team):
    participant = ParticipantFactory()
    EnrolmentFactory(participant=participant)

    enrolment_create(programme=programme, email=participant.email, by=team)

    assert participant.enrolments.count() == 2


def test_enrolment_move_changes_the_cohort_and_can_take_it_away(programme, team):
    spring, autumn = CohortFactory(programme=programme), CohortFactory(programme=programme)
    enrolment = EnrolmentFactory(programme=programme, cohort=spring)

    enrolment_move(enrolment=enrolment, cohort=autumn, by=team)
    enrolment.refresh_from_db()
    moved_to = enrolment.cohort
    enrolment_move(enrolment=enrolment, cohort=None, by=team)
    enrolment.refresh_from_db()

    assert (moved_to, enrolment.cohort) == (autumn, None)


def test_enrolment_move_refuses_a_cohort_of_another_programme(programme, team):
    spring = CohortFactory(programme=programme)
    enrolment = EnrolmentFactory(programme=programme, cohort=spring)

    with pytest.raises(ValidationError):
        enrolment_move(enrolment=enrolment, cohort=CohortFactory(), by=team)

    enrolment.refresh_from_db()
    assert enrolment.cohort == spring


def test_enrolment_remove_takes_the_person_off_this_programme_only(programme, team):
    enrolment = EnrolmentFactory(programme=programme)
    elsewhere = EnrolmentFactory(participant=enrolment.participant)

    enrolment_remove(enrolment=enrolment, by=team)

    assert list(Enrolment.objects.all()) == [elsewhere]


# --- CSV import: success ------------------------------------------------------------------------


def test_import_enrols_everyone_with_their_cohorts_despite_messy_formatting(programme, team):
    autumn = CohortFactory(programme=programme, name="Autumn 2026")
    for email in ("amy@dhsc.gov.uk", "ben@dhsc.gov.uk", "cat@dhsc.gov.uk"):
        ParticipantFactory(email=email)
    file = _csv(
        "\ufeffE-mail , Cohort,Notes\r\n"
        "  AMY@DHSC.GOV.UK , autumn 2026 ,likes hospices\r\n"
        "\r\n"
        ",,\r\n"
        "ben@dhsc.gov.uk\r\n"
        "cat@dhsc.gov.uk,,\r\n"
    )

    result = enrolment_import_csv(programme=programme, file=file, by=team)

    assert (result.imported, result.file_errors, result.enrolled_count, result.skipped_count) == (
        True,
        [],
        3,
        0,
    )
    assert _enrolled(programme) == [
        ("amy@dhsc.gov.uk", "Autumn 2026"),
        ("ben@dhsc.gov.uk", None),
        ("cat@dhsc.gov.uk", None),
    ]
    assert set(Enrolment.objects.values_list("enrolled_by", flat=True)) == {team.pk}
    assert autumn.enrolments.count() == 1


def test_import_skips_people_already_enrolled_without_changing_their_cohort(programme, team):
    spring = CohortFactory(programme=programme, name="Spring")
    CohortFactory(programme=programme, name="Autumn")
    EnrolmentFactory(
        programme=programme, participant=ParticipantFactory(email="amy@dhsc.gov.uk"), cohort=spring
    )
    ParticipantFactory(email="ben@dhsc.gov.uk")

    result = enrolment_import_csv(
        programme=programme,
        file=_csv("email,cohort\namy@dhsc.gov.uk,Autumn\nben@dhsc.gov.uk,Autumn\n"),
        by=team,
    )

    assert (result.imported, result.enrolled_count, result.skipped_count) == (True, 1, 1)
    assert [(row.number, row.note) for row in result.skipped_rows] == [
        (2, "Already enrolled, in cohort “Spring”: skipped, nothing changed.")
    ]
    assert _enrolled(programme) == [("amy@dhsc.gov.uk", "Spring"), ("ben@dhsc.gov.uk", "Autumn")]


def test_import_of_the_same_file_twice_skips_everyone_the_second_time(programme, team):
    ParticipantFactory(email="amy@dhsc.gov.uk")
    content = "email\namy@dhsc.gov.uk\n"

    first = enrolment_import_csv(programme=programme, file=_csv(content), by=team)
    second = enrolment_import_csv(programme=programme, file=_csv(content), by=team)

    assert [(r.enrolled_count, r.skipped_count) for r in (first, second)] == [(1, 0), (0, 1)]
    assert Enrolment.objects.count() == 1


# --- CSV import: all or nothing, and each kind of problem ----------------------------------------


def test_import_with_three_good_rows_and_one_bad_row_enrols_no_one(programme, team):
    for email in ("amy@dhsc.gov.uk", "ben@dhsc.gov.uk", "cat@dhsc.gov.uk"):
        ParticipantFactory(email=email)
    file = _csv("email\namy@dhsc.gov.uk\nben@dhsc.gov.uk\nnobody@dhsc.gov.uk\ncat@dhsc.gov.uk\n")

    result = enrolment_import_csv(programme=programme, file=file, by=team)

    assert (result.imported, result.enrolled_count) == (False, 0)
    assert _problems(result) == [
        (4, ["No account uses this e-mail address. The person must create an account first."])
    ]
    assert Enrolment.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "problems"),
    [
        (
            "nobody@dhsc.gov.uk",
            ["No account uses this e-mail address. The person must create an account first."],
        ),
        (
            "host@trust.nhs.example.org",
            ["This e-mail address belongs to a partner contact account. Only participants can be enrolled."],
        ),
        ("gone@dhsc.gov.uk", ["The account for this e-mail address has been deactivated."]),
        ("not-an-address", ["This is not a valid e-mail address."]),
        ("a\u202eb@dhsc.gov.uk", ["This is not a valid e-mail address."]),
        ("x" * 300 + "@dhsc.gov.uk", ["This is not a valid e-mail address."]),
        (",Autumn", ["There is no e-mail address in this row."]),
        ("ben@dhsc.gov.uk,Winter", ["Connecting has no cohort called “Winter”."]),
        (
            "nobody@dhsc.gov.uk,Winter",
            [
                "No account uses this e-mail address. The person must create an account first.",
                "Connecting has no cohort called “Winter”.",
            ],
        ),
        ("AMY@dhsc.gov.uk", ["This e-mail address is also on row 2. Each person may appear only once."]),
    ],
    ids=[
        "unknown",
        "partner-contact",
        "deactivated",
        "invalid",
        "invisible-characters",
        "too-long",
        "missing",
        "unknown-cohort",
        "two-problems",
        "duplicate",
    ],
)
def test_import_reports_each_kind_of_row_problem_with_its_row_number(programme, team, row, problems):
    CohortFactory(programme=programme, name="Autumn")
    ParticipantFactory(email="amy@dhsc.gov.uk")
    ParticipantFactory(email="ben@dhsc.gov.uk")
    ParticipantFactory(email="gone@dhsc.gov.uk", is_active=False)
    PartnerContactFactory(email="host@trust.nhs.example.org")

    result = enrolment_import_csv(
        programme=programme, file=_csv(f"email,cohort\namy@dhsc.gov.uk,Autumn\n{row}\n"), by=team
    )

    assert (result.file_errors, _problems(result), result.imported) == ([], [(3, problems)], False)
    assert Enrolment.objects.count() == 0


def test_import_report_shows_long_values_shortened(programme, team):
    result = enrolment_import_parse(programme=programme, file=_csv("email\n" + "y" * 500 + "\n"))

    assert [len(row.email) for row in result.error_rows] == [80]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf \r\n\r\n", "The file is empty."),
        (
            b"email\n\n",
            "The file has a header but no e-mail addresses under it.",
        ),
        (
            "email\nzoë@dhsc.gov.uk\n".encode("cp1252"),
            "The file must be a CSV file saved as UTF-8. In Excel, save it as “CSV UTF-8 (Comma delimited)”.",
        ),
        (
            b"PK\x03\x04\x00\x00binary",
            "The file must be a CSV file. This file looks like a different kind of file.",
        ),
        (
            b"name,cohort\nAmy,Autumn\n",
            "The first row must be a header with a column called email (and, if you use it, one called cohort).",
        ),
        (
            b"amy@dhsc.gov.uk\nben@dhsc.gov.uk\n",
            "The first row must be a header naming the columns. Add a row above the e-mail addresses with email "
            "in the first column (and cohort in the second, if you use it).",
        ),
        (
            b"email;cohort\namy;Autumn\n",
            "Separate the columns with commas, not semicolons. The header must have an email column.",
        ),
        (
            b'email\n"amy@dhsc.gov.uk' + b"x" * 140_000 + b'"\n',
            "Row 2 could not be read. Check that the file is a CSV file with one person a row.",
        ),
        (
            b"email\n" + b"a@dhsc.gov.uk\n" * 80_000,
            "The file is larger than 1 MB. Split it into smaller files.",
        ),
        (
            b"email\n" + b"a@b.uk\n" * 5_001,
            "The file has more than 5,000 rows. Split it into smaller files.",
        ),
    ],
    ids=[
        "empty",
        "blank",
        "header-only",
        "not-utf8",
        "binary",
        "no-email-column",
        "no-header",
        "semicolons",
        "unreadable-row",
        "too-large",
        "too-many-rows",
    ],
)
def test_import_reports_problems_with_the_whole_file(programme, team, content, message):
    result = enrolment_import_csv(programme=programme, file=io.BytesIO(content), by=team)

    assert (result.file_errors, result.rows, result.imported) == ([message], [], False)
    assert Enrolment.objects.count() == 0


def test_import_accepts_exactly_the_most_rows_allowed(programme, team, monkeypatch):
    monkeypatch.setattr(services, "MAX_IMPORT_ROWS", 3)
    for email in ("amy@dhsc.gov.uk", "ben@dhsc.gov.uk", "cat@dhsc.gov.uk", "dan@dhsc.gov.uk"):
        ParticipantFactory(email=email)

    at_limit = enrolment_import_parse(
        programme=programme, file=_csv("email\namy@dhsc.gov.uk\nben@dhsc.gov.uk\ncat@dhsc.gov.uk\n")
    )
    over = enrolment_import_parse(
        programme=programme,
        file=_csv("email\namy@dhsc.gov.uk\nben@dhsc.gov.uk\ncat@dhsc.gov.uk\ndan@dhsc.gov.uk\n"),
    )

    assert (at_limit.has_errors, over.file_errors) == (
        False,
        ["The file has more than 3 rows. Split it into smaller files."],
    )


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_uploads_of_the_same_file_enrol_each_person_once(postgres):
    team = ProgrammeTeamFactory()
    programme = ProgrammeFactory()
    emails = [f"person{n}@dhsc.gov.uk" for n in range(20)]
    for email in emails:
        ParticipantFactory(email=email)
    content = ("email\n" + "\n".join(emails)).encode()
    barrier = threading.Barrier(2)
    outcomes = []

    def upload():
        try:
            barrier.wait()
            result = enrolment_import_csv(programme=programme, file=io.BytesIO(content), by=team)
            outcomes.append((result.imported, result.enrolled_count, result.skipped_count))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [(True, 0, 20), (True, 20, 0)]
    assert Enrolment.objects.filter(programme=programme).count() == 20


# --- Views --------------------------------------------------------------------------------------


def test_enrol_page_enrols_a_participant_in_a_cohort(team_client, programme):
    ParticipantFactory(email="sam@dhsc.gov.uk", full_name="Sam Jones")
    autumn = CohortFactory(programme=programme, name="Autumn")

    response = team_client.post(
        reverse("programmes:enrolment_add", args=[programme.pk]),
        {"email": "SAM@dhsc.gov.uk", "cohort": autumn.pk},
    )

    assert response["Location"] == reverse("programmes:detail", args=[programme.pk])
    assert _enrolled(programme) == [("sam@dhsc.gov.uk", "Autumn")]
    followed = team_client.get(response["Location"])
    assert [str(m) for m in followed.context["messages"]] == ["Sam Jones enrolled on Connecting."]


def test_enrol_page_with_an_unknown_address_answers_400_with_the_error(team_client, programme):
    response = team_client.post(
        reverse("programmes:enrolment_add", args=[programme.pk]), {"email": "nobody@dhsc.gov.uk"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "email": ["No account uses this e-mail address. The person must create an account first."]
    }
    assert "There is a problem" in response.content.decode()
    assert Enrolment.objects.count() == 0


def test_enrol_page_refuses_a_cohort_of_another_programme(team_client, programme):
    participant = ParticipantFactory()

    response = team_client.post(
        reverse("programmes:enrolment_add", args=[programme.pk]),
        {"email": participant.email, "cohort": CohortFactory().pk},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"cohort": ["Choose one of this programme’s cohorts"]}
    assert Enrolment.objects.count() == 0


@pytest.mark.parametrize(
    "value", ["\x00", "a\x00b@dhsc.gov.uk", "x" * 10_000, "<script>alert(1)</script>", " "]
)
def test_enrol_page_with_hostile_values_answers_with_form_errors(team_client, programme, value):
    response = team_client.post(
        reverse("programmes:enrolment_add", args=[programme.pk]), {"email": value, "cohort": value}
    )

    assert response.status_code == 400
    assert response.context["form"].errors
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert Enrolment.objects.count() == 0


def test_change_cohort_page_moves_the_participant(team_client, programme):
    autumn = CohortFactory(programme=programme, name="Autumn")
    enrolment = EnrolmentFactory(programme=programme)

    response = team_client.post(
        reverse("programmes:enrolment_move", args=[programme.pk, enrolment.pk]), {"cohort": autumn.pk}
    )

    enrolment.refresh_from_db()
    assert (response.status_code, enrolment.cohort) == (302, autumn)


def test_change_cohort_page_with_another_programmes_cohort_answers_400(team_client, programme):
    enrolment = EnrolmentFactory(programme=programme)

    response = team_client.post(
        reverse("programmes:enrolment_move", args=[programme.pk, enrolment.pk]),
        {"cohort": CohortFactory().pk},
    )

    enrolment.refresh_from_db()
    assert (response.status_code, enrolment.cohort) == (400, None)


def test_remove_page_asks_first_and_removes_only_on_post(team_client, programme):
    enrolment = EnrolmentFactory(programme=programme, participant=ParticipantFactory(full_name="Sam Jones"))
    url = reverse("programmes:enrolment_remove", args=[programme.pk, enrolment.pk])

    confirm = team_client.get(url)
    still_there = Enrolment.objects.filter(pk=enrolment.pk).exists()
    removed = team_client.post(url)

    assert "Remove Sam Jones from Connecting?" in confirm.content.decode()
    assert (still_there, removed["Location"], Enrolment.objects.count()) == (
        True,
        reverse("programmes:detail", args=[programme.pk]),
        0,
    )


def test_enrolment_pages_answer_404_for_an_enrolment_of_another_programme(team_client, programme):
    elsewhere = EnrolmentFactory()

    responses = [
        team_client.post(reverse(name, args=[programme.pk, elsewhere.pk]))
        for name in ("programmes:enrolment_remove", "programmes:enrolment_move")
    ]

    assert [r.status_code for r in responses] == [404, 404]
    assert Enrolment.objects.count() == 1


def test_upload_page_enrols_everyone_and_says_how_many(team_client, programme):
    CohortFactory(programme=programme, name="Autumn")
    ParticipantFactory(email="amy@dhsc.gov.uk")
    EnrolmentFactory(programme=programme, participant=ParticipantFactory(email="ben@dhsc.gov.uk"))
    upload = SimpleUploadedFile(
        "people.csv", b"email,cohort\namy@dhsc.gov.uk,AUTUMN\nben@dhsc.gov.uk,\n", content_type="text/csv"
    )

    response = team_client.post(reverse("programmes:enrolment_upload", args=[programme.pk]), {"file": upload})

    assert response["Location"] == reverse("programmes:detail", args=[programme.pk])
    assert _enrolled(programme) == [("amy@dhsc.gov.uk", "Autumn"), ("ben@dhsc.gov.uk", None)]
    followed = team_client.get(response["Location"])
    assert [str(m) for m in followed.context["messages"]] == [
        "1 participant enrolled. 1 row skipped because that person was already enrolled."
    ]


def test_upload_page_with_bad_rows_answers_400_with_a_report_and_enrols_no_one(team_client, programme):
    ParticipantFactory(email="amy@dhsc.gov.uk")
    upload = SimpleUploadedFile(
        "people.csv", b"email\namy@dhsc.gov.uk\n<script>alert(1)</script>\nnobody@dhsc.gov.uk\n"
    )

    response = team_client.post(reverse("programmes:enrolment_upload", args=[programme.pk]), {"file": upload})

    html = response.content.decode()
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "file": [
            "2 rows of the file have problems. Nothing was imported: correct them and upload the file again."
        ]
    }
    assert [(row.number, row.email) for row in response.context["result"].error_rows] == [
        (3, "<script>alert(1)</script>"),
        (4, "nobody@dhsc.gov.uk"),
    ]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "There is a problem" in html
    assert Enrolment.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select a CSV file"),
        ({"file": SimpleUploadedFile("people.xlsx", b"PK\x03\x04")}, "The selected file must be a CSV file"),
        ({"file": SimpleUploadedFile("people.csv", b"")}, "The file is empty."),
    ],
    ids=["no-file", "not-csv", "empty"],
)
def test_upload_page_without_a_usable_file_answers_400(team_client, programme, data, message):
    response = team_client.post(reverse("programmes:enrolment_upload", args=[programme.pk]), data)

    assert (response.status_code, response.context["form"].errors) == (400, {"file": [message]})


@pytest.mark.parametrize("factory", [ParticipantFactory, PartnerContactFactory])
def test_enrolment_pages_are_forbidden_to_everyone_but_the_team(client, programme, factory):
    enrolment = EnrolmentFactory(programme=programme)
    participant = ParticipantFactory()
    client.force_login(factory())
    urls = [
        reverse("programmes:enrolment_add", args=[programme.pk]),
        reverse("programmes:enrolment_upload", args=[programme.pk]),
        reverse("programmes:enrolment_move", args=[programme.pk, enrolment.pk]),
        reverse("programmes:enrolment_remove", args=[programme.pk, enrolment.pk]),
    ]

    statuses = [client.get(url).status_code for url in urls]
    statuses += [client.post(url, {"email": participant.email}).status_code for url in urls]

    assert statuses == [403] * 8
    assert list(Enrolment.objects.all()) == [enrolment]


# --- The participant's home page ----------------------------------------------------------------


def test_participant_home_lists_only_the_programmes_they_are_on_with_their_cohort(client):
    participant = ParticipantFactory()
    leaders = ProgrammeFactory(name="Leaders")
    connecting = ProgrammeFactory(name="Connecting")
    ProgrammeFactory(name="Not mine")
    EnrolmentFactory(participant=participant, programme=leaders)
    EnrolmentFactory(
        participant=participant,
        programme=connecting,
        cohort=CohortFactory(programme=connecting, name="Autumn 2026"),
    )
    EnrolmentFactory(programme=ProgrammeFactory(name="Someone else's"))
    client.force_login(participant)

    response = client.get(reverse("accounts:participant_home"))

    html = response.content.decode()
    assert [
        (e.programme.name, e.cohort.name if e.cohort else None) for e in response.context["enrolments"]
    ] == [
        ("Connecting", "Autumn 2026"),
        ("Leaders", None),
    ]
    assert "Cohort: Autumn 2026 (1 September 2026 to 31 July 2027)." in html
    assert "Not mine" not in html
    assert "Someone else" not in html


def test_participant_home_says_when_they_are_on_no_programme(client):
    ProgrammeFactory(name="Leadership exchange")
    client.force_login(ParticipantFactory())

    html = client.get(reverse("accounts:participant_home")).content.decode()

    assert "You are not enrolled on a programme yet." in html
    assert "Leadership exchange" not in html
