from datetime import time

import pytest
from django.core import mail

from appointments.models import Booking, BookingToken, OutgoingMail, Slot
from coaches.models import Specialism
from tests import factories

pytestmark = pytest.mark.django_db


def a_day(**fields):
    women = factories.specialism("Familie und Beruf")
    coach = factories.coach("Anna", specialisms=[women])
    return factories.day(coaches=[coach], **fields)


def form_data(day=None, **fields):
    data = {
        "name": "Maria Muster",
        "email": "maria@example.org",
        "phone": "",
        "topics": list(Specialism.objects.filter(coaches__days=day).values_list("pk", flat=True)),
        "need_child": "on",
        "note": "Ich suche Arbeit ab 8 Uhr.",
        "consent": "on",
        "website": "",
        "submission_key": "k" * 32,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def book(client, slot, remote_addr="127.0.0.1", **fields):
    return client.post(
        f"/buchen/{slot.pk}/", form_data(slot.day, **fields), REMOTE_ADDR=remote_addr
    )


def test_the_form_offers_the_topics_of_that_day_and_a_privacy_link(client):
    day = a_day()
    factories.specialism("Nicht heute")
    body = client.get(f"/buchen/{day.slots.first().pk}/").content.decode()
    assert "Familie und Beruf" in body
    assert "Nicht heute" not in body
    assert 'href="/datenschutz/"' in body
    assert "Ohne E-Mail geht das nicht." in body
    assert 'name="submission_key"' in body


def test_each_form_gets_its_own_submission_key(client):
    slot = a_day().slots.first()
    first = client.get(f"/buchen/{slot.pk}/").content.decode()
    second = client.get(f"/buchen/{slot.pk}/").content.decode()

    def key(body):
        return body.split('name="submission_key" value="')[1].split('"')[0]

    assert len(key(first)) >= 32 and key(first) != key(second)


def test_it_books_confirms_and_mails(client, django_capture_on_commit_callbacks):
    slot = a_day().slots.first()
    with django_capture_on_commit_callbacks(execute=True):
        response = book(client, slot)
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/gebucht/{booking.reference}/"
    assert booking.slot == slot and booking.need_child and booking.topics.count() == 1
    assert booking.consent_at is not None and booking.language == "de"
    assert Slot.objects.get(pk=slot.pk).seats_taken == 1

    body = client.get(response["Location"]).content.decode()
    assert booking.reference in body
    assert "Bitte bringen Sie mit" in body
    assert "/termin/" in body and ".ics" in body
    assert [m.to for m in mail.outbox] == [["maria@example.org"]]
    assert OutgoingMail.objects.get().kind == "booking_confirmed"


def test_the_confirmation_holds_a_working_manage_link_and_ics(client):
    slot = a_day().slots.first()
    confirmation = client.get(book(client, slot)["Location"]).content.decode()
    manage_path = confirmation.split('class="manage-link text-break" href="')[1].split('"')[0]
    manage_path = manage_path.removeprefix("http://testserver")
    token = manage_path.split("/")[2]
    assert not BookingToken.objects.filter(token_hash=token).exists()  # only its hash
    page = client.get(manage_path)
    assert page.status_code == 200 and Booking.objects.get().reference in page.content.decode()
    ics = client.get(f"/termin/{token}/termin.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics.content.decode()


def test_the_confirmation_page_needs_the_session_that_booked(client, django_user_model):
    from django.test import Client

    slot = a_day().slots.first()
    location = book(client, slot)["Location"]
    assert Client().get(location).status_code == 404


def test_without_email_a_phone_is_needed(client):
    slot = a_day().slots.first()
    response = book(client, slot, email="", phone="")
    assert response.status_code == 200
    assert "Ohne E-Mail brauchen wir Ihre Telefonnummer. Dann kommt keine Erinnerung." in (
        response.content.decode()
    )
    assert not Booking.objects.exists()


def test_with_only_a_phone_it_books_and_says_no_reminder_will_come(client):
    slot = a_day().slots.first()
    response = book(client, slot, email="", phone="05144 123456")
    body = client.get(response["Location"]).content.decode()
    assert "Sie bekommen keine Bestätigung und keine Erinnerung." in body
    assert mail.outbox == []


def test_an_interpreter_needs_a_language(client):
    slot = a_day().slots.first()
    body = book(client, slot, need_interpreter="on").content.decode()
    assert "Bitte schreiben Sie die Sprache dazu." in body
    book(client, slot, need_interpreter="on", interpreter_language="Arabisch")
    assert Booking.objects.get().interpreter_language == "Arabisch"


def test_consent_is_required(client):
    slot = a_day().slots.first()
    body = book(client, slot, consent=None).content.decode()
    assert "Bitte stimmen Sie der Datenschutz-Erklärung zu." in body
    assert not Booking.objects.exists()


def test_a_filled_honeypot_books_nothing(client):
    slot = a_day().slots.first()
    response = book(client, slot, website="http://spam.example")
    assert response.status_code == 200
    assert "Die Anfrage konnte nicht gesendet werden." in response.content.decode()
    assert not Booking.objects.exists()


def test_posting_the_same_form_twice_books_once_and_confirms_twice(
    client, django_capture_on_commit_callbacks
):
    slot = a_day(end=time(9, 30)).slots.get()  # one seat: the second post finds it full
    with django_capture_on_commit_callbacks(execute=True):
        first = book(client, slot)
        second = book(client, slot)
    assert Booking.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert Slot.objects.get(pk=slot.pk).seats_taken == 1
    body = client.get(second["Location"]).content.decode()
    assert "/termin/" in body  # the same manage link as the first time
    assert len(mail.outbox) == 1


def test_a_second_booking_with_the_same_email_on_a_day_is_refused(client):
    first, second = a_day().slots.all()[:2]
    book(client, first)
    response = book(client, second, submission_key="z" * 32)
    assert (
        "Mit dieser E-Mail gibt es an diesem Tag schon einen Termin." in response.content.decode()
    )
    assert Booking.objects.count() == 1


def test_a_full_slot_shows_the_next_free_ones(client):
    day = a_day()
    slot = day.slots.order_by("starts_at").first()
    factories.booking(slot)
    response = book(client, slot)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Dieser Termin wurde gerade vergeben." in body
    assert f'href="/buchen/{day.slots.order_by("starts_at")[1].pk}/"' in body
    assert Booking.objects.count() == 1
    assert client.get(f"/buchen/{slot.pk}/").status_code == 409


def test_posts_are_rate_limited_per_address(client):
    slot = a_day().slots.first()
    statuses = [
        book(client, slot, consent=None, remote_addr="10.1.1.1").status_code for _ in range(21)
    ]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert book(client, slot, remote_addr="10.1.1.2").status_code == 302


def test_it_books_in_english_for_english_readers(client):
    slot = a_day().slots.first()
    client.post(f"/buchen/{slot.pk}/", form_data(slot.day), HTTP_ACCEPT_LANGUAGE="en")
    assert Booking.objects.get().language == "en"
