"""Call lists (invariant 10): whoever is reached by neither mail nor SMS is phoned, and
each call is ticked off with who called and when."""

from datetime import time, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from appointments.models import AuditAction, AuditEntry, Call, CallReason
from appointments.services import (
    cancel_booking,
    cancel_day,
    erase_expired_personal_data,
    mark_call_done,
    queue_reminder_calls,
    record_calls,
)
from tests import factories
from tests.personas import book

pytestmark = pytest.mark.django_db

EMAIL = [{"email": f"mail{n}@example.org"} for n in range(3)]
SMS = [{"email": "", "phone": "+49171234567" + str(n), "sms_consent": True} for n in range(2)]
PHONE_ONLY = [{"email": "", "phone": "+4951441234" + str(n)} for n in range(2)]


def day_with_every_kind_of_client(on):
    day = factories.day(on=on, start=time(9), end=time(12), seats=3)
    slots = list(day.slots.order_by("starts_at"))
    clients = EMAIL + SMS + PHONE_ONLY
    bookings = [book(slots[n % len(slots)], **fields)[0] for n, fields in enumerate(clients)]
    return day, bookings


def test_cancelling_a_day_lists_exactly_the_clients_reached_by_neither_mail_nor_sms():
    day, bookings = day_with_every_kind_of_client(factories.future_date(5))
    phone_only = bookings[-2:]

    assert cancel_day(day=day, reason="Krankheit") == 7

    calls = Call.objects.filter(reason=CallReason.DAY_CANCELLED)
    assert sorted(calls.values_list("booking_id", flat=True)) == sorted(b.pk for b in phone_only)
    assert set(calls.values_list("for_date", flat=True)) == {day.date}
    assert all(call.called_at is None for call in calls)


def test_a_day_without_phone_only_clients_has_an_empty_call_list():
    day = factories.day(on=factories.future_date(5))
    book(day.slots.first(), email="a@example.org")
    cancel_day(day=day, reason="Krankheit")
    assert not Call.objects.exists()


def test_recording_the_same_calls_twice_adds_nothing():
    day, bookings = day_with_every_kind_of_client(factories.future_date(5))
    first = record_calls(bookings=day.bookings.all(), reason=CallReason.REMINDER, for_date=day.date)
    again = record_calls(bookings=day.bookings.all(), reason=CallReason.REMINDER, for_date=day.date)
    assert (first, again) == (2, 0)


def test_the_reminder_run_lists_tomorrows_phone_only_clients_once():
    tomorrow, _ = day_with_every_kind_of_client(factories.future_date(1))
    later, _ = day_with_every_kind_of_client(factories.future_date(6))
    assert max(settings.REMINDER_LEAD_HOURS) <= 24

    assert queue_reminder_calls() == 2
    assert queue_reminder_calls() == 0

    calls = Call.objects.all()
    assert {c.booking.day_id for c in calls} == {tomorrow.pk}
    assert {c.reason for c in calls} == {CallReason.REMINDER}
    assert later.pk not in {c.booking.day_id for c in calls}


def test_a_caller_booked_after_the_run_joins_the_list_on_the_next_run():
    day = factories.day(on=factories.future_date(1), seats=2)
    book(day.slots.first(), email="", phone="05144 111111")
    assert queue_reminder_calls() == 1
    book(day.slots.first(), email="", phone="05144 222222")
    assert queue_reminder_calls() == 1


def test_a_reminder_call_for_a_cancelled_booking_is_no_longer_shown():
    day = factories.day(on=factories.future_date(1))
    booking, _ = book(day.slots.first(), email="", phone="05144 111111")
    queue_reminder_calls()
    today = timezone.localdate()
    assert Call.objects.shown_on(today).count() == 1
    cancel_booking(booking=booking, reason="krank")
    assert Call.objects.shown_on(today).count() == 0


def test_ticking_a_call_off_records_who_called_and_when_once():
    day = factories.day(on=factories.future_date(1))
    booking, _ = book(day.slots.first(), email="", phone="05144 111111")
    queue_reminder_calls()
    call = Call.objects.get()
    frida, alice = factories.user("frida"), factories.user("alice")

    assert mark_call_done(call=call, user=frida, note="Kommt.") is True
    assert mark_call_done(call=call, user=alice) is False

    call.refresh_from_db()
    assert (call.called_by, call.note) == (frida, "Kommt.")
    assert timezone.now() - call.called_at < timedelta(minutes=1)
    entry = AuditEntry.objects.get(action=AuditAction.CALL_DONE)
    assert (entry.user, entry.booking_id) == (frida, booking.pk)
    # Ticked today: still shown, with who called; gone from tomorrow's page.
    assert Call.objects.shown_on(timezone.localdate()).count() == 1
    assert Call.objects.shown_on(timezone.localdate() + timedelta(days=1)).count() == 0


def test_the_reminder_calls_are_scheduled_beside_the_reminders():
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "appointments.tasks.queue_reminder_calls" in schedule
    from appointments.tasks import queue_reminder_calls as task

    factories.day(on=factories.future_date(1)).slots.first()
    assert task.delay().get() == 0


def test_the_note_on_a_call_is_erased_with_the_booking():
    day = factories.day(on=factories.future_date(1))
    book(day.slots.first(), email="", phone="05144 111111")
    queue_reminder_calls()
    call = Call.objects.get()
    mark_call_done(call=call, user=factories.user("frida"), note="Schwester erreicht")
    later = day.ends_at + timedelta(days=settings.RETENTION_DAYS + 1)
    erase_expired_personal_data(now=later)
    call.refresh_from_db()
    assert call.note == "" and call.called_at is not None
