"""Figures for staff: per municipality and month, counted in the database.

Each figure is one grouped query over one table, so the number of queries does not grow
with the number of days or bookings; Python only merges the grouped rows.

What counts where (months are the months of the counselling day):
- days held: published days whose end has passed; slots and seats offered are theirs;
- bookings: online bookings on held days that were not cancelled;
- utilisation: seats used (bookings and walk-ins that take a seat) / seats offered;
- attended, no-shows and walk-ins: on held days; the no-show rate is no-shows / bookings;
- cancellations: cancelled bookings on any day of the month, by the client or the office;
- outcomes: outcome codes of bookings on held days; the job-start share is bookings with
  a job start / attended.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from appointments.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingOutcome,
    BookingStatus,
    Channel,
    DayStatus,
    OutcomeCode,
    OutreachDay,
    Slot,
)

COUNTS = [
    "days_held",
    "slots_offered",
    "seats_offered",
    "bookings",
    "seats_used",
    "attended",
    "no_shows",
    "cancellations",
    "walk_ins",
]


@dataclass
class Row:
    municipality: str
    month: date | None
    days_held: int = 0
    slots_offered: int = 0
    seats_offered: int = 0
    bookings: int = 0
    seats_used: int = 0
    attended: int = 0
    no_shows: int = 0
    cancellations: int = 0
    walk_ins: int = 0
    outcomes: dict = field(default_factory=dict)

    @property
    def utilisation(self) -> float | None:
        return _share(self.seats_used, self.seats_offered)

    @property
    def no_show_rate(self) -> float | None:
        return _share(self.no_shows, self.bookings)

    @property
    def outcome_counts(self) -> list[int]:
        """Counts in the order of OutcomeCode, for tables and CSV columns."""
        return [self.outcomes.get(code, 0) for code in OutcomeCode.values]

    @property
    def job_starts(self) -> int:
        return self.outcomes.get(OutcomeCode.JOB_START, 0)

    @property
    def job_start_share(self) -> float | None:
        return _share(self.job_starts, self.attended)

    def add(self, other: "Row") -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, n in other.outcomes.items():
            self.outcomes[code] = self.outcomes.get(code, 0) + n


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Report:
    rows: list[Row]
    total: Row
    months: list[Row]  # all municipalities together, per month
    municipalities: list[Row]  # all months together, per municipality


def _days(start: date, end: date, site=None, district=None):
    days = OutreachDay.objects.filter(date__gte=start, date__lt=end)
    if district:
        days = days.filter(site__municipality__district=district)
    return days.filter(site=site) if site is not None else days


def _held(days, now):
    return days.filter(status=DayStatus.PUBLISHED, ends_at__lte=now)


def collect(*, start: date, end: date, site=None, district=None, now=None) -> Report:
    """The figures for days from `start` up to (not including) `end`, optionally of one
    Landkreis or one site."""
    now = now or timezone.now()
    days = _days(start, end, site, district)
    held = _held(days, now)
    key = {"municipality": F("site__municipality__name"), "month": TruncMonth("date")}
    rows: dict = {}

    def row(values) -> Row:
        k = (values["municipality"], values["month"])
        return rows.setdefault(k, Row(municipality=k[0], month=k[1]))

    for v in held.values(**key).annotate(n=Count("pk")).order_by():
        row(v).days_held = v["n"]
    slot_key = {
        "municipality": F("day__site__municipality__name"),
        "month": TruncMonth("day__date"),
    }
    slots = Slot.objects.filter(day__in=held.values("pk"))
    for v in slots.values(**slot_key).annotate(n=Count("pk"), seats=Sum("capacity")).order_by():
        r = row(v)
        r.slots_offered, r.seats_offered = v["n"], v["seats"] or 0
    _collect_bookings(days, slot_key, row, now)
    outcomes = BookingOutcome.objects.filter(booking__day__in=held.values("pk"))
    outcome_key = {
        "municipality": F("booking__day__site__municipality__name"),
        "month": TruncMonth("booking__day__date"),
    }
    for v in outcomes.values("code", **outcome_key).annotate(n=Count("booking", distinct=True)):
        row(v).outcomes[v["code"]] = v["n"]
    return _report(sorted(rows.values(), key=lambda r: (r.municipality, r.month)))


def _collect_bookings(days, slot_key, row, now) -> None:
    held_day = Q(day__status=DayStatus.PUBLISHED, day__ends_at__lte=now)
    active = Q(status__in=ACTIVE_STATUSES)
    online = Q(channel=Channel.ONLINE)
    bookings = Booking.objects.filter(day__in=days.values("pk"))
    grouped = bookings.values(**slot_key).annotate(
        bookings=Count("pk", filter=held_day & active & online),
        seats_used=Count("pk", filter=held_day & active & Q(takes_seat=True)),
        attended=Count("pk", filter=held_day & Q(status=BookingStatus.ATTENDED)),
        no_shows=Count("pk", filter=held_day & Q(status=BookingStatus.NO_SHOW)),
        walk_ins=Count("pk", filter=held_day & active & Q(channel=Channel.WALK_IN)),
        cancellations=Count("pk", filter=Q(status=BookingStatus.CANCELLED)),
    )
    for v in grouped.order_by():
        r = row(v)
        for name in ["bookings", "seats_used", "attended", "no_shows", "walk_ins", "cancellations"]:
            setattr(r, name, v[name])


def _report(rows: list[Row]) -> Report:
    total = Row(municipality="", month=None)
    months: dict = {}
    municipalities: dict = {}
    for r in rows:
        total.add(r)
        months.setdefault(r.month, Row(municipality="", month=r.month)).add(r)
        municipalities.setdefault(r.municipality, Row(municipality=r.municipality, month=None))
        municipalities[r.municipality].add(r)
    return Report(
        rows=rows,
        total=total,
        months=[months[m] for m in sorted(months)],
        municipalities=[municipalities[m] for m in sorted(municipalities)],
    )
