"""Double clicks and two tabs on the real PostgreSQL server: each thread has its own connection, so
these are concurrent transactions contending for the same row locks, as gunicorn workers would."""

from collections import Counter

import pytest

from debriefs.models import Debrief, Insight, PartnerFeedback, Preparation, ReviewEvent
from debriefs.services.debriefs import debrief_publish, debrief_save
from debriefs.services.feedback import partner_feedback_save
from debriefs.services.preparation import preparation_save
from tests.factories import (
    BookingFactory,
    DebriefFactory,
    PartnerMembershipFactory,
    PastVisitFactory,
    ProgrammeTeamFactory,
)
from tests.support import Raised, run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def _at_once(action) -> Counter:
    """Run `action()` from THREADS threads released together; count what each one ended with."""
    results = run_at_once(action, threads=THREADS)
    return Counter(result if isinstance(result, Raised) else "ok" for result in results)


def test_a_first_debrief_submitted_from_eight_tabs_at_once_makes_one_debrief(postgres):
    booking = PastVisitFactory(status="attended")

    outcomes = _at_once(
        lambda: debrief_save(
            booking=booking,
            by=booking.participant,
            texts={"what_i_learnt": "Delays start with care packages."},
            usefulness=4,
            consent="anonymised",
            submit=True,
        )
    )

    assert outcomes == Counter({"ok": THREADS})
    assert Debrief.objects.filter(booking=booking).count() == 1
    assert list(ReviewEvent.objects.values_list("action", flat=True)) == ["submitted"]


def test_publishing_from_eight_clicks_at_once_makes_one_insight(postgres):
    debrief = DebriefFactory(status="approved", consent="named")
    team = ProgrammeTeamFactory(totp=False)

    outcomes = _at_once(
        lambda: debrief_publish(debrief=debrief, by=team, title="Care packages", body="Delays.")
    )

    assert outcomes == Counter({"ok": THREADS})
    assert Insight.objects.count() == 1
    assert list(ReviewEvent.objects.values_list("action", flat=True)) == ["published"]


def test_preparation_and_feedback_saved_at_once_make_one_record_each(postgres):
    upcoming = BookingFactory(status="confirmed")
    visited = PastVisitFactory(status="attended")
    host = PartnerMembershipFactory(partner=visited.slot.opportunity.partner).user

    preparations = _at_once(
        lambda: preparation_save(booking=upcoming, by=upcoming.participant, objectives="See the huddle")
    )
    feedback = _at_once(
        lambda: partner_feedback_save(
            booking=visited, by=host, visitor_prepared="yes", value_to_partner=5, would_host_again="yes"
        )
    )

    assert (preparations, feedback) == (Counter({"ok": THREADS}), Counter({"ok": THREADS}))
    assert (Preparation.objects.count(), PartnerFeedback.objects.count()) == (1, 1)
