"""The dashboard's figures come from a snapshot at most DASHBOARD_CACHE_SECONDS old: a second view
reads no figure query, a new visit shows once the snapshot expires or the team asks for a
recomputation, and each filter has its own snapshot."""

import datetime
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connecting.accounts.models import User
from debriefs.models import Debrief
from tests.dashboard.support import enrol, known_visits, page_text, visit
from tests.factories import DebriefFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("accounts:programme_home")
REFRESH = reverse("dashboard:refresh")
YEAR_2026 = {"from": "2026-01-01", "to": "2026-12-31"}


def _filter(known) -> dict:
    return {"programme": known["programme"].pk, **YEAR_2026}


def _text(response) -> str:
    return page_text(response.content.decode())


def _visits_attended(response) -> str:
    text = _text(response)
    return text.split("Visits attended", 1)[1].split()[0]


def _another_visit(known) -> None:
    newcomer = ParticipantFactory(directorate="Primary Care")
    enrol(known["programme"], newcomer)
    visit(programme=known["programme"], participant=newcomer, day=datetime.date(2026, 6, 1))


def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_second_view_reads_the_snapshot_and_no_figure_query(client, team):
    known = known_visits()
    first = client.get(DASHBOARD, _filter(known))
    with CaptureQueriesContext(connection) as queries:
        second = client.get(DASHBOARD, _filter(known))

    assert _text(second) == _text(first)
    assert _visits_attended(second) == "3"
    statements = _statements(queries)
    # The session, the user, the programme and cohort choices, the review counts (live) and the
    # workers' heartbeat.
    assert len(statements) == 5, statements
    assert not any("placements_booking" in sql or "placements_enrolment" in sql for sql in statements)


def test_the_page_says_how_old_its_figures_are(client, team, settings):
    settings.DASHBOARD_CACHE_SECONDS = 600
    known = known_visits()

    text = _text(client.get(DASHBOARD, _filter(known)))

    assert "Figures as of " in text
    assert "They are recomputed every 10 minutes." in text


def test_new_visits_show_when_the_snapshot_expires(client, team, settings):
    settings.DASHBOARD_CACHE_SECONDS = 1
    known = known_visits()
    assert _visits_attended(client.get(DASHBOARD, _filter(known))) == "3"
    _another_visit(known)

    assert _visits_attended(client.get(DASHBOARD, _filter(known))) == "3"  # still the snapshot
    time.sleep(1.2)
    assert _visits_attended(client.get(DASHBOARD, _filter(known))) == "4"


def test_recompute_now_shows_new_visits_and_keeps_the_filter(client, team):
    known = known_visits()
    assert _visits_attended(client.get(DASHBOARD, _filter(known))) == "3"
    _another_visit(known)
    query = f"programme={known['programme'].pk}&from=2026-01-01&to=2026-12-31"

    response = client.post(REFRESH, {"query": query})

    assert response.status_code == 302
    assert response["Location"] == f"{DASHBOARD}?{query}"
    assert _visits_attended(client.get(response["Location"])) == "4"


def test_recompute_now_never_redirects_off_the_dashboard(client, team):
    response = client.post(REFRESH, {"query": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"].startswith(f"{DASHBOARD}?")


def test_with_the_setting_at_zero_every_view_computes_the_figures(client, team, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    known = known_visits()
    assert _visits_attended(client.get(DASHBOARD, _filter(known))) == "3"
    _another_visit(known)

    assert _visits_attended(client.get(DASHBOARD, _filter(known))) == "4"


def test_each_filter_has_its_own_snapshot(client, team):
    known = known_visits()
    year = client.get(DASHBOARD, _filter(known))
    march = client.get(
        DASHBOARD, {"programme": known["programme"].pk, "from": "2026-03-01", "to": "2026-03-31"}
    )
    other = client.get(DASHBOARD, {"programme": known["other"].pk, **YEAR_2026})

    assert _visits_attended(year) == "3"
    assert _visits_attended(march) == "1"
    assert "Other programme Visits from" in _text(other)
    assert _visits_attended(other) == "1"


def test_a_bad_filter_still_gets_the_error_summary_with_a_snapshot_in_the_cache(client, team):
    known = known_visits()
    client.get(DASHBOARD, _filter(known))

    response = client.get(DASHBOARD, {"programme": known["programme"].pk, "from": "not a date"})

    assert response.status_code == 400
    assert "There is a problem" in _text(response)


def test_the_review_counts_are_live_and_the_portal_totals_come_from_the_snapshot(client, team):
    known = known_visits()
    participants_then = User.objects.filter(role="participant", is_active=True).count()
    waiting_then = Debrief.objects.filter(status="submitted").count()
    client.get(DASHBOARD, _filter(known))
    DebriefFactory(status="submitted")  # and its author, a new participant

    text = _text(client.get(DASHBOARD, _filter(known)))

    assert f"Waiting for a reviewer {waiting_then + 1} " in text  # live: the team acts on it
    assert text.split("Across the portal Participants ", 1)[1].split()[0] == str(participants_then)
