"""The waiting list: joining a full day, offering a freed seat, expiring and accepting offers."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from appointments import outbox
from appointments.models import (
    Booking,
    BookingToken,
    DayStatus,
    MailKind,
    OutreachDay,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
    hash_token,
    new_token,
)
from appointments.services.seats import (
    BookingClosed,
    BookingError,
    BookingResult,
    ClientDetails,
    SlotNotBookable,
    claim_seat,
    create_booking_row,
    lock_day,
    normalised_email,
    person_booked,
    refuse_if_booked,
    release_seat,
    touch_day,
)
from appointments.sms import takes_sms


class SlotsStillFree(BookingError):
    """The day still has a free slot in the wished time window: book it instead."""


def join_waitlist(
    *,
    day: OutreachDay,
    name: str,
    email: str,
    phone: str = "",
    sms_consent: bool = False,
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
        day = lock_day(day.pk)
        if not day.takes_waitlist(now):
            raise SlotNotBookable
        if Slot.objects.bookable(now).on(day).within(day.date, earliest, latest).exists():
            raise SlotsStillFree
        # One entry per mailbox: +tags and ignored dots do not make a second person,
        # whose offers would each hold a seat.
        wanted = normalised_email(email)
        waiting = WaitlistEntry.objects.filter(day=day, status=WaitlistStatus.WAITING)
        for entry in waiting.order_by("pk"):
            if normalised_email(entry.email) == wanted:
                return entry
        return WaitlistEntry.objects.create(
            day=day,
            name=name,
            email=email,
            phone=phone,
            sms_consent=sms_consent and takes_sms(phone),
            earliest=earliest,
            latest=latest,
            language=language,
            consent_at=now,
            # Offers carry their own link; this only fills the unique column unguessably.
            token_hash=hash_token(new_token()),
        )


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
    if not slot.is_open(now, day):
        return None
    hours = timedelta(hours=settings.WAITLIST_OFFER_HOURS)
    closes = slot.starts_at - timedelta(hours=settings.BOOKING_CLOSES_HOURS)
    for entry in _matching_entries(slot, day):
        if person_booked(day.pk, email=entry.email, phone=entry.phone):
            continue
        # Compare-and-set: a municipality-wide entry may be matched for two days at once.
        offered = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.OFFERED,
            offered_slot=slot,
            offer_expires_at=min(now + hours, closes),
        )
        if offered:
            entry.refresh_from_db()
            outbox.queue_mail(
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
    if not slot.is_open(now) or not _matching_entries(slot, slot.day).exists():
        return None
    # The hold takes the seat through the counter, exactly like a booking.
    if not claim_seat(slot):
        return None
    entry = _offer_to_next(slot, slot.day, now)
    if entry is None:
        release_seat(slot.pk)
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
                day = lock_day(Slot.objects.get(pk=slot_id).day_id)
            ended = WaitlistEntry.objects.filter(
                pk=entry_id, status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
            ).update(status=WaitlistStatus.EXPIRED)
            if ended and slot_id is not None:
                slot = Slot.objects.select_related("day__site").get(pk=slot_id)
                if _offer_to_next(slot, day, now) is None:
                    release_seat(slot_id)
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
        day = lock_day(slot.day_id)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
        if entry.status == WaitlistStatus.BOOKED and entry.offered_slot_id == slot_id:
            earlier = Booking.objects.filter(day=day, email__iexact=entry.email).confirmed()
            if earlier.exists():
                return BookingResult(earlier.first(), token=None, duplicate=True)
        if (
            not entry.offer_is_open(slot_id=slot_id, now=now)
            or day.status != DayStatus.PUBLISHED
            or slot.starts_at <= now
        ):
            raise BookingClosed
        refuse_if_booked(day.pk, email=entry.email, phone=entry.phone)
        client = ClientDetails(
            name=entry.name,
            email=entry.email,
            phone=entry.phone,
            sms_consent=entry.sms_consent,
            language=entry.language,
        )
        slot.day = day
        # The seat is already taken by the hold, so the counter does not move; the new
        # booking still changes the coaches' schedule of the day.
        touch_day(day.pk)
        booking = create_booking_row(slot, client, None, consent_at=entry.consent_at or now)
        token = BookingToken.objects.issue(booking=booking)
        entry.status = WaitlistStatus.BOOKED
        entry.save(update_fields=["status"])
        outbox.queue_mail(kind=MailKind.BOOKING_CONFIRMED, booking=booking)
    return BookingResult(booking, token=token)
