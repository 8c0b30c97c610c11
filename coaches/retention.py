"""Retention of accompanied persons (invariants 5 and 9).

While an accompaniment is active, the person's data and their linked bookings are kept.
It ends when a coach closes it, when the person withdraws consent, or after a configured
time without contact; RETENTION_DAYS after the end the person is anonymised. The row stays
with anonymous facts only (municipality, team, first visit, job start, referral steps),
so the figures are the same before and after.

Called by appointments.services.privacy, so this module imports models only.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from appointments.models import Enrolment
from coaches.models_casework import ContactEntry, Person, PersonStatus, PersonVisit
from coaches.models_employers import ReferralStep

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
    return (
        Person.objects.active()
        .filter(last_contact_at__lt=quiet_since)
        .update(status=PersonStatus.LAPSED, ended_at=now)
    )


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
