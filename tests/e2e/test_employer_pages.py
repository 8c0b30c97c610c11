"""A coach adds an employer and an opening on their own pages in real Chromium; the new
pages pass axe-core (WCAG 2.1 A/AA) and the Nu Html Checker, with and without errors."""

import pytest

from coaches.models import Employer, Opening
from tests import factories
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def check(page, html_pages, name):
    assert_accessible(page)
    html_pages(page, name)


def test_a_coach_adds_an_employer_and_an_opening(page, html_pages, db):
    anna = factories.coach("Anna Becker", "anna")
    factories.team(anna, name="Team Celle Nord")
    factories.municipality("Wathlingen", slug="wathlingen")
    page.goto("/team/anmelden/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "pw-anna")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/team/")

    page.goto("/team/arbeitgeber/")
    page.get_by_role("link", name="Neuer Arbeitgeber").click()
    page.wait_for_url("**/arbeitgeber/neu/")
    check(page, html_pages, "employer-new")
    page.select_option("#id_team", label="Team Celle Nord")
    page.fill("#id_name", "Bäckerei Korn")
    page.fill("#id_sector", "Lebensmittel")
    page.select_option("#id_municipality", label="Wathlingen")
    page.get_by_label("Teilzeit möglich").check()
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url("**/arbeitgeber/*/")
    employer = Employer.objects.get(name="Bäckerei Korn")
    assert employer.part_time
    check(page, html_pages, "employer")

    page.get_by_role("link", name="Neue Stelle").click()
    page.wait_for_url("**/stellen/neu/")
    check(page, html_pages, "opening-new")
    page.fill("#id_title", "Verkauf")
    page.fill("#id_hours_per_week", "20")
    page.fill("#id_earliest_start", "09:00")
    page.fill("#id_latest_start", "08:00")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_load_state()
    assert "nicht vor dem frühesten" in page.content()
    check(page, html_pages, "opening-error")
    page.fill("#id_latest_start", "11:00")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url(f"**/arbeitgeber/{employer.pk}/")
    assert Opening.objects.get().employer == employer
    assert "Verkauf" in page.locator("main").inner_text()
