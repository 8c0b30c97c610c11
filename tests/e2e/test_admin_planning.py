"""An administrator plans a new municipality in the admin, in real Chromium, and a client
can then book the new day. The statistics page passes axe-core and the HTML checker."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from appointments.models import BookingStatus, DayStatus, OutreachDay, Slot
from appointments.services import book_slot
from tests import factories
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page):
    get_user_model().objects.create_superuser("chefin", "chefin@example.org", "pw-chefin-123")
    page.goto("/admin/login/")
    page.fill("#id_username", "chefin")
    page.fill("#id_password", "pw-chefin-123")
    page.click("input[type=submit]")


def test_an_administrator_plans_a_new_municipality_and_a_client_books_it(page, html_pages):
    team = factories.team(
        factories.coach("Anna Berg"), factories.coach("Ben Koch"), name="Team Süd"
    )
    factories.district("Landkreis Celle")
    log_in(page)

    page.get_by_role("link", name="Neue Gemeinde mit Ort anlegen").click()
    page.fill("#id_name", "Hambühren")
    page.fill("#id_slug", "hambuehren")
    page.select_option("#id_district", label="Landkreis Celle")
    page.fill("#id_contact_name", "Frau Meyer")
    page.fill("#id_contact_phone", "05084 1234")
    page.fill("#id_sites-0-name", "Rathaus")
    page.fill("#id_sites-0-address", "Celler Straße 2, 29313 Hambühren")
    page.fill("#id_sites-0-room", "Sitzungssaal")
    page.check("#id_sites-0-step_free")
    page.fill("#id_sites-0-accessibility_notes", "Rampe am Seiteneingang")
    page.fill("#id_sites-0-directions", "Bus 10 bis Haltestelle Rathaus")
    page.click("input[name=_save]")

    # Straight on to the series form, with the new venue filled in.
    page.wait_for_url("**/outreachseries/add/?site=*")
    assert "Rathaus, Hambühren" in page.locator("#id_site").inner_text()
    page.select_option("#id_team", label="Team Süd")
    page.check("input[name=recurrence][value=monthly]")
    page.select_option("#id_week_of_month", "2")
    page.select_option("#id_weekday", "1")
    page.click("input[name=_save]")

    page.wait_for_url("**/preview/")
    assert page.get_by_role("heading", name="Feiertage, die ausfallen").is_visible()
    assert page.locator("table tbody tr").count() >= 1
    assert_accessible(page)
    html_pages(page, "series-preview")
    page.get_by_role("button", name="Tage als Entwurf anlegen").click()

    page.wait_for_url("**/outreachday/?series__id__exact=*")
    expect(page.locator(".messagelist .success")).to_contain_text("als Entwurf angelegt")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "publish_selected")
    page.click("button[name=index]")
    expect(page.locator(".messagelist .success")).to_contain_text("veröffentlicht")

    days = OutreachDay.objects.filter(site__municipality__name="Hambühren")
    assert days.exists()
    assert set(days.values_list("status", flat=True)) == {DayStatus.PUBLISHED}
    assert set(days.first().coaches.all()) == set(team.members.all())

    # The public booking pages are built on another branch; the client books through
    # the same domain function those pages call.
    slot = Slot.objects.bookable().filter(day__in=days).order_by("starts_at").first()
    assert slot is not None
    result = book_slot(slot_id=slot.pk, client=factories.client_details(name="Maria"))
    assert result.booking.status == BookingStatus.CONFIRMED


def test_the_statistics_page_is_accessible_and_valid(page, html_pages):
    log_in(page)
    factories.day()
    page.get_by_role("link", name="Statistik").click()
    # expect() waits for the page the click opens; is_visible() would look at once.
    expect(page.get_by_role("heading", name="Zahlen je Gemeinde und Monat")).to_be_visible()
    expect(page.locator("svg[role=img]")).to_have_count(3)
    assert_accessible(page)
    html_pages(page, "admin-statistics")
