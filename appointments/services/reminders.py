"""Reminders: a periodic scan queues each due reminder exactly once, by mail and, for a
client who agreed, by SMS; a client with only a mobile number is reminded too."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, OuterRef, Prefetch, Subquery
from django.utils import timezone

from appointments import outbox
from appointments.models import (
    Booking,
    BookingStatus,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    MailKind,
    OutgoingMail,
    Session,
)

# Bookings claimed per transaction by the reminder scan: a cancel or move of one of them
# waits at most for one chunk's short transaction (no SMTP in it).
REMINDER_CHUNK = 200


def queue_due_reminders(*, now: datetime | None = None, lead_hours: list[int] | None = None) -> int:
    """Queue every reminder that is due now, each exactly once; returns how many.

    Bookings are claimed in chunks: locked, re-checked against what the scan read
    (status, sequence, reminded_at) and stamped in the transaction that queues their
    mail, so two scans, or a scan racing a cancel or a move, can never queue a reminder
    twice or for the old time. Each chunk's rows go to the broker as batch tasks.
    """
    now = now or timezone.now()
    lead_hours = settings.REMINDER_LEAD_HOURS if lead_hours is None else lead_hours
    candidates = Booking.objects.reminder_candidates(now=now, lead_hours=lead_hours)
    reminders = Prefetch(
        "mails",
        queryset=OutgoingMail.objects.filter(kind=MailKind.REMINDER).only(
            "booking_id", "key", "context"
        ),
        to_attr="reminder_mails",
    )
    due = []
    for booking in (
        candidates.select_related("slot")
        .prefetch_related(reminders)
        .order_by("slot__starts_at", "pk")
    ):
        sent = reminders_sent(booking)
        hours = booking.due_reminder_lead(now=now, lead_hours=lead_hours, sent=sent)
        if hours is not None:
            due.append((booking, hours))
    queued = 0
    # One transaction and one batch of broker messages per chunk, not one per booking.
    with outbox.publishing_in_batches():
        for start in range(0, len(due), REMINDER_CHUNK):
            queued += _claim_reminders(due[start : start + REMINDER_CHUNK], now)
    return queued


def reminders_sent(booking: Booking) -> int:
    """How many reminders went out for the booking's current time; a reminder by mail
    and SMS is one reminder (one claim, two rows whose keys differ by "sms:")."""
    keys = {
        row.key.removeprefix("sms:")
        for row in booking.reminder_mails
        if row.context.get("sequence") == booking.sequence
    }
    return len(keys)


def _claim_reminder(booking: Booking, hours: int, now: datetime) -> bool:
    return _claim_reminders([(booking, hours)], now) == 1


def _claim_reminders(due: list[tuple[Booking, int]], now: datetime) -> int:
    """Lock the bookings, re-check that each is as the scan read it (still confirmed,
    not moved, not reminded since), stamp them and queue their reminders, all in one
    transaction; returns how many were claimed."""
    with transaction.atomic():
        current = {
            b.pk: b
            for b in Booking.objects.select_for_update()
            .filter(pk__in=[booking.pk for booking, _ in due])
            .order_by("pk")
            .only("status", "sequence", "reminded_at")
        }
        claimed = [(booking, hours) for booking, hours in due if _unchanged(booking, current)]
        Booking.objects.filter(pk__in=[booking.pk for booking, _ in claimed]).update(
            reminded_at=now
        )
        # The keys are new: each names the scan time of a booking just claimed.
        outbox.queue_new_booking_notices(
            kind=MailKind.REMINDER,
            notices=[
                (
                    booking,
                    f"reminder:{booking.pk}:{booking.sequence}:{now:%Y%m%dT%H%M%S}",
                    {"sequence": booking.sequence, "lead_hours": hours},
                )
                for booking, hours in claimed
            ],
        )
    return len(claimed)


def _unchanged(booking: Booking, current: dict[int, Booking]) -> bool:
    row = current.get(booking.pk)
    return (
        row is not None
        and row.status == BookingStatus.CONFIRMED
        and row.sequence == booking.sequence
        and row.reminded_at == booking.reminded_at
    )


def queue_programme_reminders(*, now: datetime | None = None, lead_hours: int | None = None) -> int:
    """Queue one reminder per active participation whose cohort's first session begins
    within the lead time; each is claimed by a compare-and-set on reminded_at, so two
    scans never queue it twice. Returns how many were queued."""
    now = now or timezone.now()
    lead = max(settings.REMINDER_LEAD_HOURS) if lead_hours is None else lead_hours
    first_session = (
        Session.objects.filter(cohort=OuterRef("cohort"))
        .values("cohort")
        .annotate(first=Min("starts_at"))
        .values("first")
    )
    due = (
        Enrolment.objects.filter(
            status=EnrolmentStatus.ACTIVE,
            reminded_at=None,
            cohort__status=CohortStatus.PUBLISHED,
        )
        .annotate(first_starts_at=Subquery(first_session))
        .filter(first_starts_at__gt=now, first_starts_at__lte=now + timedelta(hours=lead))
        .order_by("first_starts_at", "pk")
    )
    queued = 0
    for enrolment in due:
        with transaction.atomic():
            claimed = Enrolment.objects.filter(
                pk=enrolment.pk, status=EnrolmentStatus.ACTIVE, reminded_at=None
            ).update(reminded_at=now)
            if claimed:
                outbox.queue_mail(
                    kind=MailKind.PROGRAMME_REMINDER,
                    enrolment=enrolment,
                    key=f"{MailKind.PROGRAMME_REMINDER}:{enrolment.pk}",
                )
                queued += 1
    return queued
