"""A booking made in Ukrainian keeps that language: its confirmation, reminder and
cancellation arrive in Ukrainian, with a Ukrainian calendar summary. The coach sees the
client's language beside the needs."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from icalendar import Calendar

from appointments.models import Booking
from appointments.services import cancel_booking, queue_due_reminders
from tests import factories
from tests.appointments.test_booking_form import a_day, book

pytestmark = pytest.mark.django_db


def summary(message) -> str:
    (attachment,) = [a for a in message.attachments if a.filename == "termin.ics"]
    content = attachment.content
    calendar = Calendar.from_ical(content if isinstance(content, bytes) else content.encode())
    (event,) = calendar.walk("VEVENT")
    return str(event["SUMMARY"])


def test_a_booking_made_in_ukrainian_gets_every_mail_in_ukrainian(
    client, django_capture_on_commit_callbacks
):
    slot = a_day().slots.first()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    with django_capture_on_commit_callbacks(execute=True):
        response = book(client, slot)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.language == "uk"

    with django_capture_on_commit_callbacks(execute=True):
        queue_due_reminders(now=slot.starts_at - timedelta(hours=23), lead_hours=[24])
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking)

    confirmed, reminder, cancelled = mail.outbox
    assert confirmed.subject.startswith("Ваш запис у Jobcenter")
    assert "Ви прийдете з дитиною." in confirmed.body
    assert "Будь ласка, візьміть із собою" in confirmed.alternatives[0][0]
    assert reminder.subject.startswith("Нагадування про ваш запис")
    assert "Нагадуємо вам про ваш запис." in reminder.body
    assert cancelled.subject.startswith("Ваш запис скасовано")
    for message in (confirmed, reminder, cancelled):
        assert "Ihr Termin" not in message.subject + message.body
        assert summary(message) == "Консультація Jobcenter (JobLokal)"


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("ar", "موعدك في Jobcenter"),
        ("tr", "Jobcenter'daki randevunuz"),
        ("de-ls", "Ihr Termin beim Jobcenter"),
    ],
)
def test_arabic_and_turkish_bookings_are_confirmed_in_their_language(
    client, django_capture_on_commit_callbacks, language, subject
):
    slot = a_day().slots.first()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with django_capture_on_commit_callbacks(execute=True):
        book(client, slot)
    assert Booking.objects.get().language == language
    assert mail.outbox[0].subject.startswith(subject)


def test_the_coach_sees_the_clients_language(client):
    coach = factories.coach("Anna")
    booking, _token = factories.booking(
        factories.day(coaches=[coach]).slots.first(),
        language="ar",
        interpreter_language="Arabisch",
    )
    client.force_login(coach.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"  # staff pages stay German
    body = client.get(f"/team/termine/{booking.pk}/").content.decode()
    assert '<html lang="de" dir="ltr">' in body
    assert "braucht Dolmetschen: Arabisch" in body
    assert "Sprache der Person: Arabisch (العربية)" in body


def test_a_booking_in_leichte_sprache_gets_its_mail_in_leichte_sprache(
    client, django_capture_on_commit_callbacks
):
    slot = a_day().slots.first()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de-ls"
    with django_capture_on_commit_callbacks(execute=True):
        book(client, slot)
    (message,) = mail.outbox
    assert "Bitte bringen Sie mit" in message.body
    assert "Ihren Ausweis oder Ihren Pass" in message.body
