"""Retention of accompanied persons (invariants 5 and 9).

While an accompaniment is active, the person's data and their linked bookings are kept.
It ends when a coach closes it, when the person withdraws consent, or after a configured
time without contact; RETENTION_DAYS after the end the person is anonymised. The row stays
with anonymous facts only (municipality, team, first visit, job start, referral steps),
so the figures are the same before and after.

Called by appointments.services.privacy, so this module imports models only.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from appointments.models import AuditAction, AuditEntry, Booking, Enrolment, OutreachDay
from coaches.models_casework import ContactEntry, Person, PersonStatus, PersonVisit
from coaches.models_employers import REFERRAL_RANK, Referral, ReferralStatus, ReferralStep

ENDED_REFERRAL_REASON = "accompaniment ended"
LAPSE_ACTOR = "scheduled erasure"

ERASED_PERSON_FIELDS = {
    "name": "",
    "email": "",
    "phone": "",
    "earliest_start": None,
    "hours_per_week": None,
    "childcare": "not_needed",
    "childcare_note": "",
    "mobility": "bus",
    "health": "none",
    "health_note": "",
    "has_qualification": False,
    "qualification": "",
    "end_reason": "",
}


def lapse_days() -> int:
    return settings.ACCOMPANIMENT_LAPSE_DAYS


def end_lapsed_accompaniments(*, now: datetime) -> int:
    """End every active accompaniment without contact for ACCOMPANIMENT_LAPSE_DAYS."""
    quiet_since = now - timedelta(days=lapse_days())
    lapsed = Person.objects.active().filter(last_contact_at__lt=quiet_since)
    ids = list(lapsed.values_list("pk", flat=True))
    ended = Person.objects.filter(pk__in=ids).update(status=PersonStatus.LAPSED, ended_at=now)
    for person in Person.objects.filter(pk__in=ids):
        AuditEntry.objects.create(
            actor=LAPSE_ACTOR,
            action=AuditAction.CHANGE_PERSON,
            detail=f"person {person.pk} {PersonStatus.LAPSED}",
        )
        settle_ended_accompaniment(person=person, user=None, actor=LAPSE_ACTOR, now=now)
    return ended


def last_follow_up_after_end(*, booking: Booking, ended_at: datetime) -> date:
    """The last day a follow-up of the booking may have once the accompaniment ended: the
    day before the booking's data goes, which is RETENTION_DAYS after the later of the
    day's end and the accompaniment's end."""
    retention = timedelta(days=settings.RETENTION_DAYS)
    erased_at = max(booking.day.ends_at, ended_at) + retention
    return timezone.localdate(erased_at) - timedelta(days=1)


def settle_ended_accompaniment(
    *, person: Person, user, actor: str = "", now: datetime
) -> dict[str, int]:
    """Keep nothing promised past the erasure of an ended accompaniment (invariant 9):
    open follow-ups after the last allowed day move to that day, and open referrals are
    withdrawn; each change is written to the audit log. Runs in the caller's transaction."""
    today = timezone.localdate(now)
    moved = 0
    open_follow_ups = Booking.objects.filter(
        person_visit__person=person, follow_up_done_at=None
    ).exclude(follow_up_on=None)
    # The coaches' schedules show the follow-up date and are cached per version of the
    # day. Raised before the bookings are locked, as every path takes the day's row first.
    OutreachDay.objects.filter(bookings__in=open_follow_ups).bump_version()
    bookings = open_follow_ups.select_for_update(of=("self",)).select_related("day")
    entries = []
    for booking in bookings:
        last = last_follow_up_after_end(booking=booking, ended_at=person.ended_at or now)
        if booking.follow_up_on <= last:
            continue
        moved_from = f"{booking.follow_up_on:%Y-%m-%d}"
        Booking.objects.filter(pk=booking.pk).update(follow_up_on=last, updated_at=now)
        moved += 1
        entries.append(
            AuditEntry(
                user=user,
                actor=actor,
                action=AuditAction.CHANGE_BOOKING,
                day_id=booking.day_id,
                booking=booking,
                detail=f"person {person.pk} ended: follow-up {moved_from} moved to {last:%Y-%m-%d}",
            )
        )
    open_statuses = [s for s, rank in REFERRAL_RANK.items() if rank < 4]
    referrals = list(
        Referral.objects.select_for_update().filter(person=person, status__in=open_statuses)
    )
    for referral in referrals:
        ReferralStep.objects.create(
            referral=referral,
            status=ReferralStatus.WITHDRAWN,
            on=today,
            reason=ENDED_REFERRAL_REASON,
        )
        entries.append(
            AuditEntry(
                user=user,
                actor=actor,
                action=AuditAction.CHANGE_PERSON,
                detail=f"person {person.pk} referral {referral.pk} withdrawn: "
                + ENDED_REFERRAL_REASON,
            )
        )
    Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(
        status=ReferralStatus.WITHDRAWN, updated_at=now
    )
    AuditEntry.objects.bulk_create(entries)
    return {"moved": moved, "withdrawn": len(referrals)}


def kept_booking_ids() -> QuerySet:
    """Bookings kept past their own erasure date: those of persons not yet anonymised."""
    return PersonVisit.objects.filter(person__anonymised_at=None).values("booking_id")


def anonymise_ended_persons(*, cutoff: datetime, now: datetime) -> int:
    """Anonymise every person whose accompaniment ended before the cutoff."""
    ids = list(
        Person.objects.kept()
        .filter(ended_at__lt=cutoff)
        .exclude(status=PersonStatus.ACTIVE)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    ContactEntry.objects.filter(person_id__in=ids).delete()
    ReferralStep.objects.filter(referral__person_id__in=ids).update(reason="")
    Person.reachable.through.objects.filter(person_id__in=ids).delete()
    Enrolment.objects.filter(person_id__in=ids).update(end_note="")
    return Person.objects.filter(pk__in=ids).update(**ERASED_PERSON_FIELDS, anonymised_at=now)
