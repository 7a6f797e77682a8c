"""The review queue at scale: read through its partial index, without the debriefs' long texts,
and the team list through its own index (issue 9). Plans are checked with sequential scans
switched off: a handful of test rows would otherwise never need an index."""

import pytest
from django.db import connection

from debriefs.selectors.review import debrief_review_queue, programme_team_choices
from tests.debriefs.review_support import handed_in
from tests.factories import ParticipantFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db


def _plan(queryset, *, sort: bool = True) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # LOCAL: undone with the test's transaction.
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not sort:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_review_queue_page_reads_the_awaiting_index_in_queue_order(postgres):
    team = ProgrammeTeamFactory()
    for status in ("submitted", "in_review", "changes_requested", "approved", "published"):
        handed_in(status=status)

    plan = _plan(debrief_review_queue(user=team)[:25])
    # With sorting discouraged too, the plan must take the queue's order from an index.
    unsorted = _plan(debrief_review_queue(user=team)[:25], sort=False)

    assert "debriefs_debrief_awaiting" in plan
    assert ("debriefs_debrief_awaiting" in unsorted, "Sort" in unsorted) == (True, False)


def test_review_queue_rows_leave_the_debriefs_texts_and_the_opportunity_descriptions_unread(
    django_assert_num_queries,
):
    team = ProgrammeTeamFactory()
    handed_in(what_i_saw="A long account of the visit")

    with django_assert_num_queries(1):
        [row] = list(debrief_review_queue(user=team))
        shown = (
            str(row.booking.participant),
            row.booking.slot.opportunity.title,
            row.booking.slot.opportunity.partner.name,
            row.booking.slot.starts_at,
            row.submitted_at,
            row.status,
            row.reviewer,
            row.flagged,
        )

    assert shown[1].startswith("A day at ")
    assert {"what_i_saw", "what_i_learnt", "policy_implications"} <= row.get_deferred_fields()
    assert {"what_you_will_do", "summary"} <= row.booking.slot.opportunity.get_deferred_fields()


def test_programme_team_choices_reads_the_team_index(postgres):
    members = [ProgrammeTeamFactory(full_name=name) for name in ("Zoe", "Ann")]
    ParticipantFactory()

    assert "accounts_user_team" in _plan(programme_team_choices())
    assert list(programme_team_choices()) == [members[1], members[0]]
