"""Programmes: sessions without holidays, publishing, enrolment within capacity,
attendance with the missed-session message once, leaving early, rates and the flag."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from appointments.models import (
    Cohort,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    LeaveReason,
    MailKind,
    Mark,
    OutgoingMail,
)
from appointments.services import (
    CohortFull,
    ProgrammeRefused,
    cancel_cohort,
    cohort_attendance_rate,
    enrol_person,
    generate_sessions,
    leave_programme,
    mark_session,
    participant_rows,
    plan_sessions,
    publish_cohort,
)
from tests import factories
from tests.coaches import programme_world as world

pytestmark = pytest.mark.django_db


@pytest.fixture
def durchstarten(case):
    return world.programme(case.team, factories.site(case.wathlingen), capacity=2)


@pytest.fixture
def cohort(durchstarten):
    return world.cohort(durchstarten)


def participant(case, **fields):
    return world.person(case.team, case.wathlingen, coach=case.anna, **fields)


def test_sessions_skip_the_holiday_and_generation_is_idempotent(durchstarten):
    draft = world.cohort(durchstarten, sessions=False)

    plan = plan_sessions(cohort=draft)

    assert len(plan.dates) == 23
    assert [on for on, _name in plan.skipped] == [date(2027, 5, 17)]
    assert draft.sessions.count() == 0  # a preview writes nothing
    assert generate_sessions(cohort=draft) == 23
    assert generate_sessions(cohort=draft) == 0
    first = draft.sessions.first()
    assert first.on == date(2027, 4, 26)
    assert (first.ends_at - first.starts_at) == timedelta(hours=3)
    assert draft.ends_on == date(2027, 6, 20)


def test_capacity_is_never_exceeded(case, cohort):
    enrol_person(person=participant(case), cohort=cohort, coach=case.anna)
    enrol_person(person=participant(case), cohort=cohort, coach=case.anna)

    with pytest.raises(CohortFull):
        enrol_person(person=participant(case), cohort=cohort, coach=case.anna)

    cohort.refresh_from_db()
    assert cohort.places_taken == 2
    assert Enrolment.objects.filter(cohort=cohort).count() == 2


def test_the_database_refuses_an_overfull_cohort_and_a_second_enrolment(case, cohort):
    with pytest.raises(IntegrityError), transaction.atomic():
        Cohort.objects.filter(pk=cohort.pk).update(places_taken=3)
    person = participant(case)
    enrol_person(person=person, cohort=cohort, coach=case.anna)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(person=person, cohort=cohort, enrolled_on=date.today())


def test_a_person_is_enrolled_once(case, cohort):
    person = participant(case)
    enrol_person(person=person, cohort=cohort, coach=case.anna)

    with pytest.raises(ProgrammeRefused, match="schon dabei"):
        enrol_person(person=person, cohort=cohort, coach=case.anna)


def test_no_enrolment_without_active_consent_or_into_a_cancelled_cohort(case, cohort, person):
    from coaches import casework

    casework.end_accompaniment(person=person, user=case.anna.user, withdrawn=True)
    with pytest.raises(ProgrammeRefused, match="beendet"):
        enrol_person(person=person, cohort=cohort, coach=case.anna)
    cancel_cohort(cohort=cohort)
    with pytest.raises(ProgrammeRefused, match="abgesagt"):
        enrol_person(person=participant(case), cohort=cohort, coach=case.anna)


def test_publishing_and_cancelling_tell_the_participants_once(case, cohort):
    first = enrol_person(person=participant(case), cohort=cohort, coach=case.anna)
    assert not OutgoingMail.objects.exclude(enrolment=None).exists()  # a draft sends nothing

    assert publish_cohort(cohort=cohort) is True
    assert publish_cohort(cohort=cohort) is False
    second = enrol_person(person=participant(case), cohort=cohort, coach=case.anna)
    assert cancel_cohort(cohort=cohort) is True
    assert cancel_cohort(cohort=cohort) is False

    kinds = sorted(OutgoingMail.objects.exclude(enrolment=None).values_list("kind", "enrolment_id"))
    assert kinds == sorted(
        [
            (MailKind.COHORT_PUBLISHED, first.pk),
            (MailKind.ENROLMENT_CONFIRMED, second.pk),
            (MailKind.COHORT_CANCELLED, first.pk),
            (MailKind.COHORT_CANCELLED, second.pk),
        ]
    )
    assert cohort.status == CohortStatus.CANCELLED


def test_the_missed_session_message_goes_out_once(
    case, cohort, mailoutbox, django_capture_on_commit_callbacks
):
    publish_cohort(cohort=cohort)
    enrolment = enrol_person(
        person=participant(case, name="Maria Schulz"), cohort=cohort, coach=case.anna
    )
    first, second = cohort.sessions.all()[:2]
    mailoutbox.clear()

    for mark in (Mark.ABSENT, Mark.ABSENT, Mark.EXCUSED, Mark.ABSENT):
        with django_capture_on_commit_callbacks(execute=True):
            mark_session(enrolment=enrolment, session=first, mark=mark, coach=case.anna)

    missed = [m for m in mailoutbox if "vermisst" in m.subject]
    assert len(missed) == 1
    assert "Maria Schulz" in missed[0].body
    assert "Wir haben Sie heute vermisst" in missed[0].body
    assert OutgoingMail.objects.filter(kind=MailKind.SESSION_MISSED).count() == 1
    assert enrolment.attendances.get(session=first).mark == Mark.ABSENT
    with pytest.raises(ProgrammeRefused):
        mark_session(enrolment=enrolment, session=second, mark="late", coach=case.anna)


def test_rates_and_the_flag_after_two_absences_in_a_row(case, cohort):
    steady = enrol_person(person=participant(case), cohort=cohort, coach=case.anna)
    missing = enrol_person(person=participant(case), cohort=cohort, coach=case.anna)
    s1, s2, s3 = cohort.sessions.all()[:3]
    for session in (s1, s2, s3):
        mark_session(enrolment=steady, session=session, mark=Mark.PRESENT, coach=case.anna)
    mark_session(enrolment=missing, session=s1, mark=Mark.PRESENT, coach=case.anna)
    mark_session(enrolment=missing, session=s2, mark=Mark.ABSENT, coach=case.anna)
    mark_session(enrolment=missing, session=s3, mark=Mark.ABSENT, coach=case.anna)

    rows = {row.enrolment.pk: row for row in participant_rows(cohort=cohort)}

    assert rows[steady.pk].rate == 1 and not rows[steady.pk].flagged
    assert rows[missing.pk].rate == pytest.approx(1 / 3)
    assert rows[missing.pk].flagged
    assert cohort_attendance_rate(list(rows.values())) == pytest.approx(4 / 6)
    # An excused session neither counts as absent nor breaks the run.
    mark_session(enrolment=missing, session=s3, mark=Mark.EXCUSED, coach=case.anna)
    rows = {row.enrolment.pk: row for row in participant_rows(cohort=cohort)}
    assert not rows[missing.pk].flagged
    assert rows[missing.pk].rate == pytest.approx(1 / 2)


def test_leaving_with_a_job_start_frees_the_place_and_records_the_job(case, cohort):
    person = participant(case)
    enrolment = enrol_person(person=person, cohort=cohort, coach=case.anna, today=world.START)

    with pytest.raises(ProgrammeRefused):
        leave_programme(enrolment=enrolment, reason="bored", on=world.START, today=world.START)
    left = leave_programme(
        enrolment=enrolment,
        reason=LeaveReason.JOB_START,
        on=world.START + timedelta(days=10),
        today=world.START + timedelta(days=11),
    )
    again = leave_programme(
        enrolment=enrolment,
        reason=LeaveReason.OTHER,
        on=world.START + timedelta(days=11),
        today=world.START + timedelta(days=11),
    )

    assert (left, again) == (True, False)
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.LEFT
    assert enrolment.end_reason == LeaveReason.JOB_START
    assert enrolment.ended_on == date(2027, 5, 6)
    person.refresh_from_db()
    assert person.job_start_on == date(2027, 5, 6)
    cohort.refresh_from_db()
    assert cohort.places_taken == 0


def test_a_future_leaving_date_is_refused(case, cohort):
    enrolment = enrol_person(person=participant(case), cohort=cohort, coach=case.anna)
    with pytest.raises(ProgrammeRefused, match="Zukunft"):
        leave_programme(
            enrolment=enrolment, reason=LeaveReason.ILLNESS, on=date.today() + timedelta(days=1)
        )


def test_the_notices_carry_every_session_in_one_calendar_file(
    case, cohort, mailoutbox, django_capture_on_commit_callbacks
):
    enrol_person(person=participant(case, name="Maria Schulz"), cohort=cohort, coach=case.anna)
    with django_capture_on_commit_callbacks(execute=True):
        publish_cohort(cohort=cohort)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_cohort(cohort=cohort)

    published, cancelled = [m for m in mailoutbox if "Programm" in m.subject]
    assert "Ihr Platz im Programm" in published.subject
    assert "Maria Schulz" in published.body and "Montag, 26. April 2027" in published.body
    (name, ics, mime) = published.attachments[0]
    assert ics.count("BEGIN:VEVENT") == 23
    assert "20270517" not in ics  # Whit Monday is left out
    assert "METHOD:REQUEST" in ics
    assert "Das Programm fällt aus" in cancelled.subject
    assert "METHOD:CANCEL" in cancelled.attachments[0][1]
    html = published.alternatives[0][0]
    assert "<li>" in html and "Maria Schulz" in html
