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
        queryset=OutgoingMail.objects.filter(kind=MailKind.REMINDER).only(
            "booking_id", "key", "context"
        ),
        to_attr="reminder_mails",
    )
    queued = 0
    for booking in (
        candidates.select_related("slot")
        .prefetch_related(reminders)
        .order_by("slot__starts_at", "pk")
    ):
        sent = reminders_sent(booking)
        hours = booking.due_reminder_lead(now=now, lead_hours=lead_hours, sent=sent)
        if hours is not None and _claim_reminder(booking, hours, now):
            queued += 1
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
    with transaction.atomic():
        claimed = Booking.objects.filter(
            pk=booking.pk,
            status=BookingStatus.CONFIRMED,
            sequence=booking.sequence,
            reminded_at=booking.reminded_at,
        ).update(reminded_at=now)
        if claimed:
            outbox.queue_mail(
                kind=MailKind.REMINDER,
                booking=booking,
                key=f"reminder:{booking.pk}:{booking.sequence}:{now:%Y%m%dT%H%M%S}",
                context={"sequence": booking.sequence, "lead_hours": hours},
            )
    return bool(claimed)


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
