"""Domain functions for counselling days and bookings.

Views, admin actions, tasks and management commands call these; none of them
re-implements a rule.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import holidays
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import emails
from appointments.models import (
    ACTIVE_STATUSES,
    AuditAction,
    AuditEntry,
    Booking,
    BookingOutcome,
    BookingStatus,
    BookingToken,
    CancelledBy,
    Channel,
    DayCoach,
    DayStatus,
    MailKind,
    MailStatus,
    OutcomeCode,
    OutgoingMail,
    OutreachDay,
    OutreachSeries,
    Recurrence,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
    hash_token,
    local_datetime,
)
from coaches.models import Coach, Specialism, Team
from locations.models import Site

# Letters and digits that cannot be confused on the phone or in handwriting.
REFERENCE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"


class BookingError(Exception):
    """A booking could not be made or changed; the message is for the client."""


class SlotTaken(BookingError):
    """The last seat went to someone else a moment ago."""


class SlotNotBookable(BookingError):
    """The slot is past, outside the booking window, or its day is not published."""


class AlreadyBooked(BookingError):
    """This email address already holds a booking on that day."""


class BookingClosed(BookingError):
    """The booking can no longer be changed (cancelled, or its time has passed)."""


@dataclass
class ClientDetails:
    name: str
    email: str = ""
    phone: str = ""
    topics: list[Specialism] = field(default_factory=list)
    need_step_free: bool = False
    need_child: bool = False
    interpreter_language: str = ""
    needs_other: str = ""
    note: str = ""
    language: str = "de"


@dataclass
class BookingResult:
    booking: Booking
    # The raw manage token exists only here, once; the database keeps its hash.
    token: str | None
    duplicate: bool = False


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
    day.day_coaches.exclude(coach__in=coaches).delete()
    present = set(day.day_coaches.values_list("coach_id", flat=True))
    DayCoach.objects.bulk_create(
        DayCoach(day=day, coach=coach, starts_at=day.starts_at, ends_at=day.ends_at)
        for coach in coaches
        if coach.pk not in present
    )


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
    """Make a draft day bookable. Returns False if it was not a draft."""
    updated = OutreachDay.objects.filter(pk=day.pk, status=DayStatus.DRAFT).update(
        status=DayStatus.PUBLISHED, published_at=timezone.now()
    )
    day.refresh_from_db(fields=["status", "published_at"])
    return updated == 1


def new_reference() -> str:
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def issue_token(*, booking: Booking) -> str:
    """A new secret manage link token for a booking; only its hash is stored."""
    token = new_token()
    BookingToken.objects.create(booking=booking, token_hash=hash_token(token))
    return token


def _lock_day(day_id: int) -> OutreachDay:
    # Every seat change on a day takes this lock first, so a day being cancelled or
    # edited never races a booking. On SQLite, IMMEDIATE transactions serialise instead.
    return OutreachDay.objects.select_for_update(no_key=True).get(pk=day_id)


def _is_open(slot: Slot, day: OutreachDay, now: datetime) -> bool:
    return (
        day.status == DayStatus.PUBLISHED
        and slot.starts_at >= now + timedelta(hours=settings.BOOKING_CLOSES_HOURS)
        and slot.starts_at <= now + timedelta(days=settings.BOOKING_OPENS_DAYS)
    )


def _claim_seat(slot: Slot) -> bool:
    """Take one seat if one is free. The conditional UPDATE is the guard; the
    slot_never_overbooked constraint is the database's last line behind it."""
    return (
        Slot.objects.filter(pk=slot.pk, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1
        )
        == 1
    )


def _release_seat(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)


def _take_seat(slot_id: int, now: datetime) -> Slot:
    """Lock the slot's day, re-check that the slot is open, and claim a seat."""
    try:
        slot = Slot.objects.get(pk=slot_id)
    except Slot.DoesNotExist:
        raise SlotNotBookable from None
    day = _lock_day(slot.day_id)
    if not _is_open(slot, day, now):
        raise SlotNotBookable
    if not _claim_seat(slot):
        raise SlotTaken
    slot.day = day
    return slot


def _email_taken(day_id: int, email: str, exclude_pk=None) -> bool:
    if not email:
        return False
    bookings = Booking.objects.filter(day_id=day_id, email__iexact=email).confirmed()
    return bookings.exclude(pk=exclude_pk).exists()


def book_slot(
    *,
    slot_id: int,
    client: ClientDetails,
    submission_key: str | None = None,
    now: datetime | None = None,
) -> BookingResult:
    """Book one seat of a slot for a client, never more seats than the slot has.

    Raises SlotTaken, SlotNotBookable or AlreadyBooked. Posting the same form twice
    (same submission_key) returns the first booking instead of making a second.
    """
    now = now or timezone.now()
    if submission_key:
        earlier = Booking.objects.filter(submission_key=submission_key).first()
        if earlier:
            return BookingResult(earlier, token=None, duplicate=True)
    try:
        with transaction.atomic():
            slot = _take_seat(slot_id, now)
            if _email_taken(slot.day_id, client.email):
                raise AlreadyBooked
            booking = _create_booking(slot, client, submission_key, consent_at=now)
            token = issue_token(booking=booking)
            emails.queue_mail(kind=MailKind.BOOKING_CONFIRMED, booking=booking)
    except IntegrityError:
        # A concurrent double submit can only lose on the unique submission key.
        earlier = Booking.objects.filter(submission_key=submission_key).first()
        if submission_key and earlier:
            return BookingResult(earlier, token=None, duplicate=True)
        raise
    return BookingResult(booking, token=token)


def _create_booking(slot, client: ClientDetails, submission_key, **fields) -> Booking:
    booking = Booking.objects.create(
        slot=slot,
        day_id=slot.day_id,
        reference=new_reference(),
        submission_key=submission_key,
        name=client.name,
        email=client.email.strip().lower(),
        phone=client.phone,
        need_step_free=client.need_step_free,
        need_child=client.need_child,
        interpreter_language=client.interpreter_language,
        needs_other=client.needs_other,
        note=client.note,
        language=client.language,
        **fields,
    )
    booking.topics.set(client.topics)
    return booking


def cancel_booking(
    *, booking: Booking, reason: str = "", by: str = CancelledBy.CLIENT, now=None
) -> bool:
    """Cancel a confirmed booking, free its seat and tell the client. Idempotent: returns
    False if the booking was not confirmed (already cancelled, attended, or past)."""
    now = now or timezone.now()
    if by == CancelledBy.CLIENT and booking.slot.starts_at <= now:
        raise BookingClosed
    with transaction.atomic():
        _lock_day(booking.day_id)
        cancelled = Booking.objects.filter(pk=booking.pk, status=BookingStatus.CONFIRMED).update(
            status=BookingStatus.CANCELLED,
            cancelled_at=now,
            cancelled_by=by,
            cancel_reason=reason[:300],
            updated_at=now,
        )
        if not cancelled:
            return False
        if booking.takes_seat:
            _release_seat(booking.slot_id)
            offer_freed_seat(slot_id=booking.slot_id, now=now)
        booking.refresh_from_db()
        emails.queue_mail(kind=MailKind.BOOKING_CANCELLED, booking=booking)
    return True


def move_booking(*, booking: Booking, to_slot_id: int, now=None) -> Booking:
    """Move a confirmed booking to another free slot of any published day, in one
    transaction: the new seat is taken before the old one is released, so if the new one
    is gone the booking stays exactly as it was."""
    now = now or timezone.now()
    target_day_id = Slot.objects.filter(pk=to_slot_id).values_list("day_id", flat=True).first()
    if target_day_id is None:
        raise SlotNotBookable
    with transaction.atomic():
        # Both days are locked in id order, so two moves in opposite directions cannot
        # deadlock; then the booking row is re-read under those locks.
        for day_id in sorted({target_day_id, booking.day_id}):
            _lock_day(day_id)
        current = Booking.objects.select_related("slot").get(pk=booking.pk)
        if (
            current.status != BookingStatus.CONFIRMED
            or current.day_id != booking.day_id
            or current.slot.starts_at <= now
        ):
            raise BookingClosed
        if to_slot_id == current.slot_id:
            return current
        if target_day_id != current.day_id and _email_taken(
            target_day_id, current.email, exclude_pk=current.pk
        ):
            raise AlreadyBooked
        new_slot = _take_seat(to_slot_id, now)
        _release_seat(current.slot_id)
        offer_freed_seat(slot_id=current.slot_id, now=now)
        current.slot, current.day = new_slot, new_slot.day
        current.rescheduled_at = now
        current.reminded_at = None
        current.sequence += 1
        current.save(
            update_fields=["slot", "day", "rescheduled_at", "reminded_at", "sequence", "updated_at"]
        )
        emails.queue_mail(kind=MailKind.BOOKING_MOVED, booking=current)
    return current


# --- Privacy: deletion on schedule and client rights ----------------------------------

ERASED_BOOKING_FIELDS = {
    "name": "",
    "email": "",
    "phone": "",
    "note": "",
    "need_step_free": False,
    "need_child": False,
    "interpreter_language": "",
    "needs_other": "",
    "outcome_note": "",
    "cancel_reason": "",
    "submission_key": None,
}
ERASED_WAITLIST_FIELDS = {"name": "", "email": "", "phone": ""}


def erasure_due(*, day: OutreachDay) -> datetime:
    """When the personal data of a day's bookings is erased."""
    return day.ends_at + timedelta(days=settings.RETENTION_DAYS)


def _anonymise_bookings(bookings, now: datetime) -> int:
    ids = list(bookings.filter(anonymised_at=None).values_list("pk", flat=True))
    if not ids:
        return 0
    BookingToken.objects.filter(booking_id__in=ids).delete()
    # An SMTP error text can quote the address, so it goes too.
    OutgoingMail.objects.filter(booking_id__in=ids).update(last_error="", context={})
    return Booking.objects.filter(pk__in=ids).update(
        **ERASED_BOOKING_FIELDS, anonymised_at=now, updated_at=now
    )


def erase_expired_personal_data(*, now: datetime | None = None) -> dict[str, int]:
    """Erase contact data, notes and needs of every booking and waiting-list entry whose
    day ended RETENTION_DAYS ago. What the statistics count (status, channel, topics,
    outcome codes, times) stays, so the figures are the same before and after."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    with transaction.atomic():
        bookings = _anonymise_bookings(Booking.objects.filter(day__ends_at__lt=cutoff), now)
        entries = WaitlistEntry.objects.filter(anonymised_at=None).filter(
            Q(day__ends_at__lt=cutoff) | Q(day=None, created_at__lt=cutoff)
        )
        entries = entries.update(**ERASED_WAITLIST_FIELDS, anonymised_at=now, offered_slot=None)
    return {"bookings": bookings, "waitlist_entries": entries}


def export_booking_data(*, booking: Booking) -> dict:
    """Everything stored about a client's booking, for the client's own download."""
    slot, site = booking.slot, booking.slot.day.site
    return {
        "reference": booking.reference,
        "status": booking.status,
        "appointment": {
            "starts_at": timezone.localtime(slot.starts_at).isoformat(),
            "ends_at": timezone.localtime(slot.ends_at).isoformat(),
            "venue": site.name,
            "room": site.room,
            "address": site.address,
            "municipality": site.municipality.name,
        },
        "contact": {"name": booking.name, "email": booking.email, "phone": booking.phone},
        "topics": [t.name for t in booking.topics.all()],
        "needs": {
            "step_free_access": booking.need_step_free,
            "bringing_a_child": booking.need_child,
            "interpreter_language": booking.interpreter_language,
            "other": booking.needs_other,
        },
        "note": booking.note,
        "language": booking.language,
        "consent_at": booking.consent_at.isoformat() if booking.consent_at else None,
        "created_at": booking.created_at.isoformat(),
        "rescheduled_at": booking.rescheduled_at.isoformat() if booking.rescheduled_at else None,
        "cancelled_at": booking.cancelled_at.isoformat() if booking.cancelled_at else None,
        "cancel_reason": booking.cancel_reason,
        "reminded_at": booking.reminded_at.isoformat() if booking.reminded_at else None,
        "erased_on_schedule_at": erasure_due(day=slot.day).isoformat(),
    }


def erase_booking(*, booking: Booking, now: datetime | None = None) -> None:
    """Erase a client's personal data at the client's request. A future booking is
    cancelled first, so its seat is free again; no notice is sent to an erased address."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock_day(booking.day_id)
        cancelled = Booking.objects.filter(
            pk=booking.pk, status=BookingStatus.CONFIRMED, slot__starts_at__gt=now
        ).update(status=BookingStatus.CANCELLED, cancelled_at=now, cancelled_by=CancelledBy.CLIENT)
        if cancelled and booking.takes_seat:
            _release_seat(booking.slot_id)
            offer_freed_seat(slot_id=booking.slot_id, now=now)
        # Queued notices for this booking would go to an address that no longer exists.
        OutgoingMail.objects.filter(
            booking=booking, status__in=[MailStatus.QUEUED, MailStatus.RETRYING]
        ).update(status=MailStatus.FAILED, last_error="erased at the client's request")
        _anonymise_bookings(Booking.objects.filter(pk=booking.pk), now)


class SlotsStillFree(BookingError):
    """The day still has a free slot in the wished time window: book it instead."""


def join_waitlist(
    *,
    day: OutreachDay,
    name: str,
    email: str,
    phone: str = "",
    earliest: time | None = None,
    latest: time | None = None,
    language: str = "de",
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put a client on the waiting list of a full day, once per email address.

    Raises SlotNotBookable for a day that is not published or has begun, and
    SlotsStillFree while a slot in the wished window can still be booked.
    """
    now = now or timezone.now()
    email = email.strip().lower()
    with transaction.atomic():
        # The day lock orders a join after any booking or cancellation in flight, and
        # makes two joins with the same address (a double submit) find each other.
        day = _lock_day(day.pk)
        if day.status != DayStatus.PUBLISHED or day.starts_at <= now:
            raise SlotNotBookable
        if Slot.objects.bookable(now).on(day).within(day.date, earliest, latest).exists():
            raise SlotsStillFree
        waiting = WaitlistEntry.objects.filter(
            day=day, email=email, status=WaitlistStatus.WAITING
        ).first()
        if waiting:
            return waiting
        return WaitlistEntry.objects.create(
            day=day,
            name=name,
            email=email,
            phone=phone,
            earliest=earliest,
            latest=latest,
            language=language,
            consent_at=now,
            # Offers carry their own link; this only fills the unique column unguessably.
            token_hash=hash_token(new_token()),
        )


# --- Planning -------------------------------------------------------------------------
# Series rules, day generation, publishing, cancelling and editing days. The admin calls
# these; the rules about booked seats and coach clashes live here, not in forms.

# Planning further ahead than this is almost always a typo in the year.
MAX_SERIES_DAYS = 2 * 366


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
    language: str = "de",
) -> SeriesDates:
    """The dates a series rule yields between two dates, without the public holidays of
    Lower Saxony, which are returned separately. Pure: no database."""
    public = holidays.country_holidays(
        "DE",
        subdiv="NI",
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
    """series_dates for a saved (or unsaved) OutreachSeries."""
    return series_dates(
        recurrence=series.recurrence,
        weekday=series.weekday,
        starts_on=series.starts_on,
        ends_on=series.ends_on,
        week_of_month=series.week_of_month,
        interval_weeks=series.interval_weeks,
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
    from django.utils.translation import gettext as _

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
    """Publish the draft days among these that have not passed; returns how many."""
    now = now or timezone.now()
    return sum(publish_day(day=day) for day in days if day.ends_at > now)


def cancel_day(*, day: OutreachDay, reason: str, now=None) -> int:
    """Cancel a day and every booking on it, and queue one "day cancelled" notice per
    booked client. Returns the number of bookings cancelled (0 if already cancelled)."""
    from django.utils.translation import gettext as _

    now = now or timezone.now()
    reason = " ".join(reason.split())[:300]
    if not reason:
        raise PlanningError([_("Bitte geben Sie einen Grund für die Absage an.")])
    with transaction.atomic():
        # The day is closed first, under the lock every booking takes: a booking that
        # waits for this lock re-checks the status afterwards and finds the day cancelled.
        locked = _lock_day(day.pk)
        if locked.status == DayStatus.CANCELLED:
            return 0
        if locked.ends_at <= now and locked.status == DayStatus.PUBLISHED:
            raise PlanningError([_("Dieser Tag hat schon stattgefunden.")])
        OutreachDay.objects.filter(pk=day.pk).update(
            status=DayStatus.CANCELLED, cancelled_at=now, cancel_reason=reason
        )
        bookings = list(Booking.objects.filter(day_id=day.pk).confirmed())
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
        for booking in bookings:
            emails.queue_mail(kind=MailKind.DAY_CANCELLED, booking=booking)
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
    from django.utils.translation import gettext as _

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
        locked = _lock_day(day.pk)
        coaches = list(coaches)
        problems = day_change_problems(
            day=locked, on=on, start=start, end=end, seats_per_slot=seats_per_slot, coaches=coaches
        )
        if problems:
            raise PlanningError(problems)
        locked.date, locked.team, locked.seats_per_slot = on, team, seats_per_slot
        locked.starts_at, locked.ends_at = local_datetime(on, start), local_datetime(on, end)
        locked.save(update_fields=["date", "team", "seats_per_slot", "starts_at", "ends_at"])
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


# --- Staff actions ---------------------------------------------------------------------
# Coaches change bookings on the day itself; every change and every look at client data
# leaves an AuditEntry (invariant 3).


class StaffActionRefused(BookingError):
    """A staff change is not possible in the booking's current state; the message says
    why, for the coach."""


def log_access(*, user: AbstractBaseUser, action: str, days=(), bookings=()) -> None:
    """Record that a staff member saw client data: one entry per day and per booking."""
    entries = [AuditEntry(user=user, action=action, day=day) for day in days]
    entries += [
        AuditEntry(user=user, action=action, day_id=booking.day_id, booking=booking)
        for booking in bookings
    ]
    AuditEntry.objects.bulk_create(entries)


def _audit_change(user, booking: Booking, detail: str, action=AuditAction.CHANGE_BOOKING):
    AuditEntry.objects.create(
        user=user, action=action, day_id=booking.day_id, booking=booking, detail=detail[:200]
    )


def _refuse_before_day(day_date: date, now: datetime) -> None:
    if timezone.localdate(now) < day_date:
        raise StaffActionRefused(_("Das geht erst am Beratungstag."))


def mark_attendance(
    *, booking: Booking, attended: bool, user: AbstractBaseUser, now: datetime | None = None
) -> bool:
    """Mark a booked client as attended or not attended, from the day on. Returns False
    when the booking already had that status (a double click changes nothing)."""
    now = now or timezone.now()
    status = BookingStatus.ATTENDED if attended else BookingStatus.NO_SHOW
    _refuse_before_day(booking.day.date, now)
    with transaction.atomic():
        # Conditional on the status, so two coaches clicking at once change it once.
        changed = Booking.objects.filter(pk=booking.pk, status=BookingStatus.CONFIRMED).update(
            status=status, updated_at=now
        )
        booking.refresh_from_db(fields=["status", "updated_at"])
        if not changed:
            if booking.status == status:
                return False
            raise StaffActionRefused(_("Dieser Termin ist schon erfasst oder abgesagt."))
        _audit_change(user, booking, status)
    return True


def undo_attendance(
    *, booking: Booking, user: AbstractBaseUser, now: datetime | None = None
) -> bool:
    """Set an attended or no-show booking back to booked. Refused for walk-ins and once an
    outcome is recorded, so no outcome is left on a booking nobody attended."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = Booking.objects.filter(
            pk=booking.pk,
            status__in=[BookingStatus.ATTENDED, BookingStatus.NO_SHOW],
            channel=Channel.ONLINE,
            outcome_recorded_at=None,
        ).update(status=BookingStatus.CONFIRMED, updated_at=now)
        booking.refresh_from_db(fields=["status", "channel", "outcome_recorded_at", "updated_at"])
        if not changed:
            if booking.status == BookingStatus.CONFIRMED:
                return False
            if booking.channel == Channel.WALK_IN:
                raise StaffActionRefused(_("Eine Person ohne Termin kann man nicht zurücksetzen."))
            if booking.outcome_recorded_at:
                raise StaffActionRefused(_("Für diesen Termin gibt es schon ein Ergebnis."))
            raise StaffActionRefused(_("Dieser Termin ist abgesagt."))
        _audit_change(user, booking, "undo")
    return True


def add_walk_in(
    *,
    slot: Slot,
    client: ClientDetails,
    user: AbstractBaseUser,
    submission_key: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Record a client who came without a booking as attended. They take a free seat of
    the slot if there is one, else they are an extra (takes_seat=False); either way they
    count in the statistics. The same form posted twice records one person."""
    now = now or timezone.now()
    if submission_key:
        earlier = Booking.objects.filter(submission_key=submission_key).first()
        if earlier:
            return earlier
    try:
        return _record_walk_in(slot, client, user, submission_key, now)
    except IntegrityError:
        # A concurrent double submit can only lose on the unique submission key.
        earlier = Booking.objects.filter(submission_key=submission_key).first()
        if submission_key and earlier:
            return earlier
        raise


@transaction.atomic
def _record_walk_in(slot, client, user, submission_key, now) -> Booking:
    day = _lock_day(slot.day_id)
    if day.status != DayStatus.PUBLISHED:
        raise StaffActionRefused(_("An diesem Tag findet keine Beratung statt."))
    _refuse_before_day(day.date, now)
    # The same conditional claim as book_slot: never more seats than the slot has.
    takes_seat = _claim_seat(slot)
    booking = _create_booking(
        slot,
        client,
        submission_key,
        status=BookingStatus.ATTENDED,
        channel=Channel.WALK_IN,
        takes_seat=takes_seat,
    )
    _audit_change(user, booking, "seat" if takes_seat else "extra", action=AuditAction.ADD_WALK_IN)
    return booking


def record_outcome(
    *,
    booking: Booking,
    codes: list[str],
    note: str = "",
    follow_up_on: date | None = None,
    user: AbstractBaseUser,
    now: datetime | None = None,
) -> Booking:
    """Store what was agreed with an attended client: outcome codes, a short note and an
    optional follow-up date. Recording again replaces the earlier outcome."""
    now = now or timezone.now()
    if not codes:
        raise StaffActionRefused(_("Bitte wählen Sie mindestens ein Ergebnis."))
    if not set(codes) <= set(OutcomeCode.values):
        raise StaffActionRefused(_("Bitte wählen Sie nur Ergebnisse aus der Liste."))
    with transaction.atomic():
        # Locked so two coaches saving at once do not mix their codes.
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.status != BookingStatus.ATTENDED:
            raise StaffActionRefused(_("Ein Ergebnis gibt es nur, wenn die Person da war."))
        current.outcomes.exclude(code__in=codes).delete()
        BookingOutcome.objects.bulk_create(
            [BookingOutcome(booking=current, code=code) for code in codes],
            ignore_conflicts=True,
        )
        if follow_up_on != current.follow_up_on:
            current.follow_up_done_at = None
        current.outcome_note = note[:1000]
        current.outcome_recorded_at = now
        current.follow_up_on = follow_up_on
        current.save(
            update_fields=[
                "outcome_note",
                "outcome_recorded_at",
                "follow_up_on",
                "follow_up_done_at",
                "updated_at",
            ]
        )
        follow_up = f" follow-up {follow_up_on:%Y-%m-%d}" if follow_up_on else ""
        _audit_change(user, current, "outcome " + ",".join(sorted(codes)) + follow_up)
    return current


def complete_follow_up(
    *, booking: Booking, user: AbstractBaseUser, now: datetime | None = None
) -> bool:
    """Mark a booking's follow-up as done. Returns False if it was already done."""
    now = now or timezone.now()
    with transaction.atomic():
        done = (
            Booking.objects.filter(pk=booking.pk, follow_up_done_at=None)
            .exclude(follow_up_on=None)
            .update(follow_up_done_at=now, updated_at=now)
        )
        if done:
            _audit_change(user, booking, "follow-up done")
    return done == 1


# --- Reminders and waiting-list offers (notifications) -------------------------------


def queue_due_reminders(*, now: datetime | None = None, lead_hours: list[int] | None = None) -> int:
    """Queue every reminder that is due now, each exactly once; returns how many.

    Each booking is claimed with a compare-and-set on its own columns (status, sequence,
    reminded_at) in the transaction that queues the mail, so two scans, or a scan racing
    a cancel or a move, can never queue a reminder twice or for the old time.
    """
    now = now or timezone.now()
    lead_hours = settings.REMINDER_LEAD_HOURS if lead_hours is None else lead_hours
    candidates = Booking.objects.reminder_candidates(now=now, lead_hours=lead_hours)
    reminders = Prefetch(
        "mails",
        queryset=OutgoingMail.objects.filter(kind=MailKind.REMINDER).only("booking_id", "context"),
        to_attr="reminder_mails",
    )
    queued = 0
    for booking in (
        candidates.select_related("slot")
        .prefetch_related(reminders)
        .order_by("slot__starts_at", "pk")
    ):
        sent = sum(m.context.get("sequence") == booking.sequence for m in booking.reminder_mails)
        hours = booking.due_reminder_lead(now=now, lead_hours=lead_hours, sent=sent)
        if hours is not None and _claim_reminder(booking, hours, now):
            queued += 1
    return queued


def _claim_reminder(booking: Booking, hours: int, now: datetime) -> bool:
    with transaction.atomic():
        claimed = Booking.objects.filter(
            pk=booking.pk,
            status=BookingStatus.CONFIRMED,
            sequence=booking.sequence,
            reminded_at=booking.reminded_at,
        ).update(reminded_at=now)
        if claimed:
            emails.queue_mail(
                kind=MailKind.REMINDER,
                booking=booking,
                key=f"reminder:{booking.pk}:{booking.sequence}:{now:%Y%m%dT%H%M%S}",
                context={"sequence": booking.sequence, "lead_hours": hours},
            )
    return bool(claimed)


def _matching_entries(slot: Slot, day: OutreachDay):
    """Waiting entries that fit a slot, first come first served: for its day, or for any
    day of its municipality, and whose time window holds the whole slot."""
    start = timezone.localtime(slot.starts_at).time()
    end = timezone.localtime(slot.ends_at).time()
    return (
        WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING)
        .filter(Q(day=day) | Q(day=None, municipality_id=day.site.municipality_id))
        .filter(Q(earliest=None) | Q(earliest__lte=start))
        .filter(Q(latest=None) | Q(latest__gte=end))
        .order_by("created_at", "pk")
    )


def _offer_to_next(slot: Slot, day: OutreachDay, now: datetime) -> WaitlistEntry | None:
    """Give a held seat to the first matching entry and queue the offer mail."""
    if not _is_open(slot, day, now):
        return None
    hours = timedelta(hours=settings.WAITLIST_OFFER_HOURS)
    closes = slot.starts_at - timedelta(hours=settings.BOOKING_CLOSES_HOURS)
    for entry in _matching_entries(slot, day):
        if _email_taken(day.pk, entry.email):
            continue
        # Compare-and-set: a municipality-wide entry may be matched for two days at once.
        offered = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.OFFERED,
            offered_slot=slot,
            offer_expires_at=min(now + hours, closes),
        )
        if offered:
            entry.refresh_from_db()
            emails.queue_mail(
                kind=MailKind.WAITLIST_OFFER,
                waitlist_entry=entry,
                key=f"waitlist_offer:{entry.pk}:{slot.pk}",
                context={"slot_id": slot.pk},
            )
            return entry
    return None


def offer_freed_seat(*, slot_id: int, now: datetime | None = None) -> WaitlistEntry | None:
    """A seat of the slot was just released: hold it for the first matching waiting-list
    entry and offer it by email. Called inside the transaction (and day lock) that freed
    it, so no one else can book the seat in between."""
    now = now or timezone.now()
    slot = Slot.objects.select_related("day__site").get(pk=slot_id)
    if not _is_open(slot, slot.day, now) or not _matching_entries(slot, slot.day).exists():
        return None
    # The hold takes the seat through the counter, exactly like a booking.
    if not _claim_seat(slot):
        return None
    entry = _offer_to_next(slot, slot.day, now)
    if entry is None:
        _release_seat(slot.pk)
    return entry


def expire_waitlist_offers(*, now: datetime | None = None) -> int:
    """End offers whose time ran out: the held seat goes to the next matching entry,
    or back to the public. Returns how many offers ended."""
    now = now or timezone.now()
    expired = WaitlistEntry.objects.filter(
        status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
    ).values_list("pk", "offered_slot_id")
    count = 0
    for entry_id, slot_id in expired:
        with transaction.atomic():
            if slot_id is not None:
                day = _lock_day(Slot.objects.get(pk=slot_id).day_id)
            ended = WaitlistEntry.objects.filter(
                pk=entry_id, status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
            ).update(status=WaitlistStatus.EXPIRED)
            if ended and slot_id is not None:
                slot = Slot.objects.select_related("day__site").get(pk=slot_id)
                if _offer_to_next(slot, day, now) is None:
                    _release_seat(slot_id)
            count += ended
    return count


def accept_waitlist_offer(
    *, entry_id: int, slot_id: int, now: datetime | None = None
) -> BookingResult:
    """Book the seat held for a waiting-list entry. Raises BookingClosed if the offer
    ended, AlreadyBooked if the address holds a booking that day. Accepting twice returns
    the first booking."""
    now = now or timezone.now()
    with transaction.atomic():
        slot = Slot.objects.select_related("day__site").get(pk=slot_id)
        day = _lock_day(slot.day_id)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
        if entry.status == WaitlistStatus.BOOKED and entry.offered_slot_id == slot_id:
            earlier = Booking.objects.filter(day=day, email__iexact=entry.email).confirmed()
            if earlier.exists():
                return BookingResult(earlier.first(), token=None, duplicate=True)
        if (
            entry.status != WaitlistStatus.OFFERED
            or entry.offered_slot_id != slot_id
            or entry.offer_expires_at <= now
            or day.status != DayStatus.PUBLISHED
            or slot.starts_at <= now
        ):
            raise BookingClosed
        if _email_taken(day.pk, entry.email):
            raise AlreadyBooked
        client = ClientDetails(
            name=entry.name, email=entry.email, phone=entry.phone, language=entry.language
        )
        slot.day = day
        # The seat is already taken by the hold: the booking inherits it.
        booking = _create_booking(slot, client, None, consent_at=entry.consent_at or now)
        token = issue_token(booking=booking)
        entry.status = WaitlistStatus.BOOKED
        entry.save(update_fields=["status"])
        emails.queue_mail(kind=MailKind.BOOKING_CONFIRMED, booking=booking)
    return BookingResult(booking, token=token)
