"""The coach's week in one statement (coaches/week.py) answers what the QuerySets it
replaces answer: the coach's days around a date with versions and counts, whether calls
are open, the audit entry of the day looked at, and no answer for anyone who is no active
coach (invariant 3)."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from appointments.models import (
    AuditAction,
    AuditEntry,
    BookingStatus,
    Call,
    CallReason,
    DayStatus,
    OutreachDay,
)
from coaches import week
from coaches.models import Coach
from tests import factories
from tests.personas import book


def by_queryset(user, on, today):
    """What the page asked before, query by query; None for no active coach."""
    coach = Coach.objects.active().filter(user=user).first()
    if coach is None:
        return None
    days = OutreachDay.objects.served_by(coach)
    rows = week.days_around(days, on)
    calls_open = Call.objects.for_days(days).shown_on(today).exists()
    return week.CoachWeek(rows=rows, calls_open=calls_open)


def facts(found):
    if found is None:
        return None
    rows = [(d.pk, d.date, d.status, d.version, d.active) for d in found.rows]
    return rows, found.calls_open


def assert_both_agree(user, on, today=None):
    today = today or timezone.localdate()
    expected = by_queryset(user, on, today)
    logged = AuditEntry.objects.filter(user=user, action=AuditAction.VIEW_DAY)
    before = set(logged.values_list("pk", flat=True))
    found = week.look_at_coach_week(user_id=user.pk, on=on, today=today)
    assert facts(found) == facts(expected), on
    # The statement logs exactly the days the page shows: those on the date.
    new = logged.exclude(pk__in=before)
    shown = [d.pk for d in expected.rows if d.date == on] if expected else []
    assert sorted(new.values_list("day_id", flat=True)) == sorted(shown), on
    assert all(entry.booking_id is None for entry in new)
    return found


@pytest.fixture
def dora(db):
    return factories.coach("Dora Dietz", "dora")


@pytest.fixture
def scene(dora, settings):
    """Dora's days around a Wednesday two months ahead: two in its week (one cancelled),
    a cancelled day and the nearest held day before it, two days after it; and another
    coach's day in the same week."""
    settings.BOOKING_OPENS_DAYS = 365
    on = timezone.localdate() + timedelta(days=60)
    on += timedelta(days=(2 - on.weekday()) % 7)
    site = factories.site()
    days = {}
    for name, offset in [
        ("far_before", -30),
        ("before", -16),
        ("cancelled_before", -9),
        ("monday", -2),
        ("on", 0),
        ("cancelled_friday", 2),
        ("after", 12),
        ("far_after", 20),
    ]:
        days[name] = factories.day(site, on=on + timedelta(days=offset), coaches=[dora])
    for name in ("cancelled_before", "cancelled_friday"):
        OutreachDay.objects.filter(pk=days[name].pk).update(status=DayStatus.CANCELLED)
    slots = list(days["on"].slots.order_by("starts_at"))
    book(slots[0])
    book(slots[1])
    cancelled, _ = book(slots[2])
    cancelled.status = BookingStatus.CANCELLED
    cancelled.save(update_fields=["status"])
    book(days["monday"].slots.first())
    factories.day(on=on, start=time(13), end=time(15), coaches=[factories.coach()])
    return on, days


def test_it_agrees_on_every_date_around_the_coachs_days(dora, scene):
    on, days = scene
    for offset in range(-35, 27):
        assert_both_agree(dora.user, on + timedelta(days=offset))


def test_it_finds_the_week_with_its_counts_and_its_neighbours(dora, scene):
    on, days = scene
    names = {day.pk: name for name, day in days.items()}
    found = assert_both_agree(dora.user, on)
    assert [names[d.pk] for d in found.rows] == ["monday", "on", "cancelled_friday", "after"]
    assert {names[d.pk]: d.active for d in found.rows} == {
        "monday": 1,
        "on": 2,
        "cancelled_friday": 0,
        "after": 0,
    }
    # A week without days of its own reaches back past a cancelled day to the nearest
    # day held, and forward to the next one.
    found = assert_both_agree(dora.user, on - timedelta(days=7))
    assert [names[d.pk] for d in found.rows] == ["before", "cancelled_before", "monday"]


def test_it_agrees_for_a_coach_without_days(dora):
    found = assert_both_agree(dora.user, timezone.localdate())
    assert found.rows == [] and not found.calls_open


@pytest.mark.parametrize(
    "reason, booking_status, called_days_ago, shown",
    [
        (CallReason.REMINDER, BookingStatus.CONFIRMED, None, True),
        (CallReason.REMINDER, BookingStatus.CONFIRMED, 0, True),
        (CallReason.REMINDER, BookingStatus.CONFIRMED, 1, False),
        (CallReason.REMINDER, BookingStatus.CANCELLED, None, False),
        (CallReason.DAY_CANCELLED, BookingStatus.CANCELLED, None, True),
        (CallReason.DAY_CANCELLED, BookingStatus.CANCELLED, 1, False),
    ],
)
def test_it_agrees_on_open_calls(dora, scene, reason, booking_status, called_days_ago, shown):
    on, days = scene
    booking, _ = book(days["after"].slots.first())
    booking.status = booking_status
    booking.save(update_fields=["status"])
    call = Call(booking=booking, reason=reason, for_date=days["after"].date)
    if called_days_ago is not None:
        call.called_at = timezone.now() - timedelta(days=called_days_ago)
        call.called_by = dora.user
    call.save()
    assert assert_both_agree(dora.user, on).calls_open is shown
    # Seen from the day before and the day after: a call made on another day has left.
    for other in (-1, 1):
        assert_both_agree(dora.user, on, today=timezone.localdate() + timedelta(days=other))


def test_it_agrees_that_a_moved_bookings_reminder_call_is_not_open(dora, scene):
    on, days = scene
    booking, _ = book(days["after"].slots.first())
    # The call was for the day the booking was on before it moved.
    Call.objects.create(booking=booking, reason=CallReason.REMINDER, for_date=on)
    assert assert_both_agree(dora.user, on).calls_open is False


def test_it_sees_no_call_on_another_coachs_day(dora, scene):
    on, days = scene
    other = factories.day(on=on + timedelta(days=1), coaches=[factories.coach()])
    booking, _ = book(other.slots.first())
    Call.objects.create(booking=booking, reason=CallReason.REMINDER, for_date=other.date)
    assert assert_both_agree(dora.user, on).calls_open is False


def test_it_answers_nothing_and_logs_nothing_for_an_inactive_coach(dora, scene):
    on, days = scene
    Coach.objects.filter(pk=dora.pk).update(active=False)
    assert assert_both_agree(dora.user, on) is None
    assert not AuditEntry.objects.exists()


def test_it_answers_nothing_for_a_user_who_is_no_coach(scene):
    on, days = scene
    assert assert_both_agree(factories.user("stranger"), on) is None
    assert not AuditEntry.objects.exists()


def test_it_drops_a_day_the_coach_no_longer_serves(dora, scene):
    on, days = scene
    days["on"].day_coaches.filter(coach=dora).delete()
    found = assert_both_agree(dora.user, on)
    assert days["on"].pk not in [d.pk for d in found.rows]
