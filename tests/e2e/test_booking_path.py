"""The client's whole path in a real Chromium, in German and in English: every page is
checked by axe-core (WCAG 2.1 A/AA) and by the Nu Html Checker."""

from datetime import time

import pytest

from appointments.models import Booking, BookingStatus, WaitlistEntry
from tests import factories
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = {
    "de": {
        "booked": "Ihr Termin ist gebucht",
        "moved": "Ihr Termin ist verschoben.",
        "cancelled": "Ihr Termin ist abgesagt.",
        "fix": "Bitte prüfen Sie Ihre Angaben.",
        "waiting": "Sie stehen auf der Warteliste",
        "full": "Dieser Tag ist ausgebucht.",
    },
    "en": {
        "booked": "Your appointment is booked",
        "moved": "Your appointment has been moved.",
        "cancelled": "Your appointment is cancelled.",
        "fix": "Please check your details.",
        "waiting": "You are on the waiting list",
        "full": "This day is fully booked.",
    },
}


@pytest.fixture(params=["de", "en"])
def language(request):
    return request.param


@pytest.fixture
def browser_page(request, language):
    return request.getfixturevalue("page" if language == "de" else "page_en")


def check(page, html_pages, name):
    assert_accessible(page)
    html_pages(page, name)


def wathlingen():
    women = factories.specialism("Familie und Beruf")
    anna = factories.coach("Anna", specialisms=[women])
    site = factories.site(
        factories.municipality("Wathlingen"),
        name="Rathaus Wathlingen",
        directions="Bus 12 bis Rathaus.",
        step_free=True,
    )
    return factories.day(site, coaches=[anna])


def test_book_confirm_move_and_cancel(browser_page, language, html_pages):
    page, text = browser_page, TEXT[language]
    day = wathlingen()

    page.goto("/")
    check(page, html_pages, "start")
    page.locator(f'a[href="/tag/{day.pk}/"]').click()
    page.wait_for_url(f"**/tag/{day.pk}/")
    assert page.locator(".slot-free").count() == 6
    check(page, html_pages, "day")

    page.fill("#id_von", "10:00")
    page.fill("#id_bis", "11:00")
    page.locator("form.time-filter button[type=submit]").click()
    page.wait_for_url("**/tag/*/?von=10%3A00&bis=11%3A00#times")
    assert page.locator(".slot").count() == 2
    check(page, html_pages, "day-filtered")

    page.locator(".slot-free a").first.click()
    page.wait_for_url("**/buchen/*/")
    check(page, html_pages, "form")

    page.fill("#id_name", "Maria Muster")
    page.locator("input[name=book]").click()
    page.wait_for_load_state()
    assert text["fix"] in page.content()
    assert page.locator(".is-invalid").count() >= 1
    check(page, html_pages, "form-errors")

    page.fill("#id_email", "maria@example.org")
    page.locator("input[name=topics]").first.check()
    page.check("#id_need_child")
    page.check("#id_consent")
    page.locator("input[name=book]").click()
    page.wait_for_url("**/gebucht/*/")
    assert page.locator("h1").inner_text() == text["booked"]
    booking = Booking.objects.get()
    assert booking.reference in page.locator(".reference").inner_text()
    assert booking.language == language
    check(page, html_pages, "confirmation")

    with page.expect_download() as download:
        page.locator('a[href$="termin.ics"]').click()
    assert download.value.suggested_filename == f"termin-{booking.reference}.ics"

    page.locator(".manage-link").click()
    page.wait_for_url("**/termin/*/")
    check(page, html_pages, "manage")

    # Moving is a page of its own, reached from the manage page.
    page.locator("a.move-link").click()
    page.wait_for_url("**/termin/*/verschieben/")
    check(page, html_pages, "move")
    page.locator("input[name=slot]").last.check()
    page.locator('form[method=post][action$="/verschieben/"] button').click()
    page.wait_for_load_state()
    assert text["moved"] in page.content()
    booking.refresh_from_db()
    assert booking.sequence == 1
    check(page, html_pages, "manage-moved")

    page.locator('a[href$="/absagen/"]').click()
    page.wait_for_url("**/absagen/")
    check(page, html_pages, "cancel-confirm")
    page.fill("#id_reason", "Mein Kind ist krank.")
    page.locator('form[action$="/absagen/"] button').click()
    page.wait_for_load_state()
    assert text["cancelled"] in page.content()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    check(page, html_pages, "manage-cancelled")


def test_join_the_waiting_list_of_a_full_day(browser_page, language, html_pages):
    page, text = browser_page, TEXT[language]
    day = factories.day(start=time(9), end=time(10))
    for slot in day.slots.all():
        factories.booking(slot)

    page.goto("/freie-termine/")
    check(page, html_pages, "first-free")
    page.goto(f"/tag/{day.pk}/")
    assert text["full"] in page.content()
    page.locator(f'a[href="/tag/{day.pk}/warteliste/"]').click()
    page.wait_for_url("**/warteliste/")
    check(page, html_pages, "waitlist")

    page.locator("input[name=join]").click()
    page.wait_for_load_state()
    assert text["fix"] in page.content()
    check(page, html_pages, "waitlist-errors")

    page.fill("#id_name", "Maria Muster")
    page.fill("#id_email", "maria@example.org")
    page.fill("#id_earliest", "09:00")
    page.fill("#id_latest", "12:00")
    page.check("#id_consent")
    page.locator("input[name=join]").click()
    page.wait_for_url("**/warteliste/eingetragen/")
    assert page.locator("h1").inner_text() == text["waiting"]
    assert WaitlistEntry.objects.get().language == language
    check(page, html_pages, "waitlist-joined")

    page.goto("/datenschutz/")
    check(page, html_pages, "privacy")
