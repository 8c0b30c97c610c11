"""Each database constraint refuses the bad row on PostgreSQL, whatever the code does."""

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from appointments.models import Booking, OutreachDay, OutreachSeries, Slot
from tests import factories

pytestmark = pytest.mark.usefixtures("postgres")


def refused(action):
    with pytest.raises(IntegrityError), transaction.atomic():
        action()


def test_a_day_must_end_after_it_starts():
    day = factories.day()
    refused(lambda: OutreachDay.objects.filter(pk=day.pk).update(ends_at=F("starts_at")))


def test_a_slot_must_end_after_it_starts():
    slot = factories.day().slots.first()
    refused(lambda: Slot.objects.filter(pk=slot.pk).update(ends_at=F("starts_at")))


def test_a_series_must_end_after_it_starts():
    day = factories.day()
    refused(
        lambda: OutreachSeries.objects.create(
            site=day.site,
            team=factories.team(),
            weekday=1,
            week_of_month=2,
            start_time=time(12),
            end_time=time(9),
            starts_on=day.date,
            ends_on=day.date,
        )
    )


def test_a_slot_has_at_least_one_seat():
    slot = factories.day().slots.first()
    refused(lambda: Slot.objects.filter(pk=slot.pk).update(capacity=0, seats_taken=0))


def test_a_day_has_at_least_one_seat_per_slot():
    day = factories.day()
    refused(lambda: OutreachDay.objects.filter(pk=day.pk).update(seats_per_slot=0))


def test_one_slot_per_day_and_start():
    slot = factories.day().slots.first()
    refused(
        lambda: Slot.objects.create(
            day=slot.day, starts_at=slot.starts_at, ends_at=slot.ends_at + timedelta(minutes=5)
        )
    )


def test_one_day_per_site_and_date():
    day = factories.day()
    refused(lambda: factories.day(day.site, on=day.date))


def test_seats_taken_never_exceed_capacity():
    slot = factories.day(seats=2).slots.first()
    Slot.objects.filter(pk=slot.pk).update(seats_taken=2)
    refused(lambda: Slot.objects.filter(pk=slot.pk).update(seats_taken=F("seats_taken") + 1))


def test_one_confirmed_booking_per_email_and_day():
    day = factories.day()
    first, second = day.slots.all()[:2]
    booking, _ = factories.booking(first, email="maria@example.org")
    refused(
        lambda: Booking.objects.create(
            slot=second, day=day, reference="TEST-0001", name="Maria", email="maria@example.org"
        )
    )


def test_a_monthly_series_has_its_week_of_the_month():
    """Without it the rule has no dates; generation used to fail with a TypeError."""
    day = factories.day()
    refused(
        lambda: OutreachSeries.objects.create(
            site=day.site,
            team=factories.team(),
            weekday=1,
            week_of_month=None,
            start_time=time(9),
            end_time=time(12),
            starts_on=day.date,
            ends_on=day.date,
        )
    )
