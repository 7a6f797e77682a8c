"""On the embedded SQLite default, concurrent bookings get true answers and no locking errors."""

import json

from tests.support import portal_env, run_portal


def test_concurrent_bookings_on_sqlite_get_true_answers(tmp_path):
    result = run_portal(["-m", "tests.sqlite_storm"], portal_env(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "database is locked" not in result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    answers, bookings = outcome["answers"], outcome["bookings"]

    assert len(answers) == 40
    assert {code for code, _location in answers.values()} <= {302, 400}
    for person, (code, location) in answers.items():
        if code == 302:
            # Told "booked" (or "waiting"): the booking is really there, and the page names it.
            assert person in bookings
            assert location.startswith(outcome["detail_prefix"])
        else:
            # Told "refused": nothing was saved for them.
            assert person not in bookings
    holding = [status for status in bookings.values() if status == "confirmed"]
    assert len(holding) == outcome["places_held"] == outcome["capacity"]
    assert set(bookings.values()) == {"confirmed", "waitlisted"}
