"""The SMS opt-in in a real Chromium on a phone: ticking it without a number says what to
do, a mobile number books with SMS, and the form, its error state and the confirmation
stay accessible (axe-core, Nu Html Checker, 44 px tap targets)."""

import pytest

from appointments import sms
from appointments.models import Booking, WaitlistEntry
from tests import factories
from tests.e2e.test_phone import check, phone, wathlingen  # noqa: F401 (phone: a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_client_with_only_a_mobile_number_books_with_sms(phone, html_pages):  # noqa: F811
    page = phone
    day = wathlingen()
    page.goto(f"/tag/{day.pk}/")
    page.locator(".slot-free a").first.click()
    page.wait_for_url("**/buchen/*/")
    check(page, html_pages, "book-form")

    page.fill("#id_name", "Maria Muster")
    page.check("#id_sms_consent")
    page.check("#id_consent")
    page.click("input[name=book]")
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")
    assert "Für die SMS brauchen wir Ihre Handynummer." in page.inner_text("#error-summary")
    check(page, html_pages, "book-form-sms-without-number")

    page.fill("#id_phone", "0171 2345678")
    page.check("#id_consent")
    page.click("input[name=book]")
    page.wait_for_url("**/gebucht/*/")
    assert "Wir schicken Ihnen eine SMS an Ihre Handynummer" in page.inner_text("main")
    check(page, html_pages, "confirmation-with-sms")

    booking = Booking.objects.get()
    assert (booking.phone, booking.sms_consent) == ("+491712345678", True)
    assert [message.to for message in sms.outbox] == ["+491712345678"]


def test_the_waiting_list_takes_sms_only_with_a_mobile_number(phone, html_pages):  # noqa: F811
    page = phone
    full = wathlingen()
    for slot in full.slots.all():
        factories.booking(slot)
    page.goto(f"/tag/{full.pk}/warteliste/")
    page.fill("#id_name", "Karim Haddad")
    page.fill("#id_email", "karim@example.org")
    page.fill("#id_phone", "05141 123456")
    page.check("#id_sms_consent")
    page.check("#id_consent")
    page.locator("input[name=join]").click()
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")
    assert "keine SMS schicken" in page.inner_text("#error-summary")
    check(page, html_pages, "waitlist-sms-landline")
    page.fill("#id_phone", "0171 2345678")
    page.check("#id_consent")
    page.locator("input[name=join]").click()
    page.wait_for_url("**/eingetragen/")
    assert WaitlistEntry.objects.get().sms_consent is True
