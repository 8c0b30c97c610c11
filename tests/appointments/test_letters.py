"""The seat an invitation letter reserves goes through book_slot: a seat taken meanwhile
is never doubled, the letter takes the next free one, and a full day is refused."""

from datetime import time

import pytest

from appointments.models import Booking, Channel, Slot
from appointments.services.letters import NoSlotFree, reserve_for_letter
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_seat_taken_between_the_list_and_the_lock_goes_to_the_next_slot(monkeypatch):
    day = factories.day()
    first, second = day.slots.order_by("starts_at")[:2]
    factories.booking(first, name="Online-Kundin")
    # The letter's list of free slots is read before the lock; here it is stale, as when
    # an online client took the first seat in between. The lock and re-check must win.
    monkeypatch.setattr(Slot.objects, "bookable", lambda now=None: Slot.objects.all())
    reservation = reserve_for_letter(day=day, client=factories.client_details(name="Per Brief"))
    assert reservation.booking.slot_id == second.pk
    assert reservation.booking.channel == Channel.LETTER
    first.refresh_from_db()
    assert first.seats_taken == first.capacity == 1
    assert Booking.objects.filter(slot=first).count() == 1


def test_a_full_day_is_refused_and_nothing_is_written():
    day = factories.day(end=time(10))
    for slot in day.slots.all():
        factories.booking(slot)
    before = Booking.objects.count()
    with pytest.raises(NoSlotFree):
        reserve_for_letter(day=day, client=factories.client_details(name="Per Brief"))
    assert Booking.objects.count() == before
