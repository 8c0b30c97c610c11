"""Invariant 1: no slot is ever overbooked.

Real concurrent requests race through the booking view, each thread on its own database
connection, lined up by a barrier. The companion test swaps the guard for a naive
read-check-write and shows the same race then overbooks: the guard is what holds.
"""

import threading
import time
from datetime import time as dtime

import pytest
from django.db import connection
from django.test import Client

from appointments.models import Booking, OutreachDay, Slot
from appointments.services import seats
from tests import factories
from tests.appointments.test_booking_form import form_data

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]

ATTEMPTS = 24


def race_for(slot, attempts=ATTEMPTS):
    """POST the booking form for one slot from `attempts` threads at once."""
    forms = [
        form_data(
            slot.day, email=f"client{n}@example.org", submission_key=f"race-{n:04d}-{'k' * 24}"
        )
        for n in range(attempts)
    ]
    barrier = threading.Barrier(attempts)
    results = [None] * attempts

    def attempt(n):
        try:
            client = Client()
            connection.ensure_connection()  # connect before the start line, not after it
            barrier.wait(timeout=60)
            response = client.post(
                f"/buchen/{slot.pk}/", forms[n], REMOTE_ADDR=f"10.0.{n // 200}.{n % 200 + 1}"
            )
            results[n] = (response.status_code, response.content.decode())
        except Exception as error:  # reported by the assertions below
            results[n] = (None, repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def slot_with(capacity, taken):
    day = factories.day(seats=capacity, start=dtime(9), end=dtime(11))
    slot = day.slots.order_by("starts_at").first()
    for _ in range(taken):
        factories.booking(slot)
    return slot


@pytest.mark.parametrize("capacity, taken", [(3, 2), (2, 0)])
def test_exactly_capacity_bookings_win_the_race(capacity, taken):
    slot = slot_with(capacity, taken)

    results = race_for(slot)

    statuses = [status for status, _ in results]
    assert statuses.count(302) == capacity - taken, statuses
    assert statuses.count(409) == ATTEMPTS - (capacity - taken), statuses
    for status, body in results:
        if status == 409:
            assert "Dieser Termin wurde gerade vergeben." in body
            assert 'href="/buchen/' in body  # the next free slots
    slot.refresh_from_db()
    assert slot.seats_taken == capacity
    assert Booking.objects.filter(slot=slot).count() == capacity


def test_without_the_guard_the_same_race_overbooks(monkeypatch):
    """pretix-style proof that the lock and the conditional update are what hold."""

    def naive_lock(day_id):
        return OutreachDay.objects.get(pk=day_id)

    def naive_claim(slot):
        current = Slot.objects.get(pk=slot.pk)
        if current.seats_taken >= current.capacity:
            return False
        time.sleep(0.05)  # the gap every read-check-write has, made wide enough to see
        Slot.objects.filter(pk=slot.pk).update(seats_taken=current.seats_taken + 1)
        return True

    def naive_slot_and_day(slot_id):
        return Slot.objects.select_related("day").filter(pk=slot_id).first()

    # They live in the seats module, which every booking path goes through.
    monkeypatch.setattr(seats, "lock_day", naive_lock)
    monkeypatch.setattr(seats, "lock_slot_day", naive_slot_and_day)
    monkeypatch.setattr(seats, "claim_seat", naive_claim)
    slot = slot_with(3, 2)

    results = race_for(slot)

    winners = [status for status, _ in results].count(302)
    slot.refresh_from_db()
    assert winners > 1
    assert Booking.objects.filter(slot=slot).count() > slot.capacity
    # The counter never passed capacity, so its CHECK constraint could not notice.
    assert slot.seats_taken == slot.capacity
