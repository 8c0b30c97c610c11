"""Invariant 9 for programmes: no participation outlives the person's consent, and a
person's participation loses its personal text with the person's data."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import EnrolmentStatus, LeaveReason, Mark
from appointments.services import (
    enrol_person,
    erase_expired_personal_data,
    leave_programme,
    mark_session,
    participant_rows,
)
from coaches import casework
from coaches.models import Person, PersonStatus
from tests import factories
from tests.coaches import programme_world as world

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(case):
    return world.cohort(world.programme(case.team, factories.site(case.wathlingen)))


def counts(cohort):
    return [(r.present, r.absent, r.enrolment.end_reason) for r in participant_rows(cohort=cohort)]


def test_withdrawing_consent_ends_the_participation_at_once(case, cohort):
    person = world.person(case.team, case.wathlingen)
    enrolment = enrol_person(person=person, cohort=cohort, coach=case.anna)

    casework.end_accompaniment(person=person, user=None, withdrawn=True)

    enrolment.refresh_from_db()
    cohort.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.LEFT
    assert enrolment.end_reason == LeaveReason.OTHER
    assert enrolment.ended_on == timezone.localdate()
    assert cohort.places_taken == 0


def test_a_lapsed_accompaniment_ends_the_participation_too(case, cohort, settings):
    settings.ACCOMPANIMENT_LAPSE_DAYS = 30
    person = world.person(case.team, case.wathlingen)
    enrolment = enrol_person(person=person, cohort=cohort, coach=case.anna)
    Person.objects.filter(pk=person.pk).update(last_contact_at=timezone.now() - timedelta(days=31))

    erase_expired_personal_data()

    person.refresh_from_db()
    enrolment.refresh_from_db()
    assert person.status == PersonStatus.LAPSED
    assert enrolment.status == EnrolmentStatus.LEFT


def test_the_participation_is_erased_with_the_person_and_the_counts_stay(case, cohort, settings):
    settings.RETENTION_DAYS = 90
    person = world.person(case.team, case.wathlingen, name="Maria Schulz")
    enrolment = enrol_person(person=person, cohort=cohort, coach=case.anna, today=world.START)
    session = cohort.sessions.first()
    mark_session(enrolment=enrolment, session=session, mark=Mark.PRESENT, coach=case.anna)
    leave_programme(
        enrolment=enrolment,
        reason=LeaveReason.ILLNESS,
        on=world.START + timedelta(days=3),
        note="Rücken, länger krank",
        today=world.START + timedelta(days=3),
    )
    casework.end_accompaniment(person=person, user=case.anna.user)
    before = counts(cohort)

    erase_expired_personal_data(now=timezone.now() + timedelta(days=91))

    person.refresh_from_db()
    enrolment.refresh_from_db()
    assert person.anonymised_at is not None and person.name == ""
    assert enrolment.end_note == ""
    assert counts(cohort) == before == [(1, 0, LeaveReason.ILLNESS)]
