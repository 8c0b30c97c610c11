"""The seat primitives every booking path shares: lock the day, claim or release a seat,
and write the booking row. Booking, waiting list, staff actions and planning build on these."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F

from appointments.models import (
    Booking,
    OutreachDay,
    Slot,
)
from coaches.models import Specialism

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


def new_reference() -> str:
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def lock_day(day_id: int) -> OutreachDay:
    # Every seat change on a day takes this lock first, so a day being cancelled or
    # edited never races a booking. On SQLite, IMMEDIATE transactions serialise instead.
    return OutreachDay.objects.select_for_update(no_key=True).get(pk=day_id)


def claim_seat(slot: Slot) -> bool:
    """Take one seat if one is free. The conditional UPDATE is the guard; the
    slot_never_overbooked constraint is the database's last line behind it."""
    return (
        Slot.objects.filter(pk=slot.pk, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1
        )
        == 1
    )


def release_seat(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)


def take_seat(slot_id: int, now: datetime) -> Slot:
    """Lock the slot's day, re-check that the slot is open, and claim a seat."""
    try:
        slot = Slot.objects.get(pk=slot_id)
    except Slot.DoesNotExist:
        raise SlotNotBookable from None
    day = lock_day(slot.day_id)
    if not slot.is_open(now, day):
        raise SlotNotBookable
    if not claim_seat(slot):
        raise SlotTaken
    slot.day = day
    return slot


def email_taken(day_id: int, email: str, exclude_pk=None) -> bool:
    if not email:
        return False
    bookings = Booking.objects.filter(day_id=day_id, email__iexact=email).confirmed()
    return bookings.exclude(pk=exclude_pk).exists()


def create_booking_row(slot, client: ClientDetails, submission_key, **fields) -> Booking:
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
