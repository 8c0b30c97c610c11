"""When an accompaniment ends, nothing promised outlives its data (invariant 9): open
follow-ups move to the last day before erasure and open referrals are withdrawn. A
withdrawal through the manage link is audited with its actor. A "job start" outcome on a
linked visit is the person's job start."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import AuditAction, AuditEntry, Booking, BookingStatus
from appointments.services import book_slot, erase_expired_personal_data, record_outcome
from coaches import casework, employers, figures, retention
from coaches.models import PersonStatus, Referral
from tests import factories
from tests.coaches.conftest import attended


@pytest.fixture(autouse=True)
def retention_days(settings):
    settings.RETENTION_DAYS = 90
    settings.ACCOMPANIMENT_LAPSE_DAYS = 365


def follow_up(case, booking, days):
    on = timezone.localdate() + timedelta(days=days)
    record_outcome(booking=booking, codes=["advice"], follow_up_on=on, user=case.anna.user)
    return on


def test_closing_moves_a_later_follow_up_to_the_last_day_before_erasure(case, person):
    follow_up(case, case.booking, 300)
    casework.end_accompaniment(person=person, user=case.anna.user, reason="Job")

    case.booking.refresh_from_db()
    last = retention.last_follow_up_after_end(booking=case.booking, ended_at=person.ended_at)
    erased_at = max(case.day.ends_at, person.ended_at) + timedelta(days=90)
    assert last == timezone.localdate(erased_at) - timedelta(days=1)
    assert case.booking.follow_up_on == last
    entry = AuditEntry.objects.get(booking=case.booking, detail__contains="moved")
    assert entry.user == case.anna.user and entry.action == AuditAction.CHANGE_BOOKING
    # The follow-up is still there on the erasure's eve, and gone with the data after it.
    erase_expired_personal_data(now=erased_at - timedelta(hours=1))
    case.booking.refresh_from_db()
    assert case.booking.anonymised_at is None and case.booking.follow_up_on == last
    erase_expired_personal_data(now=erased_at + timedelta(hours=1))
    case.booking.refresh_from_db()
    assert case.booking.anonymised_at is not None


def test_a_follow_up_within_the_limit_stays(case, person):
    on = follow_up(case, case.booking, 30)
    casework.end_accompaniment(person=person, user=case.anna.user, withdrawn=True)
    case.booking.refresh_from_db()
    assert case.booking.follow_up_on == on
    assert not AuditEntry.objects.filter(detail__contains="moved").exists()


def test_a_lapsed_accompaniment_moves_its_follow_ups_too(case, person):
    follow_up(case, case.booking, 600)
    later = timezone.now() + timedelta(days=366)
    erase_expired_personal_data(now=later)
    person.refresh_from_db()
    case.booking.refresh_from_db()
    assert person.status == PersonStatus.LAPSED
    assert case.booking.follow_up_on == timezone.localdate(later + timedelta(days=89))
    entry = AuditEntry.objects.get(booking=case.booking, detail__contains="moved")
    assert entry.user is None and entry.actor == retention.LAPSE_ACTOR
    assert AuditEntry.objects.filter(actor=retention.LAPSE_ACTOR, detail__endswith="lapsed")


def test_open_referrals_are_withdrawn_when_it_ends_and_a_hire_stays(case, person):
    hired = employers.refer_person(person=person, opening=case.laundry, coach=case.anna)
    employers.change_referral_status(
        referral=hired, status="hired", on=timezone.localdate(), coach=case.anna
    )
    proposed = employers.refer_person(person=person, employer=case.employer, coach=case.anna)
    employers.change_referral_status(
        referral=proposed, status="interview", on=timezone.localdate(), coach=case.anna
    )

    casework.end_accompaniment(person=person, user=case.anna.user)

    assert Referral.objects.get(pk=hired.pk).status == "hired"
    proposed = Referral.objects.get(pk=proposed.pk)
    assert proposed.status == "withdrawn"
    step = proposed.steps.last()
    assert step.status == "withdrawn" and step.reason == retention.ENDED_REFERRAL_REASON
    assert AuditEntry.objects.filter(
        user=case.anna.user, detail__contains=f"referral {proposed.pk} withdrawn"
    ).exists()
    assert not Referral.objects.filter(person=person, status__in=["proposed", "interview"])


def test_withdrawal_through_the_manage_link_is_audited(case, client):
    slot = case.day.slots.order_by("starts_at")[1]
    result = book_slot(
        slot_id=slot.pk,
        client=factories.client_details(name="Lea Link"),
        now=slot.starts_at - timedelta(days=3),
    )
    Booking.objects.filter(pk=result.booking.pk).update(status=BookingStatus.ATTENDED)
    booking = Booking.objects.get(pk=result.booking.pk)
    person = casework.start_accompaniment(
        booking=booking,
        coach=case.anna,
        consent=True,
        constraints=casework.WorkConstraints(),
    )
    follow_up(case, booking, 400)

    response = client.post(reverse("appointments:withdraw_consent", args=[result.token]))

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.status == PersonStatus.WITHDRAWN
    entry = AuditEntry.objects.get(detail=f"person {person.pk} withdrawn")
    assert entry.user is None and entry.actor == "client via manage link"
    assert "client via manage link" in str(entry)
    moved = AuditEntry.objects.get(booking=booking, detail__contains="moved")
    assert moved.actor == "client via manage link"


def test_an_audit_entry_names_who_acted(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        AuditEntry.objects.create(action=AuditAction.CHANGE_PERSON, detail="nobody")


def test_a_job_start_outcome_on_a_linked_visit_is_the_persons_job_start(case, person):
    record_outcome(booking=case.booking, codes=["job_start"], user=case.anna.user)
    person.refresh_from_db()
    assert person.job_start_on == case.day.date
    span = {"start": case.day.date.replace(day=1), "end": case.day.date + timedelta(days=1)}
    assert figures.collect(**span).total.into_work == 1

    # Recording the outcome again without it takes the job start back.
    record_outcome(booking=case.booking, codes=["advice"], user=case.anna.user)
    person.refresh_from_db()
    assert person.job_start_on is None


def test_the_earliest_of_a_hire_and_a_job_start_outcome_wins(case, person):
    referral = employers.refer_person(person=person, opening=case.laundry, coach=case.anna)
    earlier = timezone.localdate() - timedelta(days=5)
    employers.change_referral_status(referral=referral, status="hired", on=earlier, coach=case.anna)
    record_outcome(booking=case.booking, codes=["job_start"], user=case.anna.user)
    person.refresh_from_db()
    assert person.job_start_on == earlier


def test_a_job_start_on_a_visit_linked_later_counts(case, person):
    slot = case.day.slots.order_by("starts_at")[1]
    second = attended(slot, name="Maria Schulz", phone="0151 1234567")
    record_outcome(booking=second, codes=["job_start"], user=case.anna.user)
    person.refresh_from_db()
    assert person.job_start_on is None
    casework.link_visit(person=person, booking=second, coach=case.anna)
    person.refresh_from_db()
    assert person.job_start_on == case.day.date


def test_job_start_figures_stay_the_same_after_erasure(case, person):
    record_outcome(booking=case.booking, codes=["job_start"], user=case.anna.user)
    casework.end_accompaniment(person=person, user=case.anna.user)
    person.refresh_from_db()
    span = {"start": case.day.date.replace(day=1), "end": case.day.date + timedelta(days=1)}
    before = figures.collect(**span)

    erase_expired_personal_data(now=person.ended_at + timedelta(days=91))

    person.refresh_from_db()
    after = figures.collect(**span)
    assert person.anonymised_at is not None and person.job_start_on == case.day.date
    assert (after.rows, after.total, after.funnel) == (before.rows, before.total, before.funnel)
    assert after.total.into_work == 1
