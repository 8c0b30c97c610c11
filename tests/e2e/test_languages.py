"""The client's whole booking path in a real Chromium in every client language: start,
day, form, confirmation, manage, cancel (with its confirmation step). axe-core checks
each page as it is shown; the Nu Html Checker validates the pages of all languages
together at the end of the module, in one JVM start."""

import json

import pytest
from django.conf import settings

from appointments.models import Booking, BookingStatus
from joblokal.languages import HTML_LANG
from tests import factories
from tests.e2e.conftest import assert_accessible, html_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture(scope="module")
def module_pages(tmp_path_factory):
    """Collect the page sources of every language; validate them all at the end."""
    folder = tmp_path_factory.mktemp("language-pages")
    collected = []
    yield folder, collected
    if collected:
        errors = html_errors(collected)
        assert errors == [], json.dumps(errors, indent=2, ensure_ascii=False)


@pytest.fixture
def client_page(browser, live_server, request):
    language = request.param
    context = browser.new_context(
        locale=HTML_LANG.get(language, language),
        timezone_id="Europe/Berlin",
        base_url=live_server.url,
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield language, page
    context.close()


@pytest.mark.parametrize("client_page", LANGUAGES, indirect=True, ids=LANGUAGES)
def test_the_booking_path_in_every_language(client_page, module_pages):
    language, page = client_page
    folder, collected = module_pages
    html_lang = HTML_LANG.get(language, language)
    day = factories.day(
        factories.site(factories.municipality("Wathlingen"), name="Rathaus Wathlingen"),
        coaches=[factories.coach("Anna", specialisms=[factories.specialism("Familie und Beruf")])],
    )

    def check(name: str) -> None:
        assert page.evaluate("() => document.documentElement.lang") == html_lang
        assert page.evaluate("() => document.documentElement.dir") == (
            "rtl" if language == "ar" else "ltr"
        )
        assert_accessible(page)
        path = folder / f"{language}-{len(collected):02d}-{name}.html"
        path.write_text(page.content(), encoding="utf-8")
        collected.append(path)

    page.goto("/")
    check("start")
    page.locator(f'a[href="/tag/{day.pk}/"]').first.click()
    page.wait_for_url(f"**/tag/{day.pk}/")
    check("day")

    page.locator(".slot-free a").first.click()
    page.wait_for_url("**/buchen/*/")
    check("form")

    page.fill("#id_name", "Maria Muster")
    page.fill("#id_email", "maria@example.org")
    page.locator("input[name=topics]").first.check()
    page.check("#id_consent")
    page.locator("input[name=book]").click()
    page.wait_for_url("**/gebucht/*/")
    booking = Booking.objects.get()
    assert booking.language == language
    assert booking.reference in page.locator(".reference").inner_text()
    check("confirmation")

    page.locator(".manage-link").click()
    page.wait_for_url("**/termin/*/")
    check("manage")

    page.locator("a.move-link").click()
    page.wait_for_url("**/termin/*/verschieben/")
    check("move")
    page.go_back()
    page.wait_for_url("**/termin/*/")

    page.locator('a[href$="/absagen/"]').click()
    page.wait_for_url("**/absagen/")
    check("cancel-confirm")
    page.locator('form[action$="/absagen/"] button').click()
    page.wait_for_load_state()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    check("cancelled")
