"""Domain functions for counselling days and bookings.

Views, admin actions, tasks and management commands call these; none of them
re-implements a rule.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import emails
from appointments.models import (
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
    OutcomeCode,
    OutreachDay,
    Slot,
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
            booking = _create_booking(slot, client, submission_key, now)
            token = issue_token(booking=booking)
            emails.queue_mail(kind=MailKind.BOOKING_CONFIRMED, booking=booking)
    except IntegrityError:
        # A concurrent double submit can only lose on the unique submission key.
        earlier = Booking.objects.filter(submission_key=submission_key).first()
        if submission_key and earlier:
            return BookingResult(earlier, token=None, duplicate=True)
        raise
    return BookingResult(booking, token=token)


def _create_booking(slot, client, submission_key, now) -> Booking:
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
        consent_at=now,
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
        current.slot, current.day = new_slot, new_slot.day
        current.rescheduled_at = now
        current.reminded_at = None
        current.sequence += 1
        current.save(
            update_fields=["slot", "day", "rescheduled_at", "reminded_at", "sequence", "updated_at"]
        )
        emails.queue_mail(kind=MailKind.BOOKING_MOVED, booking=current)
    return current


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
    booking = Booking.objects.create(
        slot=slot,
        day=day,
        reference=new_reference(),
        submission_key=submission_key,
        status=BookingStatus.ATTENDED,
        channel=Channel.WALK_IN,
        takes_seat=takes_seat,
        name=client.name,
        phone=client.phone,
        need_step_free=client.need_step_free,
        need_child=client.need_child,
        interpreter_language=client.interpreter_language,
        needs_other=client.needs_other,
        note=client.note,
        language=client.language,
    )
    booking.topics.set(client.topics)
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
