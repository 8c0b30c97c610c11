"""The single mother's path in real Chromium: consent at the table with her constraints,
the care-home laundry among the matches, a referral moved to interview and hired, and the
figures then show one person into work. Every new page passes axe-core (WCAG 2.1 A/AA)
and the Nu Html Checker."""

import re
from datetime import time

import pytest
from django.utils import timezone

from appointments.models import Booking, BookingStatus
from coaches.models import Employer, Opening, Person, ReferralStatus
from tests import factories
from tests.e2e.conftest import assert_accessible
from tests.personas import book

PERSON_PAGE = re.compile(r"/team/personen/\d+/(#\w+)?$")
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def table(db):
    """Today's day in Wathlingen served by Anna's team; Maria has attended."""
    anna = factories.coach("Anna Becker", "anna")
    team = factories.team(anna, name="Team Celle Nord")
    wathlingen = factories.municipality("Wathlingen", slug="wathlingen")
    bergen = factories.municipality("Bergen", slug="bergen")
    day = factories.day(
        factories.site(wathlingen, name="Rathaus Wathlingen"),
        on=timezone.localdate(),
        team_=team,
        coaches=[anna],
    )
    maria, _ = book(day.slots.order_by("starts_at").first(), name="Maria Schulz", phone="0151 1")
    Booking.objects.filter(pk=maria.pk).update(status=BookingStatus.ATTENDED)
    care_home = Employer.objects.create(
        team=team,
        municipality=wathlingen,
        name="Pflegeheim Am Park",
        sector="Pflege",
        notes="Frau Lang, Hauswirtschaft",
        flexible_start=True,
        part_time=True,
        no_qualification=True,
    )
    Opening.objects.create(
        employer=care_home,
        title="Mitarbeit in der Wäscherei",
        hours_per_week=25,
        earliest_start=time(8),
        latest_start=time(10),
    )
    plant = Employer.objects.create(
        team=team, municipality=bergen, name="Metallbau Nord", sector="Industrie"
    )
    Opening.objects.create(
        employer=plant,
        title="Schichtarbeit",
        hours_per_week=40,
        earliest_start=time(6),
        latest_start=time(6),
        needs_qualification=True,
    )
    return maria


def check(page, html_pages, name):
    assert_accessible(page)
    html_pages(page, name)


def test_the_single_mother_is_accompanied_into_work(page, html_pages, table):
    page.goto("/team/anmelden/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "pw-anna")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/team/")

    # At the table: the booking page offers accompaniment; she consents.
    page.goto(f"/team/termine/{table.pk}/")
    page.get_by_role("link", name="Begleitung mit Einwilligung aufnehmen").click()
    page.wait_for_url("**/begleitung/")
    check(page, html_pages, "start")
    page.get_by_label("Die Person ist einverstanden").check()
    page.fill("#id_earliest_start", "08:30")
    page.fill("#id_hours_per_week", "25")
    page.select_option("#id_childcare", "partly")
    page.get_by_role("button", name="Begleitung aufnehmen").click()
    page.wait_for_url(PERSON_PAGE)
    person = Person.objects.get()
    assert person.has_qualification is False and f"{person.earliest_start:%H:%M}" == "08:30"
    assert page.locator("h1").inner_text() == "Maria Schulz"
    check(page, html_pages, "person")

    # The care-home laundry comes first, with its reasons.
    page.get_by_role("link", name="Passende Stellen ansehen").click()
    page.wait_for_url("**/passende-stellen/")
    check(page, html_pages, "matches")
    first = page.locator("li.card").first
    assert "Mitarbeit in der Wäscherei" in first.inner_text()
    reasons = first.locator(".match-reasons").inner_text()
    assert "Beginn 08:30" in reasons and "keine Ausbildung nötig" in reasons
    first.get_by_role("button", name="Vorschlagen").click()
    page.wait_for_url(PERSON_PAGE)

    # Interview, then hired.
    page.get_by_role("link", name="Pflegeheim Am Park: Mitarbeit in der Wäscherei").click()
    page.wait_for_url("**/vorschlaege/*/")
    check(page, html_pages, "referral")
    for status, shown in [("interview", "Vorstellungsgespräch"), ("hired", "eingestellt")]:
        page.select_option("#id_status", status)
        page.get_by_role("button", name="Stand speichern").click()
        page.wait_for_load_state()
        assert page.locator("#referral-status").inner_text() == shown
    assert person.referrals.get().status == ReferralStatus.HIRED

    # The figures count one person into work.
    page.goto("/team/zahlen/")
    check(page, html_pages, "figures")
    total = page.locator("tfoot tr")
    assert total.locator("[data-figure=persons]").inner_text() == "1"
    assert total.locator("[data-figure=into-work]").inner_text() == "1"

    # The other new pages.
    for url, name in [
        ("/team/personen/", "persons"),
        (f"/team/personen/{person.pk}/bedingungen/", "constraints"),
        ("/team/arbeitgeber/", "employers"),
        (f"/team/arbeitgeber/{person.referrals.get().employer_id}/", "employer"),
        (f"/team/termine/{table.pk}/", "booking"),
    ]:
        page.goto(url)
        check(page, html_pages, name)
