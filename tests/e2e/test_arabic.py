"""Arabic in a real Chromium on a 390 × 844 phone: the document runs right to left, the
booking form's labels sit on the right of their fields, and axe-core and the Nu Html
Checker are clean on the day page, the form, the confirmation and the manage page.
Screenshots of the day page and the form are kept under var/test-artefacts/."""

from pathlib import Path

import pytest
from django.conf import settings

from appointments.models import Booking
from tests import factories
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_phone import PHONE, assert_fits_a_phone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTEFACTS = Path(settings.BASE_DIR) / "var" / "test-artefacts"
TOLERANCE = 2  # px
# For each labelled field: the label's and the field's boxes.
BOXES = """() => [...document.querySelectorAll('form label[for]')].map(label => {
  const field = document.getElementById(label.htmlFor);
  if (!field || field.type === 'hidden') return null;
  const l = label.getBoundingClientRect(), f = field.getBoundingClientRect();
  if (!l.width || !f.width) return null;
  return {id: field.id, type: field.type, label: [l.left, l.right], field: [f.left, f.right]};
}).filter(Boolean)"""


@pytest.fixture
def arabic_phone(browser, live_server):
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="ar",
        timezone_id="Europe/Berlin",
        base_url=live_server.url,
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ar", "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def check(page, html_pages, name) -> None:
    assert page.evaluate("() => [document.documentElement.dir, document.documentElement.lang]") == [
        "rtl",
        "ar",
    ]
    assert page.evaluate("() => getComputedStyle(document.body).direction") == "rtl"
    assert_fits_a_phone(page)
    assert_accessible(page)
    html_pages(page, f"ar-{name}")


def assert_labels_on_the_right(page) -> None:
    boxes = page.evaluate(BOXES)
    assert len(boxes) >= 5, boxes
    for box in boxes:
        (label_left, label_right), (field_left, field_right) = box["label"], box["field"]
        if box["type"] in ("checkbox", "radio"):
            # The box comes first, on the right; its label text follows to its left.
            assert field_left >= label_right - TOLERANCE or label_left < field_left, box
        else:
            # Label above the field, aligned to the field's right edge.
            assert abs(label_right - field_right) <= TOLERANCE, box
            assert label_left >= field_left - TOLERANCE, box


def test_the_booking_path_in_arabic(arabic_phone, html_pages):
    page = arabic_phone
    coach = factories.coach("Anna", specialisms=[factories.specialism("Familie und Beruf")])
    day = factories.day(
        factories.site(factories.municipality("Wathlingen"), name="Rathaus Wathlingen"),
        coaches=[coach],
    )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"/tag/{day.pk}/")
    check(page, html_pages, "day")
    assert page.locator(".slot-free a").first.inner_text().startswith("من 09:00 إلى 09:30")
    page.screenshot(path=ARTEFACTS / "ar-day-390x844.png", full_page=True)

    page.locator(".slot-free a").first.click()
    page.wait_for_url("**/buchen/*/")
    check(page, html_pages, "form")
    assert_labels_on_the_right(page)
    page.screenshot(path=ARTEFACTS / "ar-form-390x844.png", full_page=True)

    page.fill("#id_name", "كريم حداد")
    page.fill("#id_email", "karim@example.org")
    page.locator("input[name=topics]").first.check()
    page.check("#id_consent")
    page.locator("input[name=book]").click()
    page.wait_for_url("**/gebucht/*/")
    check(page, html_pages, "confirmation")
    assert Booking.objects.get().language == "ar"

    page.locator(".manage-link").click()
    page.wait_for_url("**/termin/*/")
    check(page, html_pages, "manage")
    page.locator("a.move-link").click()
    page.wait_for_url("**/termin/*/verschieben/")
    check(page, html_pages, "move")
