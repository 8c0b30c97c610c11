"""The reminder before a cohort's first session: found by the periodic scan, claimed by a
compare-and-set on the participation, queued once through the outbox."""

from datetime import timedelta

import pytest

from appointments.messages import build_message
from appointments.models import Enrolment, MailKind, OutgoingMail
from appointments.services import (
    cancel_cohort,
    enrol_person,
    leave_programme,
    publish_cohort,
    queue_programme_reminders,
)
from appointments.tasks import send_due_reminders
from tests import factories
from tests.coaches import programme_world as world

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(case):
    made = world.cohort(world.programme(case.team, factories.site(case.wathlingen)))
    publish_cohort(cohort=made)
    return made


def enrolled(case, cohort, n=1):
    persons = [world.person(case.team, case.wathlingen) for _ in range(n)]
    return [enrol_person(person=p, cohort=cohort, coach=case.anna) for p in persons]


def reminders():
    return OutgoingMail.objects.filter(kind=MailKind.PROGRAMME_REMINDER)


def first_start(cohort):
    return cohort.sessions.order_by("starts_at").first().starts_at


def test_the_reminder_goes_once_per_participation_within_the_lead_time(case, cohort):
    first, second = enrolled(case, cohort, 2)
    starts = first_start(cohort)

    assert queue_programme_reminders(now=starts - timedelta(hours=25), lead_hours=24) == 0
    assert queue_programme_reminders(now=starts - timedelta(hours=23), lead_hours=24) == 2
    # The next scans find them claimed.
    assert queue_programme_reminders(now=starts - timedelta(hours=22), lead_hours=24) == 0
    assert queue_programme_reminders(now=starts - timedelta(hours=1), lead_hours=24) == 0
    assert reminders().count() == 2
    assert set(reminders().values_list("enrolment_id", flat=True)) == {first.pk, second.pk}
    assert Enrolment.objects.filter(reminded_at=None).count() == 0

    message = build_message(reminders().get(enrolment=first))
    assert "Durchstarten" in message.subject
    assert first.person.name in message.body


def test_a_stale_claim_queues_nothing(case, cohort):
    (enrolment,) = enrolled(case, cohort)
    starts = first_start(cohort)
    # Another scan claimed it between our read and our update.
    Enrolment.objects.filter(pk=enrolment.pk).update(reminded_at=starts - timedelta(hours=23))
    assert queue_programme_reminders(now=starts - timedelta(hours=23), lead_hours=24) == 0
    assert not reminders().exists()


def test_no_reminder_after_the_start_for_those_who_left_or_a_cancelled_cohort(case, cohort):
    left, stays = enrolled(case, cohort, 2)
    leave_programme(enrolment=left, reason="illness", on=left.enrolled_on, today=left.enrolled_on)
    starts = first_start(cohort)
    assert queue_programme_reminders(now=starts + timedelta(minutes=1), lead_hours=24) == 0
    assert queue_programme_reminders(now=starts - timedelta(hours=2), lead_hours=24) == 1
    assert list(reminders().values_list("enrolment_id", flat=True)) == [stays.pk]

    other = world.cohort(cohort.programme, starts_on=world.START + timedelta(weeks=10))
    publish_cohort(cohort=other)
    (late,) = [enrol_person(person=left.person, cohort=other, coach=case.anna)]
    cancel_cohort(cohort=other)
    assert queue_programme_reminders(now=first_start(other) - timedelta(hours=2)) == 0
    assert not reminders().filter(enrolment=late).exists()


def test_the_periodic_task_runs_the_programme_scan_too(case, cohort):
    enrolled(case, cohort)
    assert send_due_reminders() == 0  # months before the start


def test_the_lead_is_told_once_when_absences_in_a_row_reach_the_flag(case, cohort):
    from appointments.models import Mark
    from appointments.services import mark_session

    (enrolment,) = enrolled(case, cohort)
    s1, s2, s3, s4, s5 = cohort.sessions.order_by("starts_at")[:5]
    flags = OutgoingMail.objects.filter(kind=MailKind.ABSENCE_FLAGGED)

    mark_session(enrolment=enrolment, session=s1, mark=Mark.ABSENT, coach=case.anna)
    assert not flags.exists()
    mark_session(enrolment=enrolment, session=s2, mark=Mark.EXCUSED, coach=case.anna)
    mark_session(enrolment=enrolment, session=s3, mark=Mark.ABSENT, coach=case.anna)
    assert flags.count() == 1  # two absences in a row; excused breaks nothing
    mark_session(enrolment=enrolment, session=s3, mark=Mark.ABSENT, coach=case.anna)
    mark_session(enrolment=enrolment, session=s4, mark=Mark.ABSENT, coach=case.anna)
    assert flags.count() == 1  # the same run: told once
    flag = flags.get()
    assert flag.user == cohort.programme.lead.user
    message = build_message(flag)
    assert f"/programm/durchgaenge/{cohort.pk}/" in message.body
    assert enrolment.person.name not in message.body

    mark_session(enrolment=enrolment, session=s4, mark=Mark.PRESENT, coach=case.anna)
    mark_session(enrolment=enrolment, session=s5, mark=Mark.ABSENT, coach=case.anna)
    assert flags.count() == 1
