"""The statistics' day figures: rebuilt for the days whose version has moved on.

Every change the statistics count raises the day's version in its own transaction (seats,
status, attendance, walk-ins, outcomes), so "stale" is exact: a day whose figures carry
an older version than the day. The version is read before the counts, so a change that
commits in between leaves the figures one version behind and the next refresh redoes
them; nothing is ever counted against a newer version than it saw.
"""

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from appointments.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingOutcome,
    BookingStatus,
    Channel,
    DayFigures,
    DayStatus,
    OutreachDay,
    Slot,
)

# Days rebuilt per round of queries: bounded memory on a first run over the whole country.
BATCH = 5000
COUNTED = [
    "slots_offered",
    "seats_offered",
    "bookings",
    "seats_used",
    "attended",
    "no_shows",
    "walk_ins",
    "cancellations",
    "outcomes",
]


def stale_days(days=None):
    """The days (of `days`, else all) whose figures are missing or behind their version."""
    days = OutreachDay.objects.all() if days is None else days
    # A day's version only grows, and figures keep the version they were counted at.
    seen = days.alias(seen=F("figures__version"))
    return seen.filter(Q(seen=None) | Q(seen__lt=F("version")))


def refresh_day_figures(*, days=None) -> int:
    """Rebuild the figures of every stale day (of `days`, else all); returns how many."""
    ids = list(stale_days(days).order_by().values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        _rebuild(ids[start : start + BATCH])
    return len(ids)


def _rebuild(ids: list[int]) -> None:
    days = {
        d["pk"]: d
        for d in OutreachDay.objects.filter(pk__in=ids).values(
            "pk",
            "version",
            "status",
            "ends_at",
            "site__municipality_id",
            "site__municipality__district_id",
            month=TruncMonth("date"),
        )
    }
    counts = {pk: {"outcomes": {}} for pk in days}
    for v in _slot_counts(ids):
        counts[v["day"]].update(slots_offered=v["n"], seats_offered=v["seats"] or 0)
    for v in _booking_counts(ids):
        counts[v.pop("day")].update(v)
    outcomes = BookingOutcome.objects.filter(booking__day__in=ids)
    for v in outcomes.values("booking__day", "code").annotate(n=Count("booking", distinct=True)):
        counts[v["booking__day"]]["outcomes"][v["code"]] = v["n"]
    rows = [_row(day, counts[pk]) for pk, day in days.items()]
    with transaction.atomic():
        DayFigures.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["day"],
            update_fields=["version", "municipality", "district", "month", "held_from", *COUNTED],
        )


def _row(day: dict, counts: dict) -> DayFigures:
    published = day["status"] == DayStatus.PUBLISHED
    return DayFigures(
        day_id=day["pk"],
        version=day["version"],
        municipality_id=day["site__municipality_id"],
        district_id=day["site__municipality__district_id"],
        month=day["month"],
        held_from=day["ends_at"] if published else None,
        **counts,
    )


def _slot_counts(ids):
    slots = Slot.objects.filter(day__in=ids).values("day")
    return slots.annotate(n=Count("pk"), seats=Sum("capacity")).order_by()


def _booking_counts(ids):
    """Per day, what the statistics count of its bookings, were the day held."""
    active = Q(status__in=ACTIVE_STATUSES)
    return (
        Booking.objects.filter(day__in=ids)
        .values("day")
        .annotate(
            bookings=Count("pk", filter=active & Q(channel=Channel.ONLINE)),
            seats_used=Count("pk", filter=active & Q(takes_seat=True)),
            attended=Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
            no_shows=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
            walk_ins=Count("pk", filter=active & Q(channel=Channel.WALK_IN)),
            cancellations=Count("pk", filter=Q(status=BookingStatus.CANCELLED)),
        )
        .order_by()
    )
