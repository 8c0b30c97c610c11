"""Planning: series rules, day generation, publishing, cancelling and editing days.

The admin calls these; the rules about booked seats and coach clashes live here, not in forms.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import holidays
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Now
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments import outbox
from appointments.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    CallReason,
    CancelledBy,
    DayCoach,
    DayStatus,
    MailKind,
    OutreachDay,
    OutreachSeries,
    Recurrence,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
    local_datetime,
)
from appointments.services import venue
from appointments.services.calls import record_calls
from appointments.services.seats import (
    lock_day,
    touch_day,
)
from coaches.models import Coach, Team
from locations.models import Site


def slot_times(*, starts_at: datetime, ends_at: datetime, minutes: int) -> list[tuple]:
    """The (start, end) pairs that fill a day; a remainder shorter than one slot is dropped.

    Works on aware UTC datetimes, so a slot never gains or loses an hour on a DST night.
    """
    length = timedelta(minutes=minutes)
    times = []
    # Arithmetic on zone-aware datetimes is wall-clock arithmetic in Python; in UTC it
    # is real elapsed time.
    start, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    while start + length <= ends_at:
        times.append((start, start + length))
        start += length
    return times


def build_slots(*, day: OutreachDay) -> list[Slot]:
    """Create the day's missing slots from its start, end and slot length; never duplicates."""
    existing = set(day.slots.values_list("starts_at", flat=True))
    new = [
        Slot(day=day, starts_at=start, ends_at=end, capacity=day.seats_per_slot)
        for start, end in slot_times(
            starts_at=day.starts_at, ends_at=day.ends_at, minutes=day.slot_minutes
        )
        if start not in existing
    ]
    return Slot.objects.bulk_create(new)


def assign_coaches(*, day: OutreachDay, coaches) -> None:
    """Set the coaches present on a day, copying its times for the overlap constraint."""
    removed, _by_model = day.day_coaches.exclude(coach__in=coaches).delete()
    present = set(day.day_coaches.values_list("coach_id", flat=True))
    added = DayCoach.objects.bulk_create(
        DayCoach(day=day, coach=coach, starts_at=day.starts_at, ends_at=day.ends_at)
        for coach in coaches
        if coach.pk not in present
    )
    if removed or added:
        # The day page lists the specialisms of the coaches present.
        touch_day(day.pk)


@transaction.atomic
def create_day(
    *,
    site: Site,
    on: date,
    start: time,
    end: time,
    slot_minutes: int = 30,
    seats_per_slot: int = 1,
    team: Team | None = None,
    coaches: list[Coach] | None = None,
    status: str = DayStatus.DRAFT,
    series=None,
) -> OutreachDay:
    """Create a counselling day with its slots and coaches (the team's, unless given)."""
    day = OutreachDay.objects.create(
        site=site,
        series=series,
        team=team,
        date=on,
        starts_at=local_datetime(on, start),
        ends_at=local_datetime(on, end),
        slot_minutes=slot_minutes,
        seats_per_slot=seats_per_slot,
        status=status,
    )
    build_slots(day=day)
    if coaches is None and team is not None:
        coaches = list(team.members.all())
    assign_coaches(day=day, coaches=coaches or [])
    return day


def publish_day(*, day: OutreachDay) -> bool:
    """Make a draft day bookable and tell its venue. Returns False if it was not a draft."""
    with transaction.atomic():
        published = _publish(day)
        if published:
            venue.queue_days_published(days=[day])
    return published


def _publish(day: OutreachDay) -> bool:
    updated = OutreachDay.objects.filter(pk=day.pk, status=DayStatus.DRAFT).update(
        status=DayStatus.PUBLISHED,
        published_at=timezone.now(),
        version=F("version") + 1,
        changed_at=Now(),
    )
    day.refresh_from_db(fields=["status", "published_at"])
    return updated == 1


# these; the rules about booked seats and coach clashes live here, not in forms.

# Planning further ahead than this is almost always a typo in the year.
MAX_SERIES_DAYS = 2 * 366


SERIES_RULE_FIELDS = [
    "recurrence",
    "week_of_month",
    "start_time",
    "end_time",
    "slot_minutes",
    "starts_on",
    "ends_on",
]


def series_problems(
    *,
    recurrence: str,
    week_of_month: int | None,
    start_time: time,
    end_time: time,
    slot_minutes: int | None,
    starts_on: date | None,
    ends_on: date | None,
) -> dict[str, str]:
    """What is wrong with a series rule, by field name (empty if nothing is)."""
    problems = {}
    if recurrence == Recurrence.MONTHLY and week_of_month is None:
        problems["week_of_month"] = _(
            "Bitte wählen Sie die Woche im Monat: 1. bis 4. oder letzter."
        )
    if end_time <= start_time:
        problems["end_time"] = _("Das Ende muss nach dem Beginn liegen.")
    elif slot_minutes and _minutes_between(start_time, end_time) < slot_minutes:
        problems["slot_minutes"] = _("Ein Termin ist länger als die ganze Zeit am Tag.")
    if starts_on and ends_on and ends_on < starts_on:
        problems["ends_on"] = _("Das Ende des Zeitraums muss nach dem Anfang liegen.")
    elif starts_on and ends_on and (ends_on - starts_on).days > MAX_SERIES_DAYS:
        problems["ends_on"] = _("Bitte planen Sie höchstens zwei Jahre im Voraus.")
    return problems


def _minutes_between(start: time, end: time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


class PlanningError(Exception):
    """A planning change would break a rule; the messages are for the administrator."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(str(m) for m in messages))
        self.messages = [str(m) for m in messages]


@dataclass
class SeriesDates:
    dates: list[date]
    # (date, holiday name) pairs that the rule hit but that are public holidays.
    skipped: list[tuple[date, str]]


def _nth_weekday(year: int, month: int, weekday: int, week_of_month: int) -> date:
    if week_of_month == -1:
        last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week_of_month - 1))


def _rule_dates(*, recurrence, weekday, starts_on, ends_on, week_of_month, interval_weeks):
    if recurrence == Recurrence.MONTHLY:
        year, month = starts_on.year, starts_on.month
        while date(year, month, 1) <= ends_on:
            on = _nth_weekday(year, month, weekday, week_of_month)
            if starts_on <= on <= ends_on:
                yield on
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        on = starts_on + timedelta(days=(weekday - starts_on.weekday()) % 7)
        while on <= ends_on:
            yield on
            on += timedelta(weeks=interval_weeks)


def series_dates(
    *,
    recurrence: str,
    weekday: int,
    starts_on: date,
    ends_on: date,
    week_of_month: int | None = None,
    interval_weeks: int = 1,
    state: str = "NI",
    language: str = "de",
) -> SeriesDates:
    """The dates a series rule yields between two dates, without the public holidays of
    the state (a District.state code), which are returned separately. Pure: no database."""
    public = holidays.country_holidays(
        "DE",
        subdiv=state,
        years=range(starts_on.year, ends_on.year + 1),
        language="en_US" if language.startswith("en") else "de",
    )
    dates, skipped = [], []
    for on in _rule_dates(
        recurrence=recurrence,
        weekday=weekday,
        starts_on=starts_on,
        ends_on=ends_on,
        week_of_month=week_of_month,
        interval_weeks=max(interval_weeks or 1, 1),
    ):
        if on in public:
            skipped.append((on, public.get(on)))
        else:
            dates.append(on)
    return SeriesDates(dates=dates, skipped=skipped)


def dates_of_series(*, series, language: str = "de") -> SeriesDates:
    """series_dates for a saved (or unsaved) OutreachSeries, with its Landkreis' holidays."""
    return series_dates(
        recurrence=series.recurrence,
        weekday=series.weekday,
        starts_on=series.starts_on,
        ends_on=series.ends_on,
        week_of_month=series.week_of_month,
        interval_weeks=series.interval_weeks,
        state=series.site.municipality.district.state,
        language=language,
    )


def coach_clashes(*, coaches, starts_at: datetime, ends_at: datetime, exclude_day=None) -> list:
    """The DayCoach rows that put any of these coaches on another day overlapping the
    given time; the same rule the database enforces with an exclusion constraint."""
    rows = DayCoach.objects.filter(
        coach__in=list(coaches), starts_at__lt=ends_at, ends_at__gt=starts_at
    ).select_related("coach", "day__site__municipality")
    if exclude_day is not None and exclude_day.pk:
        rows = rows.exclude(day=exclude_day)
    return list(rows.order_by("starts_at"))


def describe_clash(row: DayCoach) -> str:
    local_start = timezone.localtime(row.starts_at)
    local_end = timezone.localtime(row.ends_at)
    return _(
        "%(coach)s ist am %(date)s von %(start)s bis %(end)s Uhr schon in %(place)s eingeplant."
    ) % {
        "coach": row.coach.name,
        "date": f"{local_start:%d.%m.%Y}",
        "start": f"{local_start:%H:%M}",
        "end": f"{local_end:%H:%M}",
        "place": f"{row.day.site.municipality.name} ({row.day.site.name})",
    }


@dataclass
class GenerationResult:
    created: list[OutreachDay] = field(default_factory=list)
    # Dates that already had a day at this site: left as they are.
    existing: list[date] = field(default_factory=list)
    skipped: list[tuple[date, str]] = field(default_factory=list)
    # Clash descriptions: the day was created without that coach.
    clashes: list[str] = field(default_factory=list)


def generate_days(*, series) -> GenerationResult:
    """Create the series' missing days as drafts, skipping holidays. Running it again
    creates nothing twice: dates that already have a day at the site are left alone."""
    result = GenerationResult()
    with transaction.atomic():
        # Two administrators generating the same series at once queue up here.
        series = OutreachSeries.objects.select_for_update().get(pk=series.pk)
        problems = series_problems(**{name: getattr(series, name) for name in SERIES_RULE_FIELDS})
        if problems:
            raise PlanningError(list(problems.values()))
        planned = dates_of_series(series=series)
        result.skipped = planned.skipped
        taken = set(
            OutreachDay.objects.filter(site_id=series.site_id, date__in=planned.dates).values_list(
                "date", flat=True
            )
        )
        members = list(series.team.members.all())
        for on in planned.dates:
            if on in taken:
                result.existing.append(on)
                continue
            try:
                result.created.append(_create_series_day(series, on, members, result))
            except IntegrityError:
                # Someone planned this date at this site (or took a coach) a moment ago;
                # create_day's savepoint rolled back just this day.
                result.existing.append(on)
    return result


def _create_series_day(series, on: date, members: list, result: GenerationResult):
    starts_at = local_datetime(on, series.start_time)
    ends_at = local_datetime(on, series.end_time)
    clashes = coach_clashes(coaches=members, starts_at=starts_at, ends_at=ends_at)
    result.clashes += [describe_clash(row) for row in clashes]
    busy = {row.coach_id for row in clashes}
    return create_day(
        site=series.site,
        on=on,
        start=series.start_time,
        end=series.end_time,
        slot_minutes=series.slot_minutes,
        seats_per_slot=series.seats_per_slot,
        team=series.team,
        coaches=[coach for coach in members if coach.pk not in busy],
        series=series,
    )


def publish_days(*, days, now=None) -> int:
    """Publish the draft days among these that have not passed, with one notice per venue;
    returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        published = [day for day in days if day.ends_at > now and _publish(day)]
        venue.queue_days_published(days=published)
    return len(published)


def publish_next_days(*, series: OutreachSeries, count: int, now=None) -> int:
    """Publish the series' next `count` draft days that have not passed; returns how many."""
    now = now or timezone.now()
    drafts = series.days.filter(status=DayStatus.DRAFT, ends_at__gt=now).order_by("date")
    return publish_days(days=list(drafts[: max(count, 0)]), now=now)


def cancel_day(*, day: OutreachDay, reason: str, now=None) -> int:
    """Cancel a day and every booking on it, and queue one "day cancelled" notice per
    booked client. Returns the number of bookings cancelled (0 if already cancelled)."""
    now = now or timezone.now()
    reason = " ".join(reason.split())[:300]
    if not reason:
        raise PlanningError([_("Bitte geben Sie einen Grund für die Absage an.")])
    with transaction.atomic():
        # The day is closed first, under the lock every booking takes: a booking that
        # waits for this lock re-checks the status afterwards and finds the day cancelled.
        locked = lock_day(day.pk)
        if locked.status == DayStatus.CANCELLED:
            return 0
        if locked.ends_at <= now and locked.status == DayStatus.PUBLISHED:
            raise PlanningError([_("Dieser Tag hat schon stattgefunden.")])
        OutreachDay.objects.filter(pk=day.pk).update(
            status=DayStatus.CANCELLED,
            cancelled_at=now,
            cancel_reason=reason,
            version=F("version") + 1,
        )
        bookings = list(Booking.objects.filter(day_id=day.pk).confirmed())
        # Whoever is reached by neither mail nor SMS goes on the call list (invariant 10),
        # read while the bookings are still confirmed.
        record_calls(
            bookings=Booking.objects.filter(day_id=day.pk),
            reason=CallReason.DAY_CANCELLED,
            for_date=locked.date,
        )
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
            status=BookingStatus.CANCELLED,
            cancelled_at=now,
            cancelled_by=CancelledBy.OFFICE,
            cancel_reason=reason,
            updated_at=now,
        )
        # Offers of seats on this day end with it; their holds go with the recount below.
        WaitlistEntry.objects.filter(day_id=day.pk, status=WaitlistStatus.OFFERED).update(
            status=WaitlistStatus.EXPIRED
        )
        # Seats are given back only now that no booking can reach the day any more.
        _recount_seats(day.pk)
        # Nobody is present on a cancelled day; this frees the coaches for a replacement.
        DayCoach.objects.filter(day_id=day.pk).delete()
        with outbox.publishing_in_batches():
            for booking in bookings:
                outbox.queue_mail(kind=MailKind.DAY_CANCELLED, booking=booking)
        venue.queue_day_cancelled(day=locked)
    day.refresh_from_db()
    return len(bookings)


def _recount_seats(day_id: int) -> None:
    taken = (
        Booking.objects.filter(slot=OuterRef("pk"), takes_seat=True, status__in=ACTIVE_STATUSES)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Slot.objects.filter(day_id=day_id).update(seats_taken=Coalesce(Subquery(taken), 0))
    touch_day(day_id)


def day_change_problems(
    *,
    day: OutreachDay,
    on: date,
    start: time,
    end: time,
    seats_per_slot: int,
    coaches,
) -> list[str]:
    """Why this edit of a day is not allowed (empty if it is). Slots that would fall away
    must be unbooked, and no slot may end up with fewer seats than are booked in it."""
    if day.status == DayStatus.CANCELLED:
        return [_("Dieser Tag ist abgesagt. Er kann nicht mehr geändert werden.")]
    starts_at, ends_at = local_datetime(on, start), local_datetime(on, end)
    if ends_at <= starts_at:
        return [_("Das Ende muss nach dem Beginn liegen.")]
    problems = []
    grid = slot_times(starts_at=starts_at, ends_at=ends_at, minutes=day.slot_minutes)
    grid = {slot_start for slot_start, _end in grid}
    slots = day.slots.annotate(booked=Count("bookings")).order_by("starts_at")
    for slot in slots:
        if slot.starts_at not in grid and slot.booked:
            problems.append(
                _(
                    "Das Zeitfenster um %(time)s Uhr am %(date)s hat schon Buchungen. "
                    "Es muss bleiben. Wenn der Tag nicht stattfinden kann, sagen Sie ihn ab."
                )
                % _slot_label(slot)
            )
        elif slot.starts_at in grid and slot.seats_taken > seats_per_slot:
            problems.append(
                _(
                    "Weniger Plätze geht nicht: Um %(time)s Uhr sind schon %(taken)s Plätze "
                    "gebucht. Es braucht mindestens %(taken)s Plätze pro Zeitfenster."
                )
                % {**_slot_label(slot), "taken": slot.seats_taken}
            )
    clashes = coach_clashes(coaches=coaches, starts_at=starts_at, ends_at=ends_at, exclude_day=day)
    return problems + [describe_clash(row) for row in clashes]


def _slot_label(slot: Slot) -> dict:
    local = timezone.localtime(slot.starts_at)
    return {"time": f"{local:%H:%M}", "date": f"{local:%d.%m.%Y}"}


def change_day(
    *,
    day: OutreachDay,
    on: date,
    start: time,
    end: time,
    seats_per_slot: int,
    coaches,
    team: Team | None = None,
) -> OutreachDay:
    """Apply an edit to a day: new times add slots, unbooked slots outside them go, seats
    change on every slot, coaches are replaced. Raises PlanningError, changing nothing,
    if a booked seat would be lost or a coach would be on two days at once."""
    with transaction.atomic():
        # Under the day lock no booking can take a seat between the check and the write.
        locked = lock_day(day.pk)
        coaches = list(coaches)
        problems = day_change_problems(
            day=locked, on=on, start=start, end=end, seats_per_slot=seats_per_slot, coaches=coaches
        )
        if problems:
            raise PlanningError(problems)
        locked.date, locked.team, locked.seats_per_slot = on, team, seats_per_slot
        locked.starts_at, locked.ends_at = local_datetime(on, start), local_datetime(on, end)
        locked.save(update_fields=["date", "team", "seats_per_slot", "starts_at", "ends_at"])
        touch_day(locked.pk)
        grid = slot_times(
            starts_at=locked.starts_at, ends_at=locked.ends_at, minutes=locked.slot_minutes
        )
        locked.slots.exclude(starts_at__in=[s for s, _e in grid]).delete()
        build_slots(day=locked)
        # The conditional filter is the guard; slot_never_overbooked is the last line.
        locked.slots.filter(seats_taken__lte=seats_per_slot).update(capacity=seats_per_slot)
        locked.day_coaches.update(starts_at=locked.starts_at, ends_at=locked.ends_at)
        assign_coaches(day=locked, coaches=coaches)
    return locked


def preview_series(*, series) -> list[dict]:
    """One row per date: its times and whether it is new, exists, or a coach clashes.
    Three queries whatever the number of dates."""
    planned = dates_of_series(series=series).dates
    existing = set(
        OutreachDay.objects.filter(site=series.site, date__in=planned).values_list(
            "date", flat=True
        )
    )
    busy = []
    if planned:
        busy = coach_clashes(
            coaches=series.team.members.all(),
            starts_at=local_datetime(planned[0], series.start_time),
            ends_at=local_datetime(planned[-1], series.end_time),
        )
    rows = []
    for on in planned:
        starts_at = local_datetime(on, series.start_time)
        ends_at = local_datetime(on, series.end_time)
        clashes = [
            describe_clash(row)
            for row in busy
            if row.starts_at < ends_at and row.ends_at > starts_at
        ]
        rows.append({"date": on, "exists": on in existing, "clashes": clashes})
    return rows
