"""The demo programme: one running cohort with attendance history; idempotent."""

import pytest
from django.core.management import call_command

from appointments.models import Attendance, Cohort, CohortStatus, Enrolment
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_demo_programme_is_seeded_once(case):
    factories.site(case.wathlingen)
    call_command("seed_programmes")
    call_command("seed_programmes")

    cohort = Cohort.objects.get()
    assert cohort.status == CohortStatus.PUBLISHED
    assert cohort.sessions.count() >= 20
    assert Enrolment.objects.filter(cohort=cohort).count() == 5
    assert Attendance.objects.filter(enrolment__cohort=cohort).count() >= 5 * 9
    assert Enrolment.objects.filter(cohort=cohort, end_reason="job_start").count() == 1
