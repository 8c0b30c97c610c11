"""The week around a date on the coach's day: the days of the week (for the week strip and
the schedule's cache keys), each with its version and number of active bookings, reaching
out to the nearest day held before and after the date (previous and next).

`days_around` is the QuerySet, for any set of days the viewer may see. For a coach the
page asks much more often, and `look_at_coach_week` answers in one statement on PostgreSQL
what the page would otherwise ask in four: whether the user is an active coach (invariant
3, decided from the database on every request), the coach's week, whether calls are open
on the coach's days, and the audit entry for the day looked at. Both are held to the same
answers by tests/coaches/test_week.py.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, DateField, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from appointments.models import (
    ACTIVE_STATUSES,
    AuditAction,
    BookingStatus,
    CallReason,
    DayStatus,
    OutreachDay,
)


@dataclass(frozen=True, slots=True)
class WeekDay:
    """A day of the week as the page reads it, without a model instance's cost."""

    pk: int
    date: date
    status: str
    version: int
    active: int


# OutreachDays from days_around, WeekDays from the one statement: the same fields.
type Day = OutreachDay | WeekDay


@dataclass(frozen=True)
class CoachWeek:
    rows: list[Day]
    # Whether the coach's call list has anything to show today.
    calls_open: bool


def days_around(days, on: date) -> list[OutreachDay]:
    """In one query: the days of the week around `on` with their versions and numbers of
    active bookings (`active`), and the nearest day held before and after `on`."""
    monday = on - timedelta(days=on.weekday())
    held = days.exclude(status=DayStatus.CANCELLED)
    before = Subquery(held.filter(date__lt=on).order_by("-date").values("date")[:1])
    after = Subquery(held.filter(date__gt=on).order_by("date").values("date")[:1])
    # A range, not an OR of the three: the planner then starts from the coach's days.
    # Between the week and the nearest day held there are only cancelled days, few.
    # Without a nearest day the week's own end counts (SQLite's MIN would give NULL).
    week_start = Value(monday, DateField())
    week_end = Value(monday + timedelta(days=6), DateField())
    first = Least(week_start, Coalesce(before, week_start))
    last = Greatest(week_end, Coalesce(after, week_end))
    active = Count("bookings", filter=Q(bookings__status__in=ACTIVE_STATUSES))
    return list(
        days.filter(date__gte=first, date__lte=last)
        .only("pk", "date", "version", "status")
        .annotate(active=active)
        .order_by("starts_at", "pk")
    )


def in_one_statement() -> bool:
    """Whether `look_at_coach_week` can answer (its statement is PostgreSQL's; the
    embedded SQLite mode asks the QuerySets)."""
    return connection.vendor == "postgresql"


# What `Coach.objects.active().filter(user=…)`, `days_around(OutreachDay.objects
# .served_by(coach), on)`, `Call.objects.for_days(…).shown_on(today).exists()` and
# `log_access(…, days=<the days on `on`>)` ask, in one round trip and without the ORM's
# compiling. The audit entry is written by the statement that reads the days, in
# autocommit its own transaction: it is committed before the page is rendered. Without an
# active coach the statement returns one row with a NULL coach and writes nothing.
COACH_WEEK_SQL = """
WITH coach AS (
    SELECT id FROM coaches_coach WHERE user_id = %(user)s AND active
), served AS MATERIALIZED (
    SELECT d.id, d.date, d.status, d.version, d.starts_at
    FROM appointments_outreachday d
    JOIN appointments_daycoach dc ON dc.day_id = d.id
    WHERE dc.coach_id = (SELECT id FROM coach)
), span AS (
    SELECT
        LEAST(%(monday)s, COALESCE((
            SELECT max(date) FROM served WHERE status <> %(cancelled)s AND date < %(on)s
        ), %(monday)s)) AS first,
        GREATEST(%(sunday)s, COALESCE((
            SELECT min(date) FROM served WHERE status <> %(cancelled)s AND date > %(on)s
        ), %(sunday)s)) AS last
), week AS (
    SELECT s.*, (
        SELECT count(*) FROM appointments_booking b
        WHERE b.day_id = s.id AND b.status = ANY(%(active)s)
    ) AS active
    FROM served s, span
    WHERE s.date BETWEEN span.first AND span.last
), logged AS (
    INSERT INTO appointments_auditentry (at, user_id, actor, action, day_id, booking_id, detail)
    SELECT %(now)s, %(user)s, '', %(action)s, id, NULL, '' FROM week WHERE date = %(on)s
)
SELECT coach.id, EXISTS (
    SELECT 1 FROM appointments_call c
    JOIN appointments_booking b ON b.id = c.booking_id
    JOIN served s ON s.id = b.day_id
    WHERE (c.reason = %(day_cancelled)s OR (b.status = %(confirmed)s AND s.date = c.for_date))
    AND (c.called_at IS NULL OR (c.called_at >= %(today_from)s AND c.called_at < %(today_to)s))
), week.id, week.date, week.status, week.version, week.active
FROM (SELECT 1) AS one
LEFT JOIN coach ON true
LEFT JOIN week ON true
ORDER BY week.starts_at, week.id
"""


def look_at_coach_week(*, user_id: int, on: date, today: date) -> CoachWeek | None:
    """The week around `on` for the active coach with this user account, the look at
    the day `on` written to the audit log; None (and nothing written) when the user is
    no active coach."""
    monday = on - timedelta(days=on.weekday())
    zone = timezone.get_current_timezone()
    params = {
        "user": user_id,
        "on": on,
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "cancelled": DayStatus.CANCELLED.value,
        "active": [str(status) for status in ACTIVE_STATUSES],
        "now": timezone.now(),
        "action": AuditAction.VIEW_DAY.value,
        "day_cancelled": CallReason.DAY_CANCELLED.value,
        "confirmed": BookingStatus.CONFIRMED.value,
        # Today in local time, as `called_at__date=today` reads it.
        "today_from": datetime.combine(today, time.min, tzinfo=zone),
        "today_to": datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone),
    }
    with connection.cursor() as cursor:
        cursor.execute(COACH_WEEK_SQL, params)
        found = cursor.fetchall()
    coach, calls_open = found[0][0], found[0][1]
    if coach is None:
        return None
    rows = [WeekDay(*row[2:]) for row in found if row[2] is not None]
    return CoachWeek(rows=rows, calls_open=calls_open)
