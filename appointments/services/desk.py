"""The front desk's changes to a caller's booking: the client's own cancel and move,
made by a clerk on the client's behalf and written to the access log with the clerk's
name in the same transaction."""

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from appointments.models import AuditAction, AuditEntry, Booking, CancelledBy
from appointments.services.booking import cancel_booking, move_booking


def _audit(user: AbstractBaseUser, booking: Booking, detail: str) -> None:
    AuditEntry.objects.create(
        user=user,
        action=AuditAction.CHANGE_BOOKING,
        day_id=booking.day_id,
        booking=booking,
        detail=detail[:200],
    )


def desk_cancel_booking(
    *, booking: Booking, user: AbstractBaseUser, reason: str = "", now: datetime | None = None
) -> bool:
    """Cancel a booking for a client who asked at the desk or on the phone; the client is
    told as after any cancellation. Returns False if it was no longer confirmed."""
    with transaction.atomic():
        cancelled = cancel_booking(booking=booking, reason=reason, by=CancelledBy.OFFICE, now=now)
        if cancelled:
            _audit(user, booking, "cancel by front desk")
    return cancelled


def desk_move_booking(
    *, booking: Booking, to_slot_id: int, user: AbstractBaseUser, now: datetime | None = None
) -> Booking:
    """Move a booking to another free slot for a client who asked at the desk; the same
    rules and notice as the client's own move through the manage link."""
    with transaction.atomic():
        moved = move_booking(booking=booking, to_slot_id=to_slot_id, now=now)
        if moved.slot_id == to_slot_id and moved.sequence != booking.sequence:
            _audit(user, moved, f"move by front desk to slot {to_slot_id}")
    return moved
