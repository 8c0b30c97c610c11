"""On PostgreSQL, bookings racing a day's cancellation: every booking that got in is
cancelled and told once, and none gets in afterwards."""

import threading
from functools import partial

import pytest
from django.db import connection

from appointments.models import BookingStatus, DayStatus, MailKind, OutgoingMail
from appointments.services import BookingError, book_slot, cancel_day
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]


def run_together(jobs):
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except BookingError as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_no_booking_survives_a_concurrent_cancel():
    day = factories.day(seats=3)
    slot_ids = list(day.slots.values_list("pk", flat=True))
    clients = [factories.client_details() for _ in range(8)]
    jobs = [
        partial(book_slot, slot_id=slot_ids[i % len(slot_ids)], client=c)
        for i, c in enumerate(clients)
    ]
    jobs.insert(4, partial(cancel_day, day=day, reason="Rathaus zu"))
    run_together(jobs)

    day.refresh_from_db()
    assert day.status == DayStatus.CANCELLED
    bookings = day.bookings.all()
    assert not bookings.filter(status=BookingStatus.CONFIRMED).exists()
    notices = OutgoingMail.objects.filter(kind=MailKind.DAY_CANCELLED)
    assert notices.count() == bookings.count()
    assert sorted(notices.values_list("booking_id", flat=True)) == sorted(
        bookings.values_list("pk", flat=True)
    )
    assert set(day.slots.values_list("seats_taken", flat=True)) == {0}
