"""Walk-ins claim seats with the same conditional UPDATE as book_slot: racing coaches
never overbook a slot, and whoever finds it full is recorded as an extra."""

import threading

import pytest
from django.db import connection

from appointments.models import Booking, Slot
from appointments.services import add_walk_in
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_walk_ins_fill_the_free_seats_and_the_rest_are_extras(postgres):
    from django.utils import timezone

    coach = factories.coach("Alice Adler", "alice")
    day = factories.day(on=timezone.localdate(), seats=2, coaches=[coach])
    slot = day.slots.order_by("starts_at").first()
    barrier = threading.Barrier(8)
    errors = []

    def walk_in(n):
        try:
            barrier.wait()
            add_walk_in(
                slot=slot,
                client=factories.client_details(name=f"Person {n}", email=""),
                user=coach.user,
            )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=walk_in, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    walk_ins = Booking.objects.filter(slot=slot)
    assert walk_ins.count() == 8
    assert walk_ins.filter(takes_seat=True).count() == 2
    assert Slot.objects.get(pk=slot.pk).seats_taken == 2
