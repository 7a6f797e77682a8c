"""Run in its own process by test_booking_sqlite.py: many people book one slot at once on SQLite.

It uses the portal's embedded default exactly as `scripts/run` does (a SQLite file in WAL mode,
IMMEDIATE transactions, a busy timeout) and drives the real booking view from 16 threads, each
with its own database connection. It prints one JSON line: what each person was told, and what
the database holds afterwards.
"""

import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

THREADS = 16
PEOPLE = 40
CAPACITY = 5


def main() -> None:
    call_command("migrate", verbosity=0)
    from placements.models import Booking, Slot
    from tests.factories import (
        EnrolmentFactory,
        OpportunityFactory,
        ParticipantFactory,
        ProgrammeFactory,
        SlotFactory,
    )

    programme = ProgrammeFactory(bookings_confirmed_automatically=True)
    slot = SlotFactory(
        opportunity=OpportunityFactory(programmes=[programme], minimum_notice_working_days=0),
        capacity=CAPACITY,
    )
    people = [ParticipantFactory() for _ in range(PEOPLE)]
    for person in people:
        EnrolmentFactory(programme=programme, participant=person)
    # Everyone signs in first, one after another, so the storm is only the bookings themselves.
    clients = []
    for person in people:
        client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
        client.force_login(person)
        clients.append(client)
    connection.close()
    url = reverse("bookings:request", args=[slot.pk])
    barrier = threading.Barrier(THREADS)
    answers: dict[int, list] = {}
    queue = iter(enumerate(zip(people, clients, strict=True)))
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait(timeout=60)
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                index, (person, client) = item
                response = client.post(url, {"join_waitlist": "1" if index % 2 else ""})
                answers[person.pk] = [response.status_code, response.headers.get("Location", "")]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for future in [pool.submit(worker) for _ in range(THREADS)]:
            future.result()
    bookings = {b.participant_id: b.status for b in Booking.objects.filter(slot=slot)}
    print(
        json.dumps(
            {
                "answers": {str(k): v for k, v in answers.items()},
                "bookings": {str(k): v for k, v in bookings.items()},
                "places_held": Slot.objects.get(pk=slot.pk).places_held,
                "capacity": CAPACITY,
                "detail_prefix": reverse("bookings:detail", args=[0]).rsplit("0/", 1)[0],
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
