"""The poster and the invitation letter in real Chromium: each prints on one A4 page, and
its QR code, read from the pixels as a phone would, opens a page that works. Every page
passes axe-core (WCAG 2.1 A/AA) and the Nu Html Checker."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import Booking, Channel
from coaches import casework
from tests import factories
from tests.e2e.conftest import assert_accessible
from tests.personas import book
from tests.qr import decode_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wathlingen(live_server, settings):
    # The QR codes carry SITE_URL; here that is the test server, so they can be opened.
    settings.SITE_URL = live_server.url
    anna = factories.coach("Anna Albers", "anna")
    anna.specialisms.add(factories.specialism("Familie und Beruf"))
    team = factories.team(anna, name="Team Wathlingen")
    municipality = factories.municipality("Wathlingen", slug="wathlingen")
    site = factories.site(municipality, name="Rathaus Wathlingen", room="Sitzungssaal")
    days = [
        factories.day(site, on=factories.future_date(7 * n), coaches=[anna], team_=team)
        for n in (1, 2, 3)
    ]
    first, _token = book(days[0].slots.first(), name="Maria Schulz", language="uk")
    person = casework.start_accompaniment(
        booking=first, coach=anna, consent=True, constraints=casework.WorkConstraints()
    )
    return {"municipality": municipality, "days": days, "person": person}


def check(page, html_pages, name):
    assert_accessible(page)
    html_pages(page, name)


def assert_one_page(page):
    """Printed to PDF it is one A4 page, and nothing on the sheet is cut off."""
    page.emulate_media(media="print")
    sheet = page.locator(".sheet")
    heights = sheet.evaluate("e => [e.scrollHeight, e.clientHeight]")
    assert heights[0] <= heights[1] + 1, f"the sheet overflows: {heights}"
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    page.emulate_media(media="screen")


def log_in(page):
    page.goto("/team/anmelden/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "pw-anna")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/team/")


def test_the_poster_prints_on_one_page_and_its_qr_code_opens_the_booking_page(
    page, html_pages, live_server, wathlingen
):
    log_in(page)
    page.goto(f"/team/druck/aushang/{wathlingen['municipality'].pk}/")
    check(page, html_pages, "poster")
    assert page.locator(".poster-days li").count() == 3
    assert "Familie und Beruf" in page.locator(".poster-topics").inner_text()
    assert_one_page(page)

    url = decode_in_page(page.locator(".poster-qr svg"))
    assert url == f"{live_server.url}/?gemeinde=wathlingen"
    page.goto(url)
    assert page.locator(".card-municipality").count() == 1
    page.locator(".day-item a").first.click()
    page.wait_for_url(f"**/tag/{wathlingen['days'][0].pk}/")
    assert "Wathlingen" in page.locator("h1").inner_text()


def test_a_letter_reserves_a_seat_and_its_qr_code_opens_the_manage_page(
    page, html_pages, wathlingen
):
    log_in(page)
    page.goto("/team/druck/einladung/")
    check(page, html_pages, "letter-form")

    # Bad input first: the form says what to fix.
    page.get_by_role("button", name="Brief erstellen").click()
    assert "Geben Sie die Anschrift ein." in page.locator("#error-summary").inner_text()
    check(page, html_pages, "letter-form-errors")

    day = wathlingen["days"][1]
    page.select_option("#id_person", str(wathlingen["person"].pk))
    page.fill("#id_address", "Am Markt 3\n29339 Wathlingen")
    page.select_option("#id_day", str(day.pk))
    page.get_by_label("Einen Termin reservieren").check()
    page.fill("#id_from_time", "10:00")
    page.get_by_role("button", name="Brief erstellen").click()
    page.wait_for_selector(".letter")
    check(page, html_pages, "letter")
    booking = Booking.objects.get(day=day)
    assert booking.channel == Channel.LETTER
    # Maria booked in Ukrainian before, so the letter repeats the invitation in Ukrainian.
    assert page.locator('.letter-second[lang="uk"]').count() == 1
    window = page.locator(".letter-window").bounding_box()
    assert_one_page(page)

    # The window of a DIN-lang envelope: 20 mm from the left, 45 mm from the top.
    sheet = page.locator(".sheet").bounding_box()
    mm = sheet["width"] / 210
    assert abs((window["x"] - sheet["x"]) / mm - 20) < 1
    assert abs((window["y"] - sheet["y"]) / mm - 45) < 1
    assert abs(window["width"] / mm - 85) < 1 and abs(window["height"] / mm - 45) < 1

    url = decode_in_page(page.locator(".letter-link svg"))
    assert re.fullmatch(r"http://[^/]+/k/[A-Z2-7]{26}/", url)
    assert url in page.locator(".letter").inner_text()
    page.goto(url)
    page.wait_for_url("**/termin/**")
    assert booking.reference in page.content()
    assert timezone.localtime(booking.slot.starts_at).hour == 10


def test_a_letter_left_open_leads_to_the_day_page(page, html_pages, wathlingen):
    log_in(page)
    page.goto("/team/druck/einladung/")
    day = wathlingen["days"][2]
    page.select_option("#id_person", "")
    page.fill("#id_name", "Olaf Otto")
    page.fill("#id_address", "Dorfstraße 1\n29339 Wathlingen")
    page.select_option("#id_day", str(day.pk))
    page.get_by_label("Offen lassen").check()
    page.get_by_role("button", name="Brief erstellen").click()
    page.wait_for_selector(".letter")
    check(page, html_pages, "letter-open")
    assert_one_page(page)
    url = decode_in_page(page.locator(".letter-link svg"))
    assert url.endswith(f"/tag/{day.pk}/")
    page.goto(url)
    assert page.locator("h1").count() == 1
    assert not Booking.objects.filter(day=day).exists()
    assert day.date - timezone.localdate() > timedelta(days=1)
