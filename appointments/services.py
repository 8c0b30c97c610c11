"""Domain functions for counselling days and bookings.

Views, admin actions, tasks and management commands call these; none of them
re-implements a rule.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from appointments import emails
from appointments.models import (
    Booking,
    BookingStatus,
    BookingToken,
    CancelledBy,
    DayCoach,
    DayStatus,
    MailKind,
    OutgoingMail,
    OutreachDay,
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
        booking = _create_booking(slot, client, None, now)
        token = issue_token(booking=booking)
        entry.status = WaitlistStatus.BOOKED
        entry.save(update_fields=["status"])
        emails.queue_mail(kind=MailKind.BOOKING_CONFIRMED, booking=booking)
    return BookingResult(booking, token=token)
