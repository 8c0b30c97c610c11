"""Call lists: the clients staff must phone because neither mail nor SMS reaches them
(DESIGN invariant 10), and ticking each call off with who called and when."""

import math
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from appointments.models import (
    AuditAction,
    AuditEntry,
    Booking,
    Call,
    CallReason,
    DayStatus,
)


def record_calls(*, bookings, reason: str, for_date: date) -> int:
    """Put every booking of `bookings` that is on the call list (no mail, no SMS) on the
    list for `for_date`, once. Call it inside the transaction of the cause, so a cancelled
    day never exists without its call list. Returns how many calls were added."""
    listed = Call.objects.filter(reason=reason, for_date=for_date).values("booking_id")
    rows = [
        Call(booking_id=pk, reason=reason, for_date=for_date)
        for pk in bookings.on_call_list().exclude(pk__in=listed).values_list("pk", flat=True)
    ]
    # Two runs at once: the unique constraint keeps one row, the other is skipped.
    Call.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reminder_call_dates(today: date) -> list[date]:
    """The days whose clients are phoned today instead of being reminded by mail: as far
    ahead as the longest reminder lead reaches, from tomorrow on."""
    days_ahead = max(1, math.ceil(max(settings.REMINDER_LEAD_HOURS) / 24))
    return [today + timedelta(days=n) for n in range(1, days_ahead + 1)]


def queue_reminder_calls(*, now: datetime | None = None) -> int:
    """The daily call list of the reminder run: every phone-only client of the coming
    published days, each once per day. Safe to run every few minutes; a booking made
    after an earlier run joins the list on the next one. Returns how many were added."""
    today = timezone.localdate(now or timezone.now())
    added = 0
    for on in reminder_call_dates(today):
        bookings = Booking.objects.filter(day__date=on, day__status=DayStatus.PUBLISHED)
        with transaction.atomic():
            added += record_calls(bookings=bookings, reason=CallReason.REMINDER, for_date=on)
    return added


def mark_call_done(
    *, call: Call, user: AbstractBaseUser, note: str = "", now: datetime | None = None
) -> bool:
    """Tick a call off as made, naming who called and when. Returns False if someone
    ticked it already; the first one to tick it keeps the record."""
    now = now or timezone.now()
    with transaction.atomic():
        done = Call.objects.filter(pk=call.pk, called_at=None).update(
            called_at=now, called_by=user, note=note[:200]
        )
        if done:
            AuditEntry.objects.create(
                user=user,
                action=AuditAction.CALL_DONE,
                day_id=call.booking.day_id,
                booking_id=call.booking_id,
                detail=call.reason,
            )
    call.refresh_from_db()
    return done == 1
