"""A programme in real Chromium: a coach enrols a second person from the person's page,
marks attendance for two sessions with one absence not excused (the missed-session mail
arrives once), one participant leaves with a job start, and the cohort's figures show
1 of 2 in work (50 %); a former participant's visit is counted. Every new page passes
axe-core and the Nu Html Checker."""

import pytest
from django.core import mail
from django.utils import timezone

from appointments.models import Attendance, Enrolment, Mark
from appointments.services import enrol_person, publish_cohort
from tests import factories
from tests.coaches import programme_world as world
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def programme(db):
    anna = factories.coach("Anna Becker", "anna")
    team = factories.team(anna, name="Team Celle Nord")
    wathlingen = factories.municipality("Wathlingen", slug="wathlingen")
    site = factories.site(wathlingen, name="Jobcenter", room="Raum 12")
    factories.day(site, on=timezone.localdate(), team_=team, coaches=[anna])
    cohort = world.cohort(world.programme(team, site))
    publish_cohort(cohort=cohort)
    first = world.person(team, wathlingen, name="Aylin Demir")
    enrol_person(person=first, cohort=cohort, coach=anna)
    second = world.person(team, wathlingen, name="Kevin Hoffmann")
    return cohort, first, second


def check(page, html_pages, name):
    assert_accessible(page)
    html_pages(page, name)


def test_a_coach_runs_a_cohort(page, html_pages, programme):
    cohort, first, second = programme
    page.goto("/team/anmelden/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "pw-anna")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/team/")

    page.goto(f"/team/personen/{second.pk}/")
    page.get_by_role("link", name="In ein Programm aufnehmen").click()
    page.wait_for_url("**/programm/")
    check(page, html_pages, "enrol")
    page.get_by_role("button", name="Aufnehmen").click()
    page.wait_for_url(f"**/team/personen/{second.pk}/#programmes")
    assert Enrolment.objects.filter(cohort=cohort).count() == 2

    mail.outbox.clear()
    s1, s2 = cohort.sessions.all()[:2]
    for session, marks in [(s1, ("anwesend", "fehlt")), (s2, ("anwesend", "anwesend"))]:
        page.goto(f"/team/programm/termine/{session.pk}/")
        for name, mark in zip(("Aylin Demir", "Kevin Hoffmann"), marks, strict=True):
            page.get_by_role("button", name=f"{mark}: {name}").click()
            page.wait_for_load_state()
    page.get_by_role("button", name="Besuch zählen").click()
    page.wait_for_url("**#former")
    assert "1 Besuch heute." in page.locator("#former ~ p").inner_text()
    check(page, html_pages, "register")
    assert Attendance.objects.filter(mark=Mark.ABSENT).count() == 1
    missed = [m for m in mail.outbox if "vermisst" in m.subject]
    assert len(missed) == 1 and missed[0].to == [second.email]

    page.goto(f"/team/programm/durchgaenge/{cohort.pk}/")
    assert "Besuche früherer Teilnehmender: 1" in page.locator("h1 ~ p").first.inner_text()
    check(page, html_pages, "cohort")
    page.get_by_role("link", name="Teilnahme beenden").first.click()
    page.wait_for_url("**/beenden/")
    check(page, html_pages, "leave")
    page.select_option("#id_reason", "job_start")
    page.get_by_role("button", name="Teilnahme beenden").click()
    page.wait_for_url(f"**/durchgaenge/{cohort.pk}/")
    assert "1 von 2 in Arbeit (50 %)" in page.locator("#figures ~ p").inner_text()

    page.goto("/team/programm/zahlen/")
    check(page, html_pages, "figures")
