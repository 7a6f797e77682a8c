#!/usr/bin/env python
"""Load benchmark at national scale (issue 9): gunicorn with 2 sync workers on PostgreSQL holding
the scale data (`manage.py scale_data`), driven over loopback by 16 concurrent client threads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/connecting_bench .venv/bin/python scripts/bench/load.py

The database name must end in `_bench`; it is created and
migrated if missing, and filled with `scale_data` when it holds none (`--scale`, default 1.0).
Prints a Markdown report and appends it to docs/performance.md (unless `--no-write`).
"""

import argparse
import datetime
import json
import math
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browse import _configure_environment, _create_database_if_missing  # noqa: E402

CONNECTIONS = 16
SLOW_SECONDS = 3
WORKERS = 2
SESSIONS = 32  # sessions per role, rotated per request so no two connections update one session row
BOOKERS = 400
BOOKING_SLOTS = 600
TRIES_PER_SLOT = 10  # more people than places: refused requests, and a check for overbooking
KEYWORDS = "discharge team"
DOCS = ROOT / "docs" / "performance.md"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _memory_kib(pid: int, field: str) -> int:
    """A field of /proc/PID/status (VmRSS, VmHWM) or smaps_rollup (Pss), in KiB; 0 once it is gone."""
    path = Path(f"/proc/{pid}/smaps_rollup" if field == "Pss" else f"/proc/{pid}/status")
    try:
        for line in path.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rollup_in_worker() -> dict:
    """The full roll-up as production runs it: `theme_rollup_refresh_task` in a real Celery worker
    (prefork, 2 processes, as in docker-compose.yml) on this run's Redis, on a queue of its own.
    Run twice: the first build, then a full rebuild replacing its rows (the harder case: it deletes
    about a million rows first). The times are the worker's own ("succeeded in"); the memory is the peak RSS of the process that
    ran it and the peak proportional set size of the whole worker (parent and both children,
    sampled every 0.2 s; PSS shares the pages they share after the fork instead of counting them
    three times)."""
    import uuid

    from debriefs.tasks import theme_rollup_refresh_task

    queue = f"bench-rollup-{uuid.uuid4().hex[:8]}"
    log_path = Path(tempfile.mkstemp(suffix=".celery.log")[1])
    with log_path.open("w") as log:
        worker = subprocess.Popen(  # noqa: S603 - fixed command
            [sys.executable, "-m", "celery", "-A", "connecting", "worker", "--pool=prefork", "--concurrency=2",
             "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel=INFO"],
            cwd=ROOT, env=os.environ, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while " ready." not in log_path.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        peak_pss = 0
        peak_rss: dict[int, int] = {}
        seconds = []
        # Twice: the first build (on the scale data, an empty roll-up) and a full rebuild that
        # replaces the rows the first made, as `full=True` does on a live portal.
        for _ in range(2):
            sent = theme_rollup_refresh_task.apply_async(kwargs={"full": True}, queue=queue)
            while True:
                processes = [worker.pid, *_children(worker.pid)]
                peak_pss = max(peak_pss, sum(_memory_kib(pid, "Pss") for pid in processes))
                for pid in processes:
                    peak_rss[pid] = max(peak_rss.get(pid, 0), _memory_kib(pid, "VmHWM"))
                output = log_path.read_text()
                finished = [
                    line
                    for line in output.splitlines()
                    if sent.id in line and (" succeeded in " in line or " raised " in line)
                ]
                if finished:
                    break
                if worker.poll() is not None or time.monotonic() > deadline + 30 * 60:
                    raise RuntimeError(f"the roll-up did not finish:\n{output[-3000:]}")
                time.sleep(0.2)
            if " raised " in finished[0]:
                raise RuntimeError(f"the roll-up failed in the worker:\n{output[-3000:]}")
            seconds.append(float(finished[0].split(" succeeded in ", 1)[1].split("s", 1)[0]))
        reprocessed = [line for line in output.splitlines() if "debriefs reprocessed" in line]
        debriefs = int(reprocessed[-1].split("theme roll-up: ", 1)[1].split()[0]) if reprocessed else 0
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
        log_path.unlink()
    children = [pid for pid in peak_rss if pid != worker.pid]
    return {
        "seconds": seconds[0],
        "again_seconds": seconds[1],
        "debriefs": debriefs,
        "peak_rss_mib": max(peak_rss[pid] for pid in children) / 1024,
        "parent_rss_mib": peak_rss[worker.pid] / 1024,
        "worker_pss_mib": peak_pss / 1024,
    }


def _settle(cursor, *, vacuum: bool = True) -> None:
    """Before a timed phase: the tables vacuumed and analysed, as autovacuum leaves them soon after
    a bulk load or a full roll-up rewrote them (only analysed when `vacuum` is False: changes made
    just before), and the writes of what came before flushed to disk, so the phase is not timed
    against their write-back."""
    cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    cursor.execute("CHECKPOINT")
    os.sync()


def _phase(name: str) -> dict:
    """Run one timed phase in a fresh process (so its peak RSS is its own); returns its JSON."""
    output = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--phase", name],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run_phase(name: str) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from connecting.reminders import reminders_schedule
    from debriefs.services.rollup import theme_rollup_refresh

    result: dict = {}
    start = time.perf_counter()
    if name == "rollup-incremental":
        with connection.cursor() as cursor:
            # 1,000 debriefs handed in or edited since the last refresh: 500 drafts submitted, 500 re-themed.
            cursor.execute(
                "UPDATE debriefs_debrief SET status = 'submitted', submitted_at = now(), updated_at = now() "
                "WHERE id IN (SELECT id FROM debriefs_debrief WHERE status = 'draft' ORDER BY id LIMIT 500)"
            )
            cursor.execute(
                "WITH picked AS (SELECT id FROM debriefs_debrief WHERE status = 'approved' ORDER BY id DESC "
                "LIMIT 500) UPDATE debriefs_debrief SET what_i_learnt = what_i_learnt || ' Corridor care again.', "
                "updated_at = now() WHERE id IN (SELECT id FROM picked)"
            )
            cursor.execute(
                "INSERT INTO debriefs_debrief_themes (debrief_id, theme_id) SELECT d.id, "
                "(SELECT min(id) FROM placements_theme) FROM debriefs_debrief d WHERE d.status = 'approved' "
                "AND d.id IN (SELECT id FROM debriefs_debrief WHERE status = 'approved' ORDER BY id DESC LIMIT 500) "
                "ON CONFLICT DO NOTHING"
            )
            _settle(cursor, vacuum=False)  # the debriefs just changed: as the refresh beat finds them
        start = time.perf_counter()
        outcome = theme_rollup_refresh()
        result = {"seconds": time.perf_counter() - start, "debriefs": outcome.debriefs_reprocessed}
    elif name == "reminders":
        now = timezone.now()
        first = reminders_schedule(now=now)
        first_seconds = time.perf_counter() - start
        start = time.perf_counter()
        second = reminders_schedule(now=now)
        result = {
            "seconds": first_seconds,
            "queued": sum(first.values()),
            "detail": first,
            "second_seconds": time.perf_counter() - start,
            "second_queued": sum(second.values()),
        }
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, default=str))


def _load(
    port: int,
    lines: list[tuple[str, str, str]],
    method: str,
    seconds: float,
    *,
    connections: int = CONNECTIONS,
) -> dict:
    """`connections` threads, each sending requests back to back (at least one) for `seconds`, cycling
    through `lines` (cookie, path, body). gunicorn's sync workers close every connection, so each
    request opens one. A thread waits for its answer however long it takes, so no backlog of
    abandoned requests is left queued in gunicorn to slow the next page down."""
    import http.client
    import itertools
    import threading

    cursor = itertools.count()
    latencies: list[float] = []
    errors = {"status": 0, "connect": 0, "refused": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        mine, failed = [], {"status": 0, "connect": 0, "refused": 0}
        while not mine or time.perf_counter() < deadline:
            cookie, path, body = lines[next(cursor) % len(lines)]
            headers = {"Cookie": cookie, "Host": "127.0.0.1"}
            if method == "POST":
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                conn.request(method, path, body=body.encode() if method == "POST" else None, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except OSError:
                failed["connect"] += 1
                if time.perf_counter() >= deadline:
                    break
                continue
            mine.append(time.perf_counter() - start)
            if response.status >= 500:
                failed["status"] += 1
            elif response.status >= 400:  # a form shown again with its error (a full slot, ...)
                failed["refused"] += 1
        with lock:
            latencies.extend(mine)
            for key, value in failed.items():
                errors[key] += value

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "errors_status": errors["status"],
        "errors_connect": errors["connect"],
        "refused": errors["refused"],
        "errors_read": 0,
        "errors_timeout": 0,
    }


def machine_description() -> str:
    from django.db import connection

    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "unknown")  # fmt: skip
    kib = int(
        next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute(
            "SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers','work_mem','jit')"
        )
        pgs = ", ".join(f"{n}={s}{u or ''}" for n, s, u in cursor.fetchall())
    import django

    return (
        f"{cpu}, nproc {os.cpu_count()}, {kib / 1024 / 1024:.0f} GiB RAM; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Django {django.get_version()}; PostgreSQL {pg} ({pgs}); "
        f"load average before the run {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=1.0, help="scale_data size when the database is empty")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per page (default 20)")
    parser.add_argument(
        "--http-only", action="store_true", help="skip the roll-up, reminder and check timings"
    )
    parser.add_argument("--no-write", action="store_true", help="do not append to docs/performance.md")
    parser.add_argument(
        "--pages",
        default="",
        help="measure only the pages whose label contains one of these comma-separated words "
        "(case-insensitive; the baseline is always measured, 'booking' selects the POST)",
    )
    args = parser.parse_args()

    url = _configure_environment()
    os.environ["BENCHMARK_PAGES"] = "1"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    os.environ.setdefault("CACHE_KEY_PREFIX", "bench")
    if args.phase:
        run_phase(args.phase)
        return
    _create_database_if_missing(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, F, Q
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from connecting.accounts.models import User
    from connecting.scale import TEAM_EMAIL, participant_email, scale_data_build
    from partners.models import PartnerStatus
    from placements.models import (
        PLACE_TAKING_STATUSES,
        Booking,
        Opportunity,
        OpportunityStatus,
        Programme,
        Slot,
        VettingLevel,
    )

    report: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        report.append(line)

    call_command("migrate", verbosity=0)
    if not User.objects.filter(email=participant_email(1)).exists():
        start = time.perf_counter()
        counts = scale_data_build(scale=args.scale, log=lambda m: print("  " + m, flush=True))
        print(f"Scale data written in {time.perf_counter() - start:.1f} s: {counts}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"## Load benchmark, {datetime.date.today():%Y-%m-%d}")
    say()
    say(f"- Machine: {machine_description()}")
    sizes = {
        "partners": "partners_partner", "opportunities": "placements_opportunity", "slots": "placements_slot",
        "participants": "accounts_user", "bookings": "placements_booking", "debriefs": "debriefs_debrief",
        "insights": "debriefs_insight",
    }  # fmt: skip
    with connection.cursor() as cursor:
        found = {}
        for key, table in sizes.items():
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            found[key] = cursor.fetchone()[0]
    say(
        "- Data: "
        + ", ".join(f"{v:,} {k}" for k, v in found.items())
        + " (users include partner contacts and team)"
    )
    say(
        f"- Load: {CONNECTIONS} client threads (Python, http.client, same machine), {args.duration} s per page after a warm-up; gunicorn {WORKERS} sync workers"
    )
    say()

    # Timed phases first: the dashboard then reads fresh summary tables.
    with connection.cursor() as cursor:
        _settle(cursor)
    skipped = {"seconds": float("nan"), "debriefs": 0, "peak_rss_mib": float("nan")}
    full = (
        dict(skipped, again_seconds=float("nan"), parent_rss_mib=float("nan"), worker_pss_mib=float("nan"))
        if args.http_only
        else _rollup_in_worker()
    )
    print(f"  full roll-up: {full}", flush=True)
    with connection.cursor() as cursor:
        _settle(cursor)  # the full roll-up rewrote its tables: fresh statistics, as autovacuum would give
    incremental = skipped if args.http_only else _phase("rollup-incremental")
    print(f"  incremental roll-up: {incremental}", flush=True)
    with connection.cursor() as cursor:
        _settle(cursor)
    reminders = (
        dict(skipped, queued=0, detail={}, second_seconds=float("nan"), second_queued=0)
        if args.http_only
        else _phase("reminders")
    )
    print(f"  reminders: {reminders}", flush=True)
    with connection.cursor() as cursor:
        _settle(cursor)
    checks = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "check"], capture_output=True, check=True)  # noqa: S603
        checks.append(time.perf_counter() - start)
    with connection.cursor() as cursor:
        _settle(cursor)

    # Sessions (DB-backed, as in production) and a CSRF token pair for the POSTs.
    def session(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    participants = list(User.objects.filter(email__startswith="scale-participant-").order_by("pk")[:BOOKERS])
    team = User.objects.get(email=TEAM_EMAIL)
    secret = _get_new_csrf_string()
    token = _mask_cipher_secret(secret)
    p_cookies = [f"sessionid={session(p)}; csrftoken={secret}" for p in participants[:SESSIONS]]
    t_cookies = [f"sessionid={session(team)}; csrftoken={secret}" for _ in range(SESSIONS)]

    now = timezone.now()
    visible = Opportunity.objects.filter(
        status=OpportunityStatus.PUBLISHED, partner__status=PartnerStatus.ACTIVE
    )
    detail = visible.filter(slots__starts_at__gt=now).annotate(n=Count("slots")).order_by("-n", "pk").first()
    programme = Programme.objects.get(slug="scale-connecting")
    booking_slots = list(
        Slot.objects.filter(
            opportunity__in=visible.filter(
                programmes=programme, vetting_level=VettingLevel.NONE, partner__max_visitors_per_week__isnull=True,
                partner__max_visitors_per_month__isnull=True, partner__blackouts__isnull=True, is_remote=False,
            ),
            starts_at__gt=now + datetime.timedelta(days=45), places_held__lt=F("capacity"),
        ).order_by("pk")[:BOOKING_SLOTS]
    )  # fmt: skip
    enrolled = list(
        User.objects.filter(enrolments__programme=programme).exclude(bookings__slot__in=booking_slots).order_by("pk")[:BOOKERS]
    )  # fmt: skip
    booker_cookies = {p.pk: f"sessionid={session(p)}; csrftoken={secret}" for p in enrolled}
    # Concurrent requests for one slot arrive together: every slot's first try, then every second one...
    post_lines = []
    for j in range(TRIES_PER_SLOT):
        for k, slot in enumerate(booking_slots):
            person = enrolled[(k * 7 + j) % len(enrolled)]
            post_lines.append(
                (booker_cookies[person.pk], f"/bookings/request/{slot.pk}/",
                 f"csrfmiddlewaretoken={token}&programme={programme.pk}&line_manager_email=")
            )  # fmt: skip

    query = KEYWORDS.replace(" ", "+")
    pages = {
        "Baseline (1 indexed query, small template)": (p_cookies, "/bench/baseline/?id=3"),
        "Browse: sector + region + keywords": (
            p_cookies,
            f"/find/?q={query}&sector=acute_nhs_trust&region=london",
        ),
        "Opportunity detail": (p_cookies, f"/find/{detail.pk}/"),
        "My visits": (p_cookies, "/visits/"),
        "Review queue": (t_cookies, "/review/"),
        "Learning library search": (p_cookies, "/library/?q=discharge"),
        "Programme dashboard": (t_cookies, "/account/programme-team/"),
    }

    wanted = [word.strip().lower() for word in args.pages.split(",") if word.strip()]

    def chosen(label: str) -> bool:
        return not wanted or label.startswith("Baseline") or any(word in label.lower() for word in wanted)

    pages = {label: page for label, page in pages.items() if chosen(label)}
    measure_booking = chosen("Booking (POST, logged in)")

    port = _free_port()
    env = dict(os.environ)
    log = open(tempfile.mkstemp(suffix=".gunicorn.log")[1], "w")  # noqa: SIM115
    server = subprocess.Popen(  # noqa: S603 - fixed command
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "connecting.wsgi", "-w", str(WORKERS), "-k", "sync",
         "-b", f"127.0.0.1:{port}", "--timeout", "300"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    results: dict[str, dict] = {}
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        # Warm every worker: concurrent requests to every page.
        # Warm every worker: one request per worker at once, to every page. A page whose warm-up
        # request took over SLOW_SECONDS is measured with one connection per worker: at 16 it
        # would queue for minutes.
        warm = {}
        for label, (cookies, path) in pages.items():
            warm[label] = _load(port, [(c, path, "") for c in cookies], "GET", 0, connections=WORKERS)
            print(f"  warm-up {label}: {warm[label]['p50']:.0f} ms", flush=True)
        for label, (cookies, path) in pages.items():
            connections = WORKERS if warm[label]["p99"] > SLOW_SECONDS * 1000 else CONNECTIONS
            results[label] = _load(
                port, [(c, path, "") for c in cookies], "GET", args.duration, connections=connections
            )
            results[label]["connections"] = connections
            print(f"  {label}: {results[label]}", flush=True)
        started = timezone.now()
        if measure_booking:
            results["Booking (POST, logged in)"] = _load(port, post_lines, "POST", args.duration)
            results["Booking (POST, logged in)"]["connections"] = CONNECTIONS
            print(f"  booking: {results['Booking (POST, logged in)']}", flush=True)
        rss = [_memory_kib(pid, "VmRSS") / 1024 for pid in _children(server.pid)]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    touched = Slot.objects.filter(pk__in=[s.pk for s in booking_slots]).annotate(
        taking=Count("bookings", filter=Q(bookings__status__in=PLACE_TAKING_STATUSES))
    )
    mismatched = touched.exclude(places_held=F("taking")).count()
    over = touched.filter(places_held__gt=F("capacity")).count()
    made = Booking.objects.filter(created_at__gte=started).count()

    base = results["Baseline (1 indexed query, small template)"]["rps"]
    say(
        "| Page | Connections | Requests | Requests/s | p50 (ms) | p95 (ms) | p99 (ms) | vs baseline | Errors | Refused (4xx) |"
    )
    say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, r in results.items():
        errors = r["errors_status"] + r["errors_connect"] + r["errors_read"] + r["errors_timeout"]
        say(
            f"| {label} | {r['connections']} | {r['requests']} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | "
            f"{r['rps'] / base:.0%} | {errors} | {r['refused']} |"
        )
    say()
    say(
        f"- Booking POST: {made} bookings made; {len(booking_slots)} slots targeted, {TRIES_PER_SLOT} people each; "
        f"slots whose places held differ from their place-taking rows: {mismatched}; over capacity: {over}."
    )
    say(
        f"- Full theme roll-up, as a task in a Celery worker (prefork, 2 processes): {full['seconds']:.1f} s over "
        f"{full['debriefs']:,} debriefs, then {full['again_seconds']:.1f} s replacing what it made; peak RSS {full['peak_rss_mib']:.0f} MiB in the process that ran it "
        f"({full['parent_rss_mib']:.0f} MiB the worker's parent); the whole worker's peak PSS {full['worker_pss_mib']:.0f} MiB."
    )
    say(
        f"- Incremental roll-up after 1,000 changed debriefs: {incremental['seconds']:.2f} s ({incremental['debriefs']} reprocessed)."
    )
    say(
        f"- Reminder scan: {reminders['seconds']:.1f} s, {reminders['queued']:,} queued ({reminders['detail']}); "
        f"second scan {reminders['second_seconds']:.1f} s, {reminders['second_queued']} queued; peak RSS {reminders['peak_rss_mib']:.0f} MiB."
    )
    say(f"- Web worker RSS after the run: {', '.join(f'{m:.0f} MiB' for m in rss)}.")
    say(
        f"- `manage.py check`: median {statistics.median(checks):.2f} s of 3 ({', '.join(f'{c:.2f}' for c in checks)})."
    )
    say()

    # EXPLAIN ANALYZE of the slowest query of the two slowest GET pages (lowest throughput).
    slowest = sorted((r["rps"], label) for label, r in results.items() if label in pages)[:2]
    client = Client()
    for _, label in slowest:
        cookies, path = pages[label]
        client.force_login(team if cookies is t_cookies else participants[0])
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        worst = max(captured.captured_queries, key=lambda q: float(q["time"]))
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + worst["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        say(
            f"### Slowest query of {label} ({path}): {float(worst['time']) * 1000:.1f} ms, {len(captured.captured_queries)} queries on the page"
        )
        say()
        say("```")
        say(worst["sql"][:3000])
        say()
        say(plan)
        say("```")
        say()
    if not args.no_write:
        with DOCS.open("a") as docs:
            docs.write("\n" + "\n".join(report) + "\n")
        print(f"Appended to {DOCS}")


if __name__ == "__main__":
    main()
