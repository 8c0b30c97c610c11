"""Booking, cancelling and moving a seat: the client's own path through the secret link."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from appointments import outbox
from appointments.models import (
    STAFF_CHANNELS,
    AuditAction,
    AuditEntry,
    Booking,
    BookingStatus,
    BookingToken,
    CancelledBy,
    Channel,
    MailKind,
    OutreachDay,
    Slot,
)
from appointments.services.seats import (
    BookingClosed,
    BookingError,
    BookingOrigin,
    BookingResult,
    ClientDetails,
    SlotNotBookable,
    create_booking_row,
    lock_day,
    refuse_if_booked,
    refuse_new_booking,
    release_seat,
    take_seat,
)
from appointments.services.waitlist import offer_freed_seat


def book_slot(
    *,
    slot_id: int,
    client: ClientDetails,
    submission_key: str | None = None,
    origin: BookingOrigin | None = None,
    channel: str = Channel.ONLINE,
    consent_recorded_by: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> BookingResult:
    """Book one seat of a slot for a client, never more seats than the slot has.

    Staff booking a caller or a visitor (channel phone or desk) pass themselves as
    consent_recorded_by: the clerk who read out the privacy notice is named on the
    booking and in the access log. Staff bookings carry no origin, so the public caps
    per address and session do not apply to them.

    Raises SlotTaken, SlotNotBookable, AlreadyBooked (the person, by normalised email or
    phone, holds a booking that day) or TooManyBookings (the origin's caps for the day are
    reached). Posting the same form twice (same submission_key) returns the first booking
    instead of making a second.
    """
    now = now or timezone.now()
    if channel in STAFF_CHANNELS and consent_recorded_by is None:
        raise ValueError("a staff booking needs the clerk who recorded the consent")
    try:
        with transaction.atomic():
            slot = take_seat(slot_id, now)
            refuse_new_booking(slot.day_id, email=client.email, phone=client.phone, origin=origin)
            booking = create_booking_row(
                slot,
                client,
                submission_key,
                origin,
                consent_at=now,
                channel=channel,
                consent_recorded_by=consent_recorded_by,
            )
            token = BookingToken.objects.issue(booking=booking)
            if consent_recorded_by is not None:
                _audit_staff_booking(booking, consent_recorded_by)
            # A new booking has no notices yet: its mail and SMS rows in one INSERT, under
            # the key queue_mail would give them, without get_or_create's lookups.
            kind = MailKind.BOOKING_CONFIRMED
            key = f"{kind}:{booking.pk}:{booking.sequence}"
            outbox.queue_new_booking_notices(kind=kind, notices=[(booking, key, {})])
    except (BookingError, IntegrityError):
        # The same form posted again (the submission key is unique) finds its first
        # booking, whatever this attempt ran into: the seat it took, the person's booking
        # or the caps that booking counts in, or the key itself. Looked up only here, so
        # a first submit, the usual case, runs no lookup.
        earlier = _earlier_booking(submission_key)
        if earlier:
            return BookingResult(earlier, token=None, duplicate=True)
        raise
    # take_seat raised the version read under the day's lock once.
    return BookingResult(booking, token=token, day_version=slot.day.version + 1)


def _earlier_booking(submission_key: str | None) -> Booking | None:
    if not submission_key:
        return None
    return Booking.objects.filter(submission_key=submission_key).first()


def _audit_staff_booking(booking: Booking, user: AbstractBaseUser) -> None:
    AuditEntry.objects.create(
        user=user,
        action=AuditAction.BOOK_FOR_CLIENT,
        day_id=booking.day_id,
        booking=booking,
        detail=booking.channel,
    )


def cancel_booking(
    *, booking: Booking, reason: str = "", by: str = CancelledBy.CLIENT, now=None
) -> bool:
    """Cancel a confirmed booking, free its seat and tell the client. Idempotent: returns
    False if the booking was not confirmed (already cancelled, attended, or past)."""
    now = now or timezone.now()
    if by == CancelledBy.CLIENT and booking.slot.starts_at <= now:
        raise BookingClosed
    with transaction.atomic():
        lock_day(booking.day_id)
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
            release_seat(booking.slot_id)
            offer_freed_seat(slot_id=booking.slot_id, now=now)
        booking.refresh_from_db()
        outbox.queue_mail(kind=MailKind.BOOKING_CANCELLED, booking=booking)
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
            lock_day(day_id)
        current = Booking.objects.select_related("slot").get(pk=booking.pk)
        if not current.can_change(now) or current.day_id != booking.day_id:
            raise BookingClosed
        if to_slot_id == current.slot_id:
            return current
        if target_day_id != current.day_id:
            refuse_if_booked(
                target_day_id, email=current.email, phone=current.phone, exclude_pk=current.pk
            )
        new_slot = take_seat(to_slot_id, now)
        release_seat(current.slot_id)
        offer_freed_seat(slot_id=current.slot_id, now=now)
        current.slot, current.day = new_slot, new_slot.day
        current.rescheduled_at = now
        current.reminded_at = None
        current.sequence += 1
        current.save(
            update_fields=["slot", "day", "rescheduled_at", "reminded_at", "sequence", "updated_at"]
        )
        outbox.queue_mail(kind=MailKind.BOOKING_MOVED, booking=current)
    return current


def move_targets(*, booking: Booking, now: datetime) -> QuerySet:
    """The days a booking may move to: published, with a free slot, in its municipality's
    Landkreis (never the whole country), its own municipality's days first."""
    municipality = booking.slot.day.site.municipality
    own = Case(
        When(site__municipality_id=municipality.pk, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        OutreachDay.objects.published()
        .filter(
            site__municipality__district_id=municipality.district_id,
            ends_at__gt=now,
            # No slot of a later day is bookable yet; this keeps the scan short.
            starts_at__lte=now + timedelta(days=settings.BOOKING_OPENS_DAYS),
        )
        .with_free_slots(now)
        .filter(free_slots__gt=0)
        .select_related("site__municipality")
        .annotate(own=own)
        .order_by("own", "starts_at", "pk")
    )
