"""Printed material: the poster's next days and topics, and the seat an invitation letter
reserves for the person it is posted to (through the same booking path as online)."""

from dataclasses import dataclass
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from appointments.models import (
    Booking,
    BookingToken,
    Channel,
    OutreachDay,
    Slot,
    local_datetime,
)
from appointments.services.booking import book_slot
from appointments.services.seats import BookingError, ClientDetails, SlotNotBookable, SlotTaken

POSTER_DAYS = 3
# A letter tries this many free slots, in time order, when others take them meanwhile.
LETTER_SLOT_TRIES = 5


class NoSlotFree(BookingError):
    """The day has no bookable slot left (from the time asked for)."""


@dataclass
class Reservation:
    booking: Booking
    # The raw short manage token, printed on the letter; the database keeps its hash.
    short_token: str


def poster_days(*, municipality, now: datetime | None = None) -> list[OutreachDay]:
    """The municipality's next published days, with venue and the coaches' specialisms."""
    now = now or timezone.now()
    days = (
        OutreachDay.objects.for_clients_page()
        .published()
        .upcoming(now)
        .filter(site__municipality=municipality)
        .order_by("starts_at")
    )
    return list(days[:POSTER_DAYS])


def poster_topics(days) -> list:
    """The specialisms of the coaches present on these days, each once, by name."""
    topics = {s.pk: s for day in days for s in day.specialisms_present}
    return sorted(topics.values(), key=lambda s: s.name)


def reserve_for_letter(
    *,
    day: OutreachDay,
    client: ClientDetails,
    from_time: time | None = None,
    submission_key: str | None = None,
    now: datetime | None = None,
) -> Reservation:
    """Reserve the earliest free slot of the day (from a time on) for a client invited by
    letter, through book_slot with its locks and rules, and issue the letter's short
    manage link. Raises NoSlotFree, or book_slot's refusals (AlreadyBooked, …)."""
    now = now or timezone.now()
    slots = Slot.objects.bookable(now).filter(day=day).order_by("starts_at")
    if from_time is not None:
        slots = slots.filter(starts_at__gte=local_datetime(day.date, from_time))
    for slot_id in slots.values_list("pk", flat=True)[:LETTER_SLOT_TRIES]:
        try:
            with transaction.atomic():
                result = book_slot(
                    slot_id=slot_id,
                    client=client,
                    submission_key=submission_key,
                    channel=Channel.LETTER,
                    now=now,
                )
                short = BookingToken.objects.issue(booking=result.booking, short=True)
            return Reservation(booking=result.booking, short_token=short)
        except (SlotTaken, SlotNotBookable):
            continue  # Taken between the list and the lock: the next one.
    raise NoSlotFree
