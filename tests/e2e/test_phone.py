"""The client's path on a 390 × 844 phone in a real Chromium: start to cancel by keyboard
only, no horizontal scrolling, tap targets of at least 44 px (measured), focus on the
error summary after a failed submit, and axe-core and the Nu Html Checker clean on every
client page, the new ones and the error states included."""

from datetime import time

import pytest
from django.conf import settings

from appointments import links, services
from appointments.models import Booking, BookingStatus, WaitlistEntry
from tests import factories
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
MIN_TARGET = 44
# Links inside running text are exempt from the target size (WCAG 2.5.5, "inline").
MEASURE_TARGETS = """(min) => {
  const small = [];
  for (const el of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (el.closest('.visually-hidden-focusable, .jl-hp')) continue;
    let box = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      box = document.querySelector(`label[for="${el.id}"]`) || el;
    }
    const r = box.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (el.tagName === 'A') {
      const own = el.textContent.trim().length;
      const around = el.parentElement.textContent.trim().length;
      if (around > own + 2 && getComputedStyle(el).display === 'inline') continue;
    }
    if (r.height < min - 0.5 || r.width < min - 0.5) {
      small.push(`${el.outerHTML.slice(0, 90)}: ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return small;
}"""


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="de-DE",
        timezone_id="Europe/Berlin",
        base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def assert_fits_a_phone(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"horizontal scroll on {page.url}: {width}"
    small = page.evaluate(MEASURE_TARGETS, MIN_TARGET)
    assert small == [], f"tap targets under {MIN_TARGET} px on {page.url}: {small}"


def check(page, html_pages, name) -> None:
    assert_fits_a_phone(page)
    assert_accessible(page)
    html_pages(page, name)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches the selector."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def focused(page) -> str:
    return page.evaluate("() => document.activeElement.id")


def wathlingen(**site_fields):
    anna = factories.coach("Anna", specialisms=[factories.specialism("Familie und Beruf")])
    site = factories.site(
        factories.municipality(
            "Wathlingen", postcodes="29339", member_villages="Nienhagen, Adelheidsdorf"
        ),
        name="Rathaus Wathlingen",
        directions="Eingang an der Rückseite.",
        bus_stop="Wathlingen Rathaus",
        bus_lines="Bus 12",
        **site_fields,
    )
    return factories.day(site, coaches=[anna])


def test_the_whole_path_by_keyboard_only(phone):
    page = phone
    day = wathlingen(step_free=True)

    page.goto("/")
    tab_to(page, f'a[href="/tag/{day.pk}/"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/tag/{day.pk}/")

    tab_to(page, ".slot-free a")
    page.keyboard.press("Enter")
    page.wait_for_url("**/buchen/*/")

    tab_to(page, "input[name=book]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "id_name"
    page.keyboard.type("Maria Muster")
    page.keyboard.press("Tab")
    page.keyboard.type("maria@example.org")
    tab_to(page, "input[name=topics]")
    page.keyboard.press("Space")
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    tab_to(page, "input[name=book]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/gebucht/*/")
    booking = Booking.objects.get()

    tab_to(page, ".manage-link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/termin/*/")
    tab_to(page, 'a[href$="/absagen/"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/absagen/")
    tab_to(page, 'form[action$="/absagen/"] button[type=submit]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Ihr Termin ist abgesagt." in page.content()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_every_client_page_fits_a_phone_and_passes_axe_and_the_html_checker(phone, html_pages):
    page = phone
    day = wathlingen(step_free=False)
    full = factories.day(factories.site(name="Gemeindehaus"), start=time(9), end=time(9, 30))
    factories.booking(full.slots.get())
    later = factories.day(day.site, on=factories.future_date(settings.BOOKING_OPENS_DAYS + 9))

    for path, name in [
        ("/", "start"),
        ("/?q=Nienhagen", "start-village"),
        ("/?q=Atlantis", "start-no-match"),
        ("/freie-termine/", "first-free"),
        (f"/tag/{day.pk}/", "day"),
        (f"/tag/{day.pk}/?von=11%3A00&bis=10%3A00", "day-filter-error"),
        (f"/tag/{day.pk}/?bis=12%3A00", "day-mornings"),
        (f"/tag/{full.pk}/", "day-full"),
        (f"/tag/{later.pk}/", "day-opens-later"),
        (f"/tag/{full.pk}/warteliste/", "waitlist"),
        (f"/buchen/{full.slots.get().pk}/", "slot-taken"),
        ("/leichte-sprache/", "easy-language"),
        ("/gebaerdensprache/", "sign-language"),
        ("/datenschutz/", "privacy"),
        ("/barrierefreiheit/", "accessibility"),
        ("/impressum/", "imprint"),
        ("/gibt-es-nicht/", "not-found"),
    ]:
        page.goto(path)
        check(page, html_pages, name)

    page.goto(f"/tag/{full.pk}/warteliste/")
    with page.expect_navigation():
        page.locator("input[name=join]").click()
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")
    check(page, html_pages, "waitlist-errors")
    page.fill("#id_name", "Karim Haddad")
    page.fill("#id_email", "karim@example.org")
    page.check("#id_consent")
    page.locator("input[name=join]").click()
    page.wait_for_url("**/eingetragen/")
    check(page, html_pages, "waitlist-joined")

    page.goto(f"/buchen/{day.slots.first().pk}/")
    check(page, html_pages, "form-step-warning")
    page.check("#id_need_step_free")
    page.check("#id_need_interpreter")
    with page.expect_navigation():
        page.locator("input[name=book]").click()
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")
    check(page, html_pages, "form-errors")
    page.fill("#id_name", "Karim Haddad")
    page.fill("#id_phone", "05144 123456")
    page.fill("#id_interpreter_language", "Arabisch")
    page.check("#id_consent")
    page.locator("input[name=book]").click()
    page.wait_for_url("**/gebucht/*/")
    assert "Eine Person, die übersetzt: Arabisch" in page.content()
    check(page, html_pages, "confirmation")

    page.locator(".manage-link").click()
    page.wait_for_url("**/termin/*/")
    check(page, html_pages, "manage")
    manage = page.url
    page.goto(manage + "verschieben/")
    check(page, html_pages, "move")
    page.goto(manage + "absagen/")
    check(page, html_pages, "cancel-confirm")
    page.fill("#id_reason", "x" * 301)
    with page.expect_navigation():
        page.locator('form[action$="/absagen/"] button[type=submit]').click()
    check(page, html_pages, "cancel-errors")
    page.goto(manage + "daten-loeschen/")
    check(page, html_pages, "erase-confirm")

    # A cancellation on the full day offers its seat to the waiting list.
    booking = Booking.objects.get(slot__day=full)
    services.cancel_booking(booking=booking)
    entry = WaitlistEntry.objects.get()
    assert entry.offered_slot_id
    page.goto(f"/warteliste/angebot/{links.offer_token(entry.pk, entry.offered_slot_id)}/")
    check(page, html_pages, "waitlist-offer")
