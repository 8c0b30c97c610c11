"""The waiting-list offer page in real Chromium: German and English, axe-core clean, valid
HTML, and the whole path from the offer email's link to a booking."""

import re
import secrets
from datetime import time

import pytest
from django.core import mail
from django.utils import timezone

from appointments.models import Booking, WaitlistEntry, hash_token
from appointments.services import cancel_booking
from tests import factories as f
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def offer_path(language="de"):
    day = f.day(start=time(9), end=time(9, 30), seats=1)
    booking, _ = f.booking(day.slots.get())
    waiting = WaitlistEntry.objects.create(
        day=day,
        name="Berta Beispiel",
        email="berta@example.org",
        language=language,
        token_hash=hash_token(secrets.token_urlsafe(24)),
        consent_at=timezone.now(),
    )
    cancel_booking(booking=booking)  # eager Celery: the offer mail is in the outbox now
    (offer,) = [m for m in mail.outbox if m.to == [waiting.email]]
    return re.search(r"https?://[^/\s]+(/warteliste/angebot/\S+/)", offer.body).group(1)


def test_an_offer_is_booked_from_its_link(page, html_pages):
    path = offer_path()
    page.goto(path)
    assert page.locator("h1").inner_text() == "Ein Platz ist frei geworden."
    assert_accessible(page)
    html_pages(page, "waitlist-offer")
    page.get_by_role("button", name="Diesen Termin buchen").click()
    assert page.locator("h1").inner_text() == "Ihr Termin ist gebucht."
    assert_accessible(page)
    html_pages(page, "waitlist-offer-booked")
    assert Booking.objects.filter(email="berta@example.org", status="confirmed").count() == 1


def test_the_offer_page_in_english(page_en):
    page_en.goto(offer_path(language="en"))
    assert page_en.locator("h1").inner_text() == "A seat has become free."
    assert page_en.get_by_role("button", name="Book this appointment").is_visible()
    assert_accessible(page_en)
