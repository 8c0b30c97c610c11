"""Invariant 7 on the booking path: bad input gets a clear message in the page's language,
never a 500, and leaves no half-written rows."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appointments.models import Booking, BookingToken, DayStatus, OutgoingMail, Slot
from tests import factories
from tests.appointments.test_booking_form import form_data

pytestmark = pytest.mark.django_db

SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


def footprint():
    return (
        Booking.objects.count(),
        BookingToken.objects.count(),
        OutgoingMail.objects.count(),
        sum(Slot.objects.values_list("seats_taken", flat=True)),
    )


@pytest.fixture
def day():
    return factories.day(coaches=[factories.coach(specialisms=[factories.specialism()])])


FIELD_CASES = [
    # (fields, German message, English message)
    ({"name": "x" * 121}, "höchstens 120 Zeichen", "at most 120 characters"),
    ({"name": "x" * 100_000}, "höchstens 120 Zeichen", "at most 120 characters"),
    ({"name": "   "}, "Geben Sie Ihren Namen ein.", "Enter your name."),
    ({"name": "Maria\r\nBcc: x@example.org"}, "Bitte nur eine Zeile", "Please write one line"),
    ({"name": "Maria\nMuster"}, "Bitte nur eine Zeile", "Please write one line"),
    ({"name": "Maria\u202eevil"}, "Bitte nur eine Zeile", "Please write one line"),
    ({"name": "Maria\u2028Muster"}, "Bitte nur eine Zeile", "Please write one line"),
    ({"name": "Maria\x00"}, "Null", "Null characters are not allowed."),
    ({"email": "maria@"}, "Diese E-Mail-Adresse stimmt nicht.", "This email address is not right."),
    ({"email": "maria@@example.org"}, "Diese E-Mail-Adresse stimmt nicht.", "email address"),
    ({"email": "maria@exa mple.org"}, "Diese E-Mail-Adresse stimmt nicht.", "email address"),
    ({"email": "m@example.org\r\nBcc: x@y.org"}, "E-Mail-Adresse stimmt nicht", "email address"),
    ({"email": "a" * 300 + "@example.org"}, "höchstens 254 Zeichen", "at most 254 characters"),
    ({"email": "", "phone": ""}, "brauchen wir Ihre Telefonnummer", "we need your phone number"),
    ({"email": "", "phone": "call me maybe"}, "Bitte nur Ziffern", "Please use only digits"),
    ({"note": "n" * 1001}, "höchstens 1000 Zeichen", "at most 1000 characters"),
    ({"note": "Hallo\x1b[31m"}, "ein Zeichen, das wir nicht speichern", "a character we cannot"),
    (
        {"interpreter_language": "Arabisch\r\nTürkisch"},
        "Bitte nur eine Zeile",
        "Please write one line",
    ),
    ({"topics": ["abc"]}, "Dieses Thema gibt es an diesem Tag nicht.", "not offered on this day"),
    ({"consent": None}, "Datenschutz-Erklärung zu", "agree to the privacy notice"),
]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("fields, german, english", FIELD_CASES)
def test_bad_fields_get_a_clear_message_and_save_nothing(
    client, day, fields, german, english, language
):
    before = footprint()
    response = client.post(
        f"/buchen/{day.slots.first().pk}/",
        form_data(day, **fields),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert (german if language == "de" else english) in body
    assert f'lang="{language}"' in body
    assert footprint() == before


def test_a_topic_of_another_day_is_refused(client, day):
    elsewhere = factories.day(
        factories.site(), coaches=[factories.coach(specialisms=[factories.specialism("Fremd")])]
    )
    foreign = elsewhere.coaches.first().specialisms.first()
    response = client.post(f"/buchen/{day.slots.first().pk}/", form_data(day, topics=[foreign.pk]))
    assert "Dieses Thema gibt es an diesem Tag nicht." in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize("name", ["Zoë Ñúñez-Øst", "محمد الأحمد", "李雷", "Ayşe 👩‍👧", "O'Brien"])
def test_names_in_any_script_are_welcome(client, day, name):
    client.post(f"/buchen/{day.slots.first().pk}/", form_data(day, name=name))
    assert Booking.objects.get().name == name


def test_a_garbage_submission_key_is_replaced_not_trusted(client, day):
    client.post(f"/buchen/{day.slots.first().pk}/", form_data(day, submission_key="<x>' --"))
    assert len(Booking.objects.get().submission_key) >= 32


def _slot_of(status=DayStatus.PUBLISHED, on=None):
    return factories.day(factories.site(), status=status, on=on).slots.first()


@pytest.mark.parametrize(
    "make_slot, status, german",
    [
        (lambda: _slot_of(on=factories.future_date(-3)), 409, "kann man nicht mehr buchen"),
        (lambda: _slot_of(on=factories.future_date(400)), 409, "kann man nicht mehr buchen"),
        (lambda: _slot_of(DayStatus.CANCELLED), 409, "kann man nicht mehr buchen"),
        (lambda: _slot_of(DayStatus.DRAFT), 404, "Diese Seite gibt es nicht."),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_slots_that_cannot_be_booked_say_so(client, make_slot, status, german, method):
    slot = make_slot()
    before = footprint()
    response = getattr(client, method)(f"/buchen/{slot.pk}/", form_data(slot.day))
    assert response.status_code == status
    assert german in response.content.decode()
    assert footprint() == before


def test_a_full_slot_says_just_taken_with_the_next_free_slots(client, day):
    slot = day.slots.order_by("starts_at").first()
    factories.booking(slot)
    before = footprint()
    response = client.post(f"/buchen/{slot.pk}/", form_data(day))
    assert response.status_code == 409
    assert "Dieser Termin wurde gerade vergeben." in response.content.decode()
    assert response.content.decode().count('href="/buchen/') == 5
    assert footprint() == before


@pytest.mark.parametrize("slot_id", ["999999999", "99999999999999999999999", "0"])
def test_a_tampered_slot_id_gets_a_404(client, day, slot_id):
    response = client.post(f"/buchen/{slot_id}/", form_data(day))
    assert response.status_code == 404
    assert "Diese Seite gibt es nicht." in response.content.decode()
    for path in [f"/buchen/{slot_id}x/", "/buchen/-1/", "/buchen/%00/"]:
        assert client.get(path).status_code == 404


def test_a_past_slot_in_english_says_so_in_english(client):
    slot = _slot_of(on=factories.future_date(-1))
    response = client.get(f"/buchen/{slot.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "This appointment can no longer be booked." in response.content.decode()


@pytest.fixture
def roomy_day():
    return factories.day(
        seats=1000, coaches=[factories.coach(specialisms=[factories.specialism()])]
    )


@settings(
    max_examples=40,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=SAFE_TEXT,
    email=st.one_of(SAFE_TEXT, st.emails()),
    phone=SAFE_TEXT,
    note=SAFE_TEXT,
    needs_other=SAFE_TEXT,
    key=st.text(min_size=20, max_size=64, alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-"),
)
def test_any_input_books_once_or_explains_why(
    client, settings, roomy_day, name, email, phone, note, needs_other, key
):
    settings.RATELIMIT_ENABLE = False  # the limit has its own test; here only the input counts
    before = footprint()
    fields = {
        "name": name,
        "email": email,
        "phone": phone,
        "note": note,
        "needs_other": needs_other,
    }
    response = client.post(
        f"/buchen/{roomy_day.slots.first().pk}/", form_data(roomy_day, submission_key=key, **fields)
    )
    bookings, tokens, _, seats = (a - b for a, b in zip(footprint(), before, strict=True))
    if response.status_code == 302:
        # One booking with its token and seat, or none for a repeated form.
        assert bookings == tokens == seats and bookings in (0, 1)
    else:
        assert response.status_code == 200, response.status_code
        assert (bookings, tokens, seats) == (0, 0, 0)
