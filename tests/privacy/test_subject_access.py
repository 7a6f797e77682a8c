"""The "Download your data" ZIP and its page."""

import datetime
import io
import json
import zipfile

import pytest
from django.urls import reverse

from connecting.privacy.services import subject_access_archive
from tests.audit.support import audit_rows, described
from tests.factories import ParticipantFactory, PartnerContactFactory, ProgrammeTeamFactory
from tests.privacy.support import person_with_data

pytestmark = pytest.mark.django_db

URL = reverse("privacy:my_data")
DAY = datetime.date(2026, 3, 10)
FILES = [
    "README.txt",
    "profile.json",
    "enrolments.json",
    "bookings.json",
    "preparations.json",
    "debriefs.json",
    "partner_feedback.json",
    "survey_answers.json",
    "messages.json",
    "audit.json",
]


def _open(content: bytes) -> tuple[list[str], dict]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    return names, {name: json.loads(archive.read(name)) for name in names if name.endswith(".json")}


def test_the_archive_holds_everything_about_the_person_and_nobody_else():
    ada = ParticipantFactory(email="ada@dhsc.gov.uk", full_name="Ada Lovelace", directorate="Policy")
    ben = ParticipantFactory(email="ben@dhsc.gov.uk", full_name="Ben Okri")
    mine = person_with_data(ada, day=DAY, tag="ADA")
    person_with_data(ben, day=DAY, tag="BEN")

    names, data = _open(subject_access_archive(user=ada))

    assert names == FILES
    profile = data["profile.json"]
    assert (profile["email"], profile["full_name"], profile["directorate"], profile["role"]) == (
        "ada@dhsc.gov.uk",
        "Ada Lovelace",
        "Policy",
        "participant",
    )
    assert profile["email_addresses"] == [{"email": "ada@dhsc.gov.uk", "verified": True, "primary": True}]
    assert data["enrolments.json"] == [
        {
            "programme": "Programme ADA",
            "cohort": None,
            "enrolled_at": data["enrolments.json"][0]["enrolled_at"],
        }
    ]
    [booking] = data["bookings.json"]
    assert (
        booking["id"],
        booking["opportunity"],
        booking["partner"],
        booking["status"],
        booking["line_manager_email"],
    ) == (
        mine["booking"].pk,
        "Visit ADA",
        "Partner ADA",
        "attended",
        "manager-ADA@dhsc.gov.uk",
    )
    assert [(e["action"], e["by"], e["reason"]) for e in booking["events"]] == [
        ("requested", "you", "Please book me ADA"),
        ("confirmed", "the portal or a line manager", ""),
    ]
    [preparation] = data["preparations.json"]
    assert (preparation["objectives"], preparation["access_needs"]) == ("Objectives ADA", "Access needs ADA")
    [debrief] = data["debriefs.json"]
    assert (debrief["what_i_saw"], debrief["themes"], debrief["usefulness"], debrief["status"]) == (
        "Saw ADA",
        ["Theme ADA"],
        4,
        "approved",
    )
    assert [(a["description"], a["owner"]) for a in debrief["actions"]] == [("Action ADA", "Owner ADA")]
    assert [(e["by"], e["comment"]) for e in debrief["review_history"]] == [
        ("the portal or a line manager", "Comment ADA")
    ]
    assert data["partner_feedback.json"] == []  # feedback Ada gave: she is not a host
    assert [(a["survey"], a["text"]) for a in data["survey_answers.json"]] == [("Survey ADA", "Answer ADA")]
    assert [(m["subject"], m["to"], m["status"]) for m in data["messages.json"]] == [
        ("Subject ADA", ["ada@dhsc.gov.uk"], "sent")
    ]
    assert "body_text" not in data["messages.json"][0]
    assert [(e["what"], e["by"]) for e in data["audit.json"]] == [("signed_in", "you")]
    everything = json.dumps(data)
    assert ("BEN" in everything, "ben@dhsc.gov.uk" in everything, mine["host"].email in everything) == (
        False,
        False,
        False,
    )


def test_a_partner_contact_gets_the_feedback_they_gave():
    ada = ParticipantFactory()
    host = person_with_data(ada, day=DAY, tag="ADA")["host"]

    _names, data = _open(subject_access_archive(user=host))

    assert [(f["partner"], f["comments"], f["value_to_partner"]) for f in data["partner_feedback.json"]] == [
        ("Partner ADA", "Feedback ADA", 5)
    ]
    assert (data["bookings.json"], data["debriefs.json"]) == ([], [])
    assert [(m["partner"], m["partner_admin"]) for m in data["profile.json"]["partner_memberships"]] == [
        ("Partner ADA", False)
    ]


@pytest.mark.parametrize("factory", [ParticipantFactory, PartnerContactFactory, ProgrammeTeamFactory])
def test_anyone_signed_in_sees_the_page_with_its_button(client, factory):
    client.force_login(factory())

    response = client.get(URL)

    assert response.status_code == 200
    assert 'name="download"' in response.content.decode()
    assert audit_rows() == []


def test_the_button_downloads_their_own_archive_and_the_download_is_audited(client):
    ada = ParticipantFactory(email="ada@dhsc.gov.uk")
    person_with_data(ParticipantFactory(email="ben@dhsc.gov.uk"), day=DAY, tag="BEN")
    client.force_login(ada)

    response = client.post(URL)

    assert response.status_code == 200
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("application/zip", "nosniff")
    assert response["Content-Disposition"].startswith('attachment; filename="connecting-my-data-')
    names, data = _open(response.content)
    assert (names, data["profile.json"]["email"]) == (FILES, "ada@dhsc.gov.uk")
    assert audit_rows(verb="data_downloaded") == [
        (ada.pk, described(ada), "data_downloaded", "accounts.user", str(ada.pk), "", ada.pk)
    ]


def test_anonymous_visitors_are_sent_to_sign_in_and_get_nothing(client):
    response = client.post(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert audit_rows() == []
