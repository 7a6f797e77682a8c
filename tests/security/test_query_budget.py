"""The query budget (issue 9): every page of the portal, as each visitor it answers 200 to, takes at
most QUERY_BUDGET SQL queries, counted as production runs them; and the pages that list things
without a query-count test of their own take as many queries for three rows as for one.

The pages and visitors come from the permission matrix (tests/security/test_permission_matrix.py),
so a new page is budgeted as soon as it is in the matrix. Savepoints are not counted: in production
the request's transaction (ATOMIC_REQUESTS) is the connection's own BEGIN/COMMIT, while under test
it nests in the test's transaction and shows up as SAVEPOINT/RELEASE SAVEPOINT statements.

Each visitor is signed in afresh, so the session's clocks were stamped at sign-in, seconds ago: the
session middleware saves nothing (connecting.middleware.SESSION_ACTIVITY_RESOLUTION_SECONDS).
"""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from debriefs.models import PolicyAction
from debriefs.services.rollup import theme_rollup_refresh
from partners.models import PartnerBlackout
from placements.models import Theme
from placements.taxonomy import policy_areas_seed
from tests.factories import PartnerMembershipFactory, SlotFactory
from tests.security.matrix import VISITORS, client_for
from tests.security.test_permission_matrix import MATRIX
from tests.surveys.support import SurveyInvitationFactory, SurveyQuestionFactory

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 12

_TRANSACTION_CONTROL = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")


def counted(captured: CaptureQueriesContext) -> list[str]:
    """The statements production would send: everything but the test's nested savepoints."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].startswith(_TRANSACTION_CONTROL)
    ]


@pytest.fixture(scope="module")
def budget_world(world, django_db_blocker):
    """The matrix's world with what a live portal always has: the policy areas (every form that
    offers them lists them), some of them on X's opportunity and A's debrief, and the theme roll-up
    brought up to date (so the dashboard and impact pack read a trend and its quotes). Written
    inside the world's own transaction, so it goes when the world does."""
    with django_db_blocker.unblock():
        policy_areas_seed()
        themes = list(Theme.objects.order_by("pk")[:2])
        world.opportunity_x.policy_areas.set(themes)
        world.debrief_a.themes.set(themes)
        theme_rollup_refresh()
    return world


def _queries(client, url: str) -> list[str]:
    """One GET's statements; whatever it wrote is rolled back."""
    saved = transaction.savepoint()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    transaction.savepoint_rollback(saved)
    assert response.status_code == 200, url
    return counted(captured)


PAGES = sorted(
    name for name, expect in MATRIX.items() if any(expect.get_outcome(visitor) == 200 for visitor in VISITORS)
)


@pytest.mark.parametrize("name", PAGES)
def test_page_is_within_the_query_budget(name, budget_world):
    expect = MATRIX[name]
    url = expect.url(name, budget_world)
    queries = {
        visitor: _queries(client_for(budget_world, visitor), url)
        for visitor in VISITORS
        if expect.get_outcome(visitor) == 200
    }

    over = {visitor: len(sql) for visitor, sql in queries.items() if len(sql) > QUERY_BUDGET}
    assert over == {}, f"GET {url}:\n" + "\n".join(
        f"{visitor}:\n  " + "\n  ".join(statement[:160] for statement in queries[visitor]) for visitor in over
    )


# --- Pages that list things: as many queries for three rows as for one ------------------------------
# The world holds one of each listed thing; `add_two` adds two more. Lists with a query-count test
# of their own (grep CaptureQueriesContext in tests/) are not repeated here.


def _two_slots(w):
    for days in (40, 50):
        SlotFactory(opportunity=w.opportunity_x, days_ahead=days)


def _two_blackouts(w):
    for days in (90, 120):
        starts = timezone.localdate() + datetime.timedelta(days=days)
        PartnerBlackout.objects.create(
            partner=w.partner_x, starts_on=starts, ends_on=starts, reason="Audit", created_by=w.contact_x
        )


def _two_contacts_and_blackouts(w):
    for _ in range(2):
        PartnerMembershipFactory(partner=w.partner_x)
    _two_blackouts(w)


def _two_policy_actions(w):
    for n in range(2):
        PolicyAction.objects.create(
            debrief=w.debrief_a, description=f"Follow-up {n}", owner=w.team, created_by=w.team
        )


def _two_questions_and_invitations(w):
    for position in (2, 3):
        SurveyQuestionFactory(survey=w.survey, position=position)
        SurveyInvitationFactory(survey=w.survey)


LISTS = [
    ("opportunities:detail", "partner_x", _two_slots),
    ("opportunities:detail", "team", _two_slots),
    ("partners:detail", "partner_x", _two_contacts_and_blackouts),
    ("partners:detail", "team", _two_contacts_and_blackouts),
    ("partners:capacity", "partner_x", _two_blackouts),
    ("review:detail", "team", _two_policy_actions),
    ("surveys:detail", "team", _two_questions_and_invitations),
    ("surveys:results", "team", _two_questions_and_invitations),
]


@pytest.mark.parametrize(("name", "visitor", "add_two"), LISTS)
def test_list_page_takes_as_many_queries_for_three_rows_as_for_one(name, visitor, add_two, budget_world):
    url = MATRIX[name].url(name, budget_world)
    client = client_for(budget_world, visitor)
    saved = transaction.savepoint()
    try:
        one = _queries(client, url)
        add_two(budget_world)
        three = _queries(client, url)
    finally:
        transaction.savepoint_rollback(saved)

    assert len(three) == len(one), "\n".join(three)
