"""Invariant 5: personal data is erased on schedule; anonymous counts remain."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from appointments.models import (
    Booking,
    BookingOutcome,
    BookingStatus,
    BookingToken,
    OutcomeCode,
    WaitlistEntry,
)
from appointments.services import (
    book_slot,
    erase_booking,
    erase_expired_personal_data,
    erasure_due,
    export_booking_data,
)
from tests import factories


def book_in_the_past(slot, **fields):
    """Book a slot of a past day as the client did back then."""
    then = slot.starts_at - timedelta(days=3)
    return book_slot(slot_id=slot.pk, client=factories.client_details(**fields), now=then).booking


@pytest.fixture
def old_and_new(db, settings):
    settings.RETENTION_DAYS = 90
    old_day = factories.day(on=timezone.localdate() - timedelta(days=120))
    new_day = factories.day(on=timezone.localdate() - timedelta(days=10))
    old_slots, new_slots = list(old_day.slots.all()), list(new_day.slots.all())
    old = [
        book_in_the_past(
            old_slots[0],
            name="Maria Alt",
            note="Kind ist oft krank",
            need_child=True,
            interpreter_language="Arabisch",
        ),
        book_in_the_past(old_slots[1], name="Jan Alt", phone="0511 1"),
    ]
    Booking.objects.filter(pk=old[0].pk).update(
        status=BookingStatus.ATTENDED, outcome_note="Bewerbung geschrieben"
    )
    BookingOutcome.objects.create(booking=old[0], code=OutcomeCode.JOB_START)
    Booking.objects.filter(pk=old[1].pk).update(status=BookingStatus.NO_SHOW)
    new = [book_in_the_past(new_slots[0], name="Nina Neu")]
    WaitlistEntry.objects.create(
        day=old_day, name="Wartende Alt", email="w@example.org", token_hash="a" * 64
    )
    WaitlistEntry.objects.create(
        day=new_day, name="Wartende Neu", email="n@example.org", token_hash="b" * 64
    )
    return old, new


def figures():
    """The anonymous counts the statistics are built from."""
    return (
        list(
            Booking.objects.values("day_id", "status", "channel")
            .annotate(n=Count("pk"))
            .order_by("day_id", "status", "channel")
        ),
        list(
            BookingOutcome.objects.values("booking__day_id", "code")
            .annotate(n=Count("pk"))
            .order_by("booking__day_id", "code")
        ),
    )


def test_it_erases_personal_data_of_old_days_only(old_and_new):
    old, new = old_and_new
    before = figures()

    result = erase_expired_personal_data()

    assert result == {"bookings": 2, "waitlist_entries": 1, "persons": 0, "applications": 0}
    for booking in Booking.objects.filter(pk__in=[b.pk for b in old]):
        assert (booking.name, booking.email, booking.phone, booking.note) == ("", "", "", "")
        assert not booking.need_child and booking.interpreter_language == ""
        assert booking.outcome_note == ""
        assert booking.anonymised_at is not None
    assert not BookingToken.objects.filter(booking__in=old).exists()
    assert Booking.objects.get(pk=new[0].pk).name == "Nina Neu"
    assert WaitlistEntry.objects.get(name="Wartende Neu").email == "n@example.org"
    assert not WaitlistEntry.objects.filter(name="Wartende Alt").exists()
    assert figures() == before


def test_the_statistics_page_figures_are_the_same_after_erasure(old_and_new):
    from appointments import statistics

    span = {
        "start": timezone.localdate() - timedelta(days=400),
        "end": timezone.localdate() + timedelta(days=1),
    }
    before = statistics.collect(**span)
    assert before.total.attended == 1 and before.total.no_shows == 1

    erase_expired_personal_data()

    after = statistics.collect(**span)
    assert after.rows == before.rows
    assert after.total == before.total


def test_running_it_again_changes_nothing(old_and_new):
    erase_expired_personal_data()
    assert erase_expired_personal_data() == {
        "bookings": 0,
        "waitlist_entries": 0,
        "persons": 0,
        "applications": 0,
    }


def test_the_retention_time_is_configurable(old_and_new, settings):
    settings.RETENTION_DAYS = 5
    assert erase_expired_personal_data()["bookings"] == 3


def test_administrators_can_see_when_data_is_erased(old_and_new, settings):
    booking = old_and_new[1][0]
    assert erasure_due(day=booking.day) == booking.day.ends_at + timedelta(days=90)


@pytest.mark.django_db
def test_a_client_can_download_what_is_stored():
    slot = factories.day().slots.first()
    booking, _ = factories.booking(slot, name="Maria Schulz", note="ab 8 Uhr")
    data = export_booking_data(booking=booking)
    assert data["contact"]["name"] == "Maria Schulz"
    assert data["note"] == "ab 8 Uhr"
    assert data["reference"] == booking.reference


@pytest.mark.django_db
def test_a_client_can_erase_early_and_the_seat_is_free_again():
    slot = factories.day().slots.first()
    booking, token = factories.booking(slot, name="Maria Schulz")
    erase_booking(booking=booking)
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.name == "" and booking.email == ""
    assert booking.status == BookingStatus.CANCELLED
    assert slot.seats_taken == 0
    assert not Booking.objects.by_token(token).exists()


def test_the_beat_schedule_runs_the_erasure(old_and_new, settings):
    from appointments import tasks
    from joblokal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["erase-expired-personal-data"]
    assert entry["task"] in app.tasks
    assert tasks.erase_expired_personal_data.name == entry["task"]
    expected = {"bookings": 2, "waitlist_entries": 1, "persons": 0, "applications": 0}
    assert tasks.erase_expired_personal_data.delay().get() == expected
