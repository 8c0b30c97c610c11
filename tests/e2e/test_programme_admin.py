"""An administrator sets up a programme in real Chromium: creates "Durchstarten" (Monday,
Wednesday, Friday 09:00-12:00, 8 weeks) and a cohort from Monday 26 April 2027 in the
admin, previews its 24 planned sessions with Whit Monday (17 May 2027, a public holiday
in Lower Saxony) left out, and creates the 23 sessions that take place. Every page passes
axe-core and the Nu Html Checker."""

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from appointments.models import Cohort, CohortStatus, Programme, Session
from tests import factories
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WHIT_MONDAY = date(2027, 5, 17)


class Checks:
    """axe-core on the page as shown; the markup the server sent for the HTML checker
    (the admin's scripts change the DOM later, which is axe's part)."""

    def __init__(self, page, html_pages):
        self.page, self.html_pages, self.document = page, html_pages, None
        page.on("response", self._remember)

    def _remember(self, response):
        if response.request.resource_type == "document" and response.status < 300:
            self.document = response

    def __call__(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        self.page.wait_for_function("document.documentElement.dataset.adminLabels === 'done'")
        assert_accessible(self.page)
        self.html_pages(self.document.text(), name)


@pytest.fixture
def world(db):
    anna = factories.coach("Anna Becker", "anna")
    ben = factories.coach("Ben Koch", "ben")
    team = factories.team(anna, ben, name="Team Celle Nord")
    site = factories.site(
        factories.municipality("Celle"), name="Jobcenter Celle", address="Georgsplatz 1"
    )
    get_user_model().objects.create_superuser("chefin", "chefin@example.org", "pw-chefin-123")
    return team, site


def log_in(page):
    page.goto("/admin/login/")
    page.fill("#id_username", "chefin")
    page.fill("#id_password", "pw-chefin-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def test_an_administrator_creates_a_programme_and_previews_its_cohort(page, html_pages, world):
    team, site = world
    check = Checks(page, html_pages)
    log_in(page)

    page.goto("/admin/appointments/programme/add/")
    check("programme-add")
    page.fill("#id_name", "Durchstarten")
    page.select_option("#id_site", str(site.pk))
    for weekday in ("0", "2", "4"):
        page.check(f"input[name=weekdays][value='{weekday}']")
    page.fill("#id_start_time", "09:00")
    page.fill("#id_end_time", "12:00")
    expect(page.locator("#id_weeks")).to_have_value("8")
    page.fill("#id_capacity", "12")
    page.select_option("#id_team", label="Team Celle Nord")
    page.select_option("#id_lead", label="Anna Becker")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/appointments/programme/")
    check("programme-list")
    programme = Programme.objects.get()
    assert (programme.weekdays, programme.weeks, programme.lead) == ("0,2,4", 8, team.lead)

    page.goto("/admin/appointments/cohort/add/")
    check("cohort-add")
    page.select_option("#id_programme", str(programme.pk))
    page.fill("#id_starts_on", "26.04.2027")
    page.fill("#id_capacity", "12")
    page.click("input[name=_continue]")
    page.wait_for_url("**/admin/appointments/cohort/*/change/")
    check("cohort-preview")

    cohort = Cohort.objects.get()
    assert (cohort.starts_on, cohort.status) == (date(2027, 4, 26), CohortStatus.DRAFT)
    preview = page.locator(".field-session_preview")
    expect(preview).to_contain_text(
        "24 Termine im Plan. 1 fällt auf einen Feiertag und entfällt. 23 Termine finden statt."
    )
    lines = preview.locator("ol > li")
    expect(lines).to_have_count(24)
    expect(lines.first).to_have_text("Montag, 26.04.2027 (noch nicht angelegt)")
    expect(lines.last).to_have_text("Freitag, 18.06.2027 (noch nicht angelegt)")
    holiday = preview.locator("li", has=page.locator("strong.holiday"))
    expect(holiday).to_have_count(1)
    expect(holiday).to_have_text("Montag, 17.05.2027 fällt aus, Feiertag: Pfingstmontag")
    assert not Session.objects.exists()  # a preview writes nothing

    page.goto("/admin/appointments/cohort/")
    page.check(f"input[name=_selected_action][value='{cohort.pk}']")
    page.select_option("select[name=action]", "generate")
    page.click("button[name=index]")
    expect(page.locator(".messagelist li")).to_have_text("23 Termine angelegt.")
    check("cohort-list-generated")

    sessions = Session.objects.filter(cohort=cohort)
    assert sessions.count() == 23
    assert not sessions.filter(on=WHIT_MONDAY).exists()
    assert {s.on.weekday() for s in sessions} == {0, 2, 4}

    # Generating again creates nothing; the preview now shows every session as created.
    page.check(f"input[name=_selected_action][value='{cohort.pk}']")
    page.select_option("select[name=action]", "generate")
    page.click("button[name=index]")
    expect(page.locator(".messagelist li")).to_have_text("0 Termine angelegt.")
    assert sessions.count() == 23
    page.goto(f"/admin/appointments/cohort/{cohort.pk}/change/")
    check("cohort-generated")
    text = page.locator(".field-session_preview").inner_text()
    assert "noch nicht angelegt" not in text
    assert len(re.findall(r"\d\d\.\d\d\.2027", text)) == 24
