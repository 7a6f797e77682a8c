"""The dashboard's review figures on PostgreSQL come from counts kept by triggers
(`debriefs.models.DashboardCount`): exact after any kind of write, the same after the changes are
folded in, and kept without two writers ever waiting for each other."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from connecting.selectors import row_counts
from debriefs.models import DashboardCountChange, Debrief, PolicyAction
from debriefs.selectors.dashboard import debrief_dashboard_counts, debrief_dashboard_querysets
from debriefs.services.dashboard import dashboard_counts_compact
from tests.factories import DebriefFactory, ProgrammeTeamFactory, insight_of

pytestmark = pytest.mark.usefixtures("postgres")


def _counted_rows() -> dict[str, int]:
    return row_counts(**debrief_dashboard_querysets())


@pytest.mark.django_db
def test_the_kept_counts_equal_the_rows_after_every_kind_of_write():
    team = ProgrammeTeamFactory(totp=False)
    debriefs = [DebriefFactory(status=status) for status in ("submitted", "submitted", "in_review", "draft")]
    approved = DebriefFactory(status="approved")
    seen = [debrief_dashboard_counts()]

    Debrief.objects.filter(status="submitted").update(status="in_review")  # two rows in one statement
    debriefs[3].status, debriefs[3].submitted_at = "submitted", timezone.now()
    debriefs[3].save(update_fields=["status", "submitted_at"])
    seen.append(debrief_dashboard_counts())
    actions = [
        PolicyAction.objects.create(debrief=debriefs[2], description=f"Action {n}", owner=team)
        for n in (1, 2)
    ]
    PolicyAction.objects.filter(pk=actions[0].pk).update(
        status="done", outcome="Told them.", done_at=timezone.now()
    )
    insight = insight_of(approved)
    seen.append(debrief_dashboard_counts())
    with connection.cursor() as cursor:  # a data fix, written by hand
        cursor.execute(
            "UPDATE debriefs_debrief SET status = 'changes_requested' WHERE id = %s", [debriefs[0].pk]
        )
    Debrief.objects.filter(pk=debriefs[1].pk).delete()
    insight.delete()
    seen.append(debrief_dashboard_counts())

    assert seen[0] == {**seen[0], "waiting": 2, "in_review": 1, "approved": 1}
    assert (
        seen[-1]
        == _counted_rows()
        == {
            "waiting": 1,
            "in_review": 1,
            "changes_requested": 1,
            "approved": 1,
            "open_policy_actions": 1,
            "insights": 0,
        }
    )
    assert seen[2]["insights"] == 1


@pytest.mark.django_db
def test_folding_the_changes_in_leaves_every_figure_as_it_was():
    for status in ("submitted", "submitted", "approved"):
        DebriefFactory(status=status)
    Debrief.objects.filter(status="approved").update(status="in_review")
    before = debrief_dashboard_counts()

    folded = dashboard_counts_compact()

    assert folded > 0
    assert not DashboardCountChange.objects.exists()
    assert debrief_dashboard_counts() == before == _counted_rows()
    assert dashboard_counts_compact() == 0


@pytest.mark.django_db
def test_truncating_the_debriefs_clears_their_counts():
    DebriefFactory(status="submitted")
    dashboard_counts_compact()
    with connection.cursor() as cursor:  # as `scale_data --wipe` empties the tables
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
        cursor.execute("TRUNCATE debriefs_debrief CASCADE")

    assert debrief_dashboard_counts() == _counted_rows() == dict.fromkeys(_counted_rows(), 0)


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_changing_states_at_once_do_not_wait_for_each_other():
    """Each moves a debrief the other way and holds its transaction open until both have written:
    had they to update the same count rows, the second would wait for the first to commit."""
    first, second = DebriefFactory(status="submitted"), DebriefFactory(status="in_review")
    both_written = threading.Barrier(2, timeout=10)
    errors = []

    def move(debrief_id: int, to: str) -> None:
        try:
            with transaction.atomic():
                Debrief.objects.filter(pk=debrief_id).update(status=to)
                both_written.wait()
        except Exception as error:  # noqa: BLE001 - every failure must reach the assertion
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=move, args=(first.pk, "in_review")),
        threading.Thread(target=move, args=(second.pk, "submitted")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert debrief_dashboard_counts() == _counted_rows()
    assert (debrief_dashboard_counts()["waiting"], debrief_dashboard_counts()["in_review"]) == (1, 1)
