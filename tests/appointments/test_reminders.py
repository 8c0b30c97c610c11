"""Reminders: claimed before queueing, one per reminder time, none for cancelled, moved-away
or late bookings, never repeated after a change of the lead times, right across DST.
Time is passed in as `now`; nothing sleeps."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from appointments.models import Booking, MailKind, MailStatus, OutgoingMail, reminder_moment
from appointments.services import (
    ClientDetails,
    book_slot,
    cancel_booking,
    move_booking,
    queue_due_reminders,
)
from appointments.services.reminders import _claim_reminder
from tests import factories as f

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)


@pytest.fixture
def day():
    return f.day(on=f.future_date(10), seats=3)


@pytest.fixture
def booking(day):
    booking, _ = f.booking(day.slots.first())
    return booking


def scan(capture, now, lead_hours=(24,)):
    with capture(execute=True):
        return queue_due_reminders(now=now, lead_hours=list(lead_hours))


def reminders():
    return OutgoingMail.objects.filter(kind=MailKind.REMINDER)


def test_it_sends_one_reminder_24_hours_before(booking, django_capture_on_commit_callbacks):
    starts = booking.slot.starts_at
    assert scan(django_capture_on_commit_callbacks, starts - 25 * HOUR) == 0
    assert scan(django_capture_on_commit_callbacks, starts - 23 * HOUR) == 1
    assert scan(django_capture_on_commit_callbacks, starts - 22 * HOUR) == 0
    assert scan(django_capture_on_commit_callbacks, starts - 1 * HOUR) == 0
    (row,) = reminders()
    assert row.status == MailStatus.SENT and row.booking == booking
    reminder = [m for m in mail.outbox if m.subject.startswith("Erinnerung")]
    assert len(reminder) == 1 and "/termin/" in reminder[0].body


def test_a_second_claim_with_the_same_snapshot_loses(booking):
    stale = Booking.objects.get(pk=booking.pk)
    now = booking.slot.starts_at - 23 * HOUR
    assert _claim_reminder(stale, 24, now) is True
    assert _claim_reminder(stale, 24, now) is False  # a parallel scan saw the same row
    assert reminders().count() == 1


def test_no_reminder_for_a_cancelled_booking(booking, django_capture_on_commit_callbacks):
    cancel_booking(booking=booking)
    assert scan(django_capture_on_commit_callbacks, booking.slot.starts_at - 23 * HOUR) == 0
    assert not reminders().exists()


def test_a_reminder_queued_before_a_cancel_is_not_sent(booking, django_capture_on_commit_callbacks):
    queue_due_reminders(now=booking.slot.starts_at - 23 * HOUR, lead_hours=[24])  # not sent yet
    cancel_booking(booking=booking)
    with django_capture_on_commit_callbacks(execute=True):
        from appointments.outbox import deliver

        assert deliver(reminders().get().pk) is False
    row = reminders().get()
    assert row.status == MailStatus.SKIPPED and "no longer confirmed" in row.last_error


def test_a_moved_booking_is_reminded_of_its_new_time_only(day, django_capture_on_commit_callbacks):
    booking, _ = f.booking(day.slots.first())
    later_day = f.day(site_=day.site, on=f.future_date(20), seats=1)
    new_slot = later_day.slots.first()
    move_booking(booking=booking, to_slot_id=new_slot.pk)
    old_start = day.slots.first().starts_at
    assert scan(django_capture_on_commit_callbacks, old_start - 23 * HOUR) == 0
    assert scan(django_capture_on_commit_callbacks, new_slot.starts_at - 23 * HOUR) == 1
    assert reminders().get().context["sequence"] == 1


def test_a_reminder_already_sent_is_sent_again_for_the_new_time_after_a_move(
    day, django_capture_on_commit_callbacks
):
    booking, _ = f.booking(day.slots.first())
    assert scan(django_capture_on_commit_callbacks, booking.slot.starts_at - 23 * HOUR) == 1
    later = f.day(site_=day.site, on=f.future_date(20), seats=1).slots.first()
    move_booking(booking=booking, to_slot_id=later.pk, now=booking.slot.starts_at - 22 * HOUR)
    assert scan(django_capture_on_commit_callbacks, later.starts_at - 23 * HOUR) == 1
    assert reminders().count() == 2


def test_a_reminder_queued_before_a_move_is_not_sent(day, django_capture_on_commit_callbacks):
    from appointments.outbox import deliver

    booking, _ = f.booking(day.slots.first())
    queue_due_reminders(now=booking.slot.starts_at - 23 * HOUR, lead_hours=[24])
    move_booking(booking=booking, to_slot_id=day.slots.all()[1].pk)
    assert deliver(reminders().get().pk) is False
    assert reminders().get().status == MailStatus.SKIPPED


def test_no_reminder_for_a_booking_made_after_its_reminder_time(
    booking, django_capture_on_commit_callbacks
):
    Booking.objects.filter(pk=booking.pk).update(created_at=booking.slot.starts_at - 10 * HOUR)
    assert scan(django_capture_on_commit_callbacks, booking.slot.starts_at - 9 * HOUR) == 0


def test_no_reminder_for_a_booking_moved_after_its_new_reminder_time(
    booking, django_capture_on_commit_callbacks
):
    Booking.objects.filter(pk=booking.pk).update(rescheduled_at=booking.slot.starts_at - 5 * HOUR)
    assert scan(django_capture_on_commit_callbacks, booking.slot.starts_at - 4 * HOUR) == 0


def test_no_reminder_without_an_email_address(day, django_capture_on_commit_callbacks):
    result = book_slot(
        slot_id=day.slots.first().pk, client=ClientDetails(name="Ohne Mail", phone="0511 1")
    )
    assert scan(django_capture_on_commit_callbacks, result.booking.slot.starts_at - 23 * HOUR) == 0


def test_two_lead_times_send_two_reminders(booking, django_capture_on_commit_callbacks):
    starts, leads = booking.slot.starts_at, (48, 2)
    assert scan(django_capture_on_commit_callbacks, starts - 47 * HOUR, leads) == 1
    assert scan(django_capture_on_commit_callbacks, starts - 24 * HOUR, leads) == 0
    assert scan(django_capture_on_commit_callbacks, starts - 1 * HOUR, leads) == 1
    assert scan(django_capture_on_commit_callbacks, starts - HOUR / 2, leads) == 0
    assert sorted(r.context["lead_hours"] for r in reminders()) == [2, 48]


def test_an_added_lead_time_sends_one_more_reminder(booking, django_capture_on_commit_callbacks):
    starts = booking.slot.starts_at
    assert scan(django_capture_on_commit_callbacks, starts - 23 * HOUR, (24,)) == 1
    assert scan(django_capture_on_commit_callbacks, starts - 1 * HOUR, (24, 2)) == 1
    assert scan(django_capture_on_commit_callbacks, starts - HOUR / 2, (24, 2)) == 0
    assert reminders().count() == 2


@pytest.mark.parametrize("new_leads", [(48, 24), (48,), (25,), (36, 24), (23,), (12,), (6,)])
def test_changing_the_lead_times_does_not_resend(
    booking, django_capture_on_commit_callbacks, new_leads
):
    starts = booking.slot.starts_at
    assert scan(django_capture_on_commit_callbacks, starts - 23 * HOUR, (24,)) == 1
    for hours_before in (22, 12, 1):
        now = starts - hours_before * HOUR
        assert scan(django_capture_on_commit_callbacks, now, new_leads) == 0
    assert reminders().count() == 1


# Next DST changes in Europe/Berlin: 28 March 2027 (02:00 -> 03:00) and 31 October 2027
# (03:00 -> 02:00). A reminder "24 h before 9:00" goes out at 9:00 local the day before.
@pytest.mark.parametrize(
    ("on", "lead", "expected_local"),
    [
        (date(2027, 3, 28), 24, datetime(2027, 3, 27, 9, 0)),  # Sunday after spring forward
        (date(2027, 3, 29), 48, datetime(2027, 3, 27, 9, 0)),  # Monday, change in between
        (date(2027, 3, 29), 24, datetime(2027, 3, 28, 9, 0)),
        (date(2027, 10, 31), 24, datetime(2027, 10, 30, 9, 0)),  # Sunday after fall back
        (date(2027, 11, 1), 48, datetime(2027, 10, 30, 9, 0)),
    ],
)
def test_reminders_after_a_dst_change_go_out_at_the_right_local_time(
    on, lead, expected_local, settings, django_capture_on_commit_callbacks
):
    settings.BOOKING_OPENS_DAYS = 1000
    day = f.day(on=on, start=time(9), end=time(10))
    booking, _ = f.booking(day.slots.first())
    expected = expected_local.replace(tzinfo=BERLIN)
    assert booking.slot.starts_at.astimezone(BERLIN).hour == 9
    assert reminder_moment(booking.slot.starts_at, lead) == expected
    minute = timedelta(minutes=1)
    assert scan(django_capture_on_commit_callbacks, expected - minute, (lead,)) == 0
    assert scan(django_capture_on_commit_callbacks, expected + minute, (lead,)) == 1
    reminder = next(m for m in mail.outbox if m.subject.startswith("Erinnerung"))
    assert ", 09:00 Uhr" in reminder.subject


def test_a_reminder_time_in_the_spring_gap_still_goes_out(settings):
    # 2:30 on 28 March 2027 does not exist; it is read as 3:30 summer time.
    starts = datetime(2027, 3, 29, 2, 30, tzinfo=BERLIN)
    moment = reminder_moment(starts, 24)
    assert moment.astimezone(ZoneInfo("UTC")) == datetime(
        2027, 3, 28, 1, 30, tzinfo=ZoneInfo("UTC")
    )
