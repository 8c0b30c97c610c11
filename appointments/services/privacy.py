"""Privacy: personal data erased on schedule, and the client's rights to see and erase it."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from appointments.models import (
    Booking,
    BookingStatus,
    BookingToken,
    Call,
    CancelledBy,
    MailStatus,
    OutgoingMail,
    OutreachDay,
    WaitlistEntry,
)
from appointments.services.applications import erase_expired_applications
from appointments.services.programmes import end_enrolments_without_consent
from appointments.services.seats import (
    lock_day,
    release_seat,
)
from appointments.services.waitlist import offer_freed_seat
from coaches import retention

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
    "origin_address": "",
    "origin_session": "",
}
ERASED_WAITLIST_FIELDS = {"name": "", "email": "", "phone": ""}


def erasure_due(*, day: OutreachDay) -> datetime:
    """When the personal data of a day's bookings is erased."""
    return day.ends_at + timedelta(days=settings.RETENTION_DAYS)


def _anonymise_bookings(bookings, now: datetime) -> int:
    rows = list(bookings.filter(anonymised_at=None).values_list("pk", "day_id"))
    if not rows:
        return 0
    ids = [pk for pk, _day_id in rows]
    # The coaches' cached schedules of these days show the names: a new version drops
    # them. Raised before the bookings change, as every path takes the day's row first.
    OutreachDay.objects.filter(pk__in={day_id for _pk, day_id in rows}).bump_version()
    BookingToken.objects.filter(booking_id__in=ids).delete()
    # An SMTP error text can quote the address, so it goes too.
    OutgoingMail.objects.filter(booking_id__in=ids).update(last_error="", context={})
    # A note on a call ("reached her sister") is about the client as well.
    Call.objects.filter(booking_id__in=ids).update(note="")
    return Booking.objects.filter(pk__in=ids).update(
        **ERASED_BOOKING_FIELDS, anonymised_at=now, updated_at=now
    )


def erase_expired_personal_data(*, now: datetime | None = None) -> dict[str, int]:
    """Erase contact data, notes and needs of every booking and waiting-list entry whose
    day ended RETENTION_DAYS ago. What the statistics count (status, channel, topics,
    outcome codes, times) stays, so the figures are the same before and after.

    Bookings of an accompanied person are kept while the accompaniment lasts, and go
    RETENTION_DAYS after it ended, together with the person's own data. Programme
    applications go RETENTION_DAYS after their cohort's last session."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    with transaction.atomic():
        retention.end_lapsed_accompaniments(now=now)
        end_enrolments_without_consent(now=now)
        persons = retention.anonymise_ended_persons(cutoff=cutoff, now=now)
        expired = Booking.objects.filter(day__ends_at__lt=cutoff)
        bookings = _anonymise_bookings(expired.exclude(pk__in=retention.kept_booking_ids()), now)
        entries = WaitlistEntry.objects.filter(anonymised_at=None).filter(
            Q(day__ends_at__lt=cutoff) | Q(day=None, created_at__lt=cutoff)
        )
        entries = entries.update(**ERASED_WAITLIST_FIELDS, anonymised_at=now, offered_slot=None)
        applications = erase_expired_applications(cutoff=cutoff, now=now)
    return {
        "bookings": bookings,
        "waitlist_entries": entries,
        "persons": persons,
        "applications": applications,
    }


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
        lock_day(booking.day_id)
        cancelled = Booking.objects.filter(
            pk=booking.pk, status=BookingStatus.CONFIRMED, slot__starts_at__gt=now
        ).update(status=BookingStatus.CANCELLED, cancelled_at=now, cancelled_by=CancelledBy.CLIENT)
        if cancelled and booking.takes_seat:
            release_seat(booking.slot_id)
            offer_freed_seat(slot_id=booking.slot_id, now=now)
        # Queued notices for this booking would go to an address that no longer exists.
        OutgoingMail.objects.filter(
            booking=booking, status__in=[MailStatus.QUEUED, MailStatus.RETRYING]
        ).update(status=MailStatus.FAILED, last_error="erased at the client's request")
        _anonymise_bookings(Booking.objects.filter(pk=booking.pk), now)
