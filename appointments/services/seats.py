"""The seat primitives every booking path shares: lock the day, claim or release a seat,
and write the booking row. Booking, waiting list, staff actions and planning build on these."""

import functools
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from django.conf import settings
from django.db.models import F

from appointments.models import (
    Booking,
    OutreachDay,
    Slot,
)
from appointments.sms import takes_sms
from coaches.models import Specialism

REFERENCE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"


class BookingError(Exception):
    """A booking could not be made or changed; the message is for the client."""


class SlotTaken(BookingError):
    """The last seat went to someone else a moment ago."""


class SlotNotBookable(BookingError):
    """The slot is past, outside the booking window, or its day is not published."""


class AlreadyBooked(BookingError):
    """This person (by email or phone number) already holds a booking on that day."""

    def __init__(self, field: str = "email"):
        super().__init__(field)
        self.field = field


class TooManyBookings(BookingError):
    """The day already has as many bookings from this client address or session as allowed."""


class BookingClosed(BookingError):
    """The booking can no longer be changed (cancelled, or its time has passed)."""


@dataclass
class ClientDetails:
    name: str
    email: str = ""
    phone: str = ""
    sms_consent: bool = False
    topics: list[Specialism] = field(default_factory=list)
    need_step_free: bool = False
    need_child: bool = False
    interpreter_language: str = ""
    needs_other: str = ""
    note: str = ""
    language: str = "de"


@dataclass(frozen=True)
class BookingOrigin:
    """Where a public booking came from, as keyed hashes (never the address itself)."""

    address_key: str = ""
    session_key: str = ""


@dataclass
class BookingResult:
    booking: Booking
    # The raw manage token exists only here, once; the database keeps its hash.
    token: str | None
    duplicate: bool = False
    # The day's version as the booking's transaction left it (None for a duplicate).
    day_version: int | None = None


def new_reference() -> str:
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def lock_day(day_id: int) -> OutreachDay:
    # Every seat change on a day takes this lock first, so a day being cancelled or
    # edited never races a booking. On SQLite, IMMEDIATE transactions serialise instead.
    return OutreachDay.objects.select_for_update(no_key=True).get(pk=day_id)


def lock_slot_day(slot_id: int) -> Slot | None:
    """The slot with its day and venue, the day locked as lock_day() locks it, in one
    statement. The day row returned is the one read after the lock, so its status and
    version are current."""
    return (
        Slot.objects.select_related("day__site__municipality")
        .select_for_update(no_key=True, of=("day",))
        .filter(pk=slot_id)
        .first()
    )


def touch_day(day_id: int) -> None:
    """Raise the day's version: the cached day page of the old version is never served
    again. Call it in the transaction that changes what the day page shows."""
    OutreachDay.objects.filter(pk=day_id).bump_version()


def claim_seat(slot: Slot) -> bool:
    """Take one seat if one is free. The conditional UPDATE is the guard; the
    slot_never_overbooked constraint is the database's last line behind it."""
    claimed = (
        Slot.objects.filter(pk=slot.pk, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1
        )
        == 1
    )
    if claimed:
        touch_day(slot.day_id)
    return claimed


def release_seat(slot_id: int) -> None:
    released = Slot.objects.filter(pk=slot_id, seats_taken__gt=0).update(
        seats_taken=F("seats_taken") - 1
    )
    if released:
        OutreachDay.objects.filter(slots=slot_id).bump_version()


def take_seat(slot_id: int, now: datetime) -> Slot:
    """Lock the slot's day, re-check that the slot is open, and claim a seat."""
    slot = lock_slot_day(slot_id)
    if slot is None:
        raise SlotNotBookable
    if not slot.is_open(now, slot.day):
        raise SlotNotBookable
    if not claim_seat(slot):
        raise SlotTaken
    return slot


# Providers whose mailboxes ignore dots in the local part, and their aliases.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def normalised_email(email: str) -> str:
    """One spelling per mailbox, for the one-booking-per-day rule only: lower case,
    without a +tag, and without dots where the provider ignores them."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return email.strip().lower()
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"


# Every booking compares its number with each of the day's others, under the day lock;
# parsing is the costly part, and the same numbers come up again and again.
@functools.lru_cache(maxsize=8192)
def normalised_phone(phone: str) -> str:
    """A phone number in E.164 (German numbers without a country code are read as German);
    anything unparsable is reduced to its digits, so spacing never makes a new person."""
    try:
        number = phonenumbers.parse(phone, "DE")
    except phonenumbers.NumberParseException:
        return "".join(c for c in phone if c.isdigit())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def person_booked(day_id: int, *, email: str = "", phone: str = "", exclude_pk=None) -> str:
    """Which contact ("email" or "phone") already holds a confirmed booking of the day,
    compared in normalised form, or "" if neither does. Call it under the day lock."""
    if not (email or phone):
        return ""
    booked = Booking.objects.filter(day_id=day_id).confirmed().exclude(pk=exclude_pk)
    return _booked_by(booked.values_list("email", "phone"), email=email, phone=phone)


def _booked_by(contacts, *, email: str, phone: str) -> str:
    """Which of email and phone is among the (email, phone) pairs, normalised, or ""."""
    email = normalised_email(email) if email else ""
    phone = normalised_phone(phone) if phone else ""
    for other_email, other_phone in contacts:
        if email and other_email and normalised_email(other_email) == email:
            return "email"
        if phone and other_phone and normalised_phone(other_phone) == phone:
            return "phone"
    return ""


def refuse_if_booked(day_id: int, *, email: str = "", phone: str = "", exclude_pk=None) -> None:
    """Raise AlreadyBooked if this person already holds a booking of the day."""
    field = person_booked(day_id, email=email, phone=phone, exclude_pk=exclude_pk)
    if field:
        raise AlreadyBooked(field)


def refuse_new_booking(
    day_id: int, *, email: str = "", phone: str = "", origin: BookingOrigin | None = None
) -> None:
    """refuse_if_booked, then the caps: TooManyBookings when the day already holds as
    many confirmed bookings from this address or session as the settings allow. Both
    from one read of the day's confirmed bookings. Call it under the day lock."""
    rows = list(
        Booking.objects.filter(day_id=day_id)
        .confirmed()
        .values_list("email", "phone", "origin_address", "origin_session")
    )
    field = _booked_by(((row[0], row[1]) for row in rows), email=email, phone=phone)
    if field:
        raise AlreadyBooked(field)
    if origin is None:
        return
    caps = [
        (2, origin.address_key, settings.BOOKINGS_PER_ADDRESS_PER_DAY),
        (3, origin.session_key, settings.BOOKINGS_PER_SESSION_PER_DAY),
    ]
    for column, key, cap in caps:
        if key and sum(row[column] == key for row in rows) >= cap:
            raise TooManyBookings


def create_booking_row(
    slot, client: ClientDetails, submission_key, origin: BookingOrigin | None = None, **fields
) -> Booking:
    if origin is not None:
        fields |= {"origin_address": origin.address_key, "origin_session": origin.session_key}
    booking = Booking.objects.create(
        slot=slot,
        day_id=slot.day_id,
        reference=new_reference(),
        submission_key=submission_key,
        name=client.name,
        email=client.email.strip().lower(),
        phone=client.phone,
        # Only a number that can take a text message; a landline stays on the call list.
        sms_consent=client.sms_consent and takes_sms(client.phone),
        need_step_free=client.need_step_free,
        need_child=client.need_child,
        interpreter_language=client.interpreter_language,
        needs_other=client.needs_other,
        note=client.note,
        language=client.language,
        **fields,
    )
    # A new booking has no topics yet: one INSERT, without set()'s read of the current ones.
    Topic = Booking.topics.through
    Topic.objects.bulk_create(
        Topic(booking_id=booking.pk, specialism_id=topic.pk) for topic in client.topics
    )
    return booking
