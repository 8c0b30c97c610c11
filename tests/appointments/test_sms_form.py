"""The "Erinnerung per SMS" opt-in on the public forms: only with a mobile number, said
plainly when it cannot be, and confirmed on the confirmation page; and one phone-only
client holds one booking a day, however the number is spelled."""

from datetime import time

import pytest
from django.test import Client

from appointments import sms
from appointments.models import Booking, OutgoingMail, WaitlistEntry
from appointments.services import AlreadyBooked, ClientDetails, book_slot
from tests import factories as f
from tests.appointments.test_booking_form import a_day, book

pytestmark = pytest.mark.django_db
NEEDS_NUMBER = "Für die SMS brauchen wir Ihre Handynummer. Bitte tragen Sie sie oben ein."
NEEDS_MOBILE = "An diese Nummer können wir keine SMS schicken."


def test_the_form_offers_sms_next_to_the_phone_unticked(client):
    slot = a_day().slots.first()
    page = client.get(f"/buchen/{slot.pk}/").content.decode()
    assert 'name="sms_consent"' in page and "Erinnerung per SMS" in page
    assert "eine Erinnerung per SMS an Ihre Handynummer" in page  # the help text
    checkbox = page[page.index('name="sms_consent"') - 200 : page.index('name="sms_consent"')]
    assert "checked" not in checkbox
    assert page.index('name="phone"') < page.index('name="sms_consent"') < page.index("topics")


def test_ticking_sms_without_a_number_says_what_to_do(client):
    slot = a_day().slots.first()
    response = book(client, slot, phone="", sms_consent="on")
    assert response.status_code == 200
    assert NEEDS_NUMBER in response.content.decode()
    assert not Booking.objects.exists()


def test_ticking_sms_without_any_contact_asks_for_the_mobile_number_only(client):
    slot = a_day().slots.first()
    response = book(client, slot, email="", phone="", sms_consent="on")
    body = response.content.decode()
    assert NEEDS_NUMBER in body and "Dann kommt keine Erinnerung." not in body
    assert not Booking.objects.exists()


def test_ticking_sms_with_a_landline_says_it_needs_a_mobile_number(client):
    slot = a_day().slots.first()
    response = book(client, slot, email="", phone="05141 123456", sms_consent="on")
    assert response.status_code == 200
    assert NEEDS_MOBILE in response.content.decode()
    assert not Booking.objects.exists()


def test_a_bad_number_gets_a_clear_message(client):
    slot = a_day().slots.first()
    response = book(client, slot, email="", phone="0171 12", sms_consent="on")
    assert "Diese Telefonnummer gibt es so nicht." in response.content.decode()
    assert NEEDS_NUMBER not in response.content.decode()
    assert not Booking.objects.exists()


def test_a_mobile_number_with_sms_books_and_the_confirmation_says_sms_will_come(
    client, django_capture_on_commit_callbacks
):
    slot = a_day().slots.first()
    with django_capture_on_commit_callbacks(execute=True):
        response = book(client, slot, email="", phone="0171 2345678", sms_consent="on")
    booking = Booking.objects.get()
    assert (booking.phone, booking.sms_consent) == ("+491712345678", True)
    body = client.get(response["Location"]).content.decode()
    assert "Wir schicken Ihnen eine SMS an Ihre Handynummer" in body
    assert "Sie bekommen keine Bestätigung und keine Erinnerung." not in body
    (message,) = sms.outbox
    assert message.to == "+491712345678"
    assert OutgoingMail.objects.get().channel == "sms"


def test_without_the_tick_no_sms_is_sent(client, django_capture_on_commit_callbacks):
    slot = a_day().slots.first()
    with django_capture_on_commit_callbacks(execute=True):
        response = book(client, slot, phone="0171 2345678")
    assert Booking.objects.get().sms_consent is False
    assert "SMS" not in client.get(response["Location"]).content.decode().split("<main")[-1]
    assert sms.outbox == []


def test_the_confirmation_in_english_says_sms_will_come(client):
    slot = a_day().slots.first()
    client.cookies["django_language"] = "en"
    response = book(client, slot, email="", phone="0171 2345678", sms_consent="on")
    body = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "We send text messages to your mobile number" in body


def test_the_waiting_list_form_takes_sms_only_with_a_mobile_number(client):
    day = f.day(on=f.future_date(10), seats=1, end=time(9, 30))
    f.booking(day.slots.get())
    data = {
        "name": "Wanda",
        "email": "w@example.org",
        "consent": "on",
        "submission_key": "w" * 32,
        "sms_consent": "on",
    }
    response = client.post(f"/tag/{day.pk}/warteliste/", data | {"phone": ""})
    assert NEEDS_NUMBER in response.content.decode()
    response = client.post(f"/tag/{day.pk}/warteliste/", data | {"phone": "0171 1111111"})
    assert response.status_code == 302
    assert WaitlistEntry.objects.get().sms_consent is True


@pytest.mark.parametrize("channel", ["form", "domain"])
def test_a_phone_only_client_holds_one_booking_a_day_however_the_number_is_spelled(channel):
    """The cap test of issue 16: three spellings of one mobile number, one booking."""
    slots = list(a_day(start=time(9), end=time(11)).slots.all())
    spellings = ["0171 2345678", "+49 171 2345678", "01712345678"]
    for n, phone in enumerate(spellings):
        if channel == "form":
            book(Client(), slots[n], remote_addr=f"198.51.100.{n}", email="", phone=phone,
                 sms_consent="on", submission_key=f"{n}" * 32)  # fmt: skip
        else:
            details = ClientDetails(name=f"Kundin {n}", phone=phone, sms_consent=True)
            try:
                book_slot(slot_id=slots[n].pk, client=details)
            except AlreadyBooked as refused:
                assert refused.field == "phone"
    assert Booking.objects.confirmed().count() == 1
