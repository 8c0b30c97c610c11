"""Administrators create a programme and a cohort in the admin, preview its sessions with
the holiday left out, then generate and publish them."""

import pytest
from django.test import Client
from django.urls import reverse

from appointments.models import Cohort, CohortStatus, Programme
from tests import factories
from tests.coaches import programme_world as world

pytestmark = pytest.mark.django_db


def test_an_administrator_creates_a_programme_and_previews_a_cohort(case):
    admin = Client()
    admin.force_login(factories.user(is_staff=True, is_superuser=True))
    site = factories.site(case.wathlingen, name="Jobcenter", room="Raum 12")

    response = admin.post(
        reverse("admin:appointments_programme_add"),
        {
            "name": "Durchstarten",
            "site": site.pk,
            "weekdays": ["0", "2", "4"],
            "start_time": "09:00",
            "end_time": "12:00",
            "weeks": 8,
            "capacity": 12,
            "team": case.team.pk,
            "lead": case.anna.pk,
            "absence_flag": 2,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    programme = Programme.objects.get()
    assert programme.weekdays == "0,2,4"
    admin.post(
        reverse("admin:appointments_cohort_add"),
        {"programme": programme.pk, "starts_on": world.START.isoformat(), "capacity": 12},
    )
    cohort = Cohort.objects.get()

    page = admin.get(reverse("admin:appointments_cohort_change", args=[cohort.pk]))

    text = page.content.decode()
    assert "23 Termine" in text
    assert "Pfingstmontag" in text
    assert "17.05.2027" in text
    changelist = reverse("admin:appointments_cohort_changelist")
    for action in ("generate", "publish"):
        admin.post(changelist, {"action": action, "_selected_action": [cohort.pk]})
    cohort.refresh_from_db()
    assert cohort.sessions.count() == 23
    assert cohort.status == CohortStatus.PUBLISHED


def test_a_programme_without_weekdays_gets_a_message(case):
    admin = Client()
    admin.force_login(factories.user(is_staff=True, is_superuser=True))
    response = admin.post(reverse("admin:appointments_programme_add"), {"name": "X"})
    assert "Bitte wählen Sie mindestens einen Wochentag." in response.content.decode()
