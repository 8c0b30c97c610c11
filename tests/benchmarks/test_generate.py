"""The benchmark data generator, on a tiny country: it must keep loading into the current
schema and keep every invariant the app promises, or `make bench` measures nonsense."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, Q

from appointments.models import Booking, BookingToken, DayCoach, OutreachDay, Slot
from tests.conftest import require


@pytest.mark.django_db(transaction=True)
def test_it_fills_a_small_country_and_keeps_the_invariants():
    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")
    from benchmarks import generate

    fixture = generate.generate(300, districts=1, write_fixture=False)

    assert OutreachDay.objects.count() == fixture["days"] > 24 * 25 - 5
    assert Booking.objects.count() == fixture["bookings_total"] >= 300
    assert BookingToken.objects.count() == Booking.objects.count()
    seat_taking = Count(
        "bookings", filter=Q(bookings__takes_seat=True) & ~Q(bookings__status="cancelled")
    )
    assert not Slot.objects.annotate(n=seat_taking).exclude(seats_taken=F("n")).exists()
    assert not Slot.objects.filter(seats_taken__gt=F("capacity")).exists()
    assert DayCoach.objects.filter(coach_id=1).count() == len(
        set(DayCoach.objects.filter(coach_id=1).values_list("day__date", flat=True))
    )
    assert fixture["race_day"]["free_seats"] == 10
    coach = get_user_model().objects.get(username=fixture["coach"]["username"])
    assert coach.check_password(fixture["coach"]["password"])
