"""Every URL and form attacked with bad input: never a 500, never a change to the data.

The URL walk is generated from the URLconf, so a new URL is attacked as soon as it exists.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appointments.models import (
    Booking,
    BookingOutcome,
    Call,
    OutreachDay,
    Slot,
    WaitlistEntry,
)
from tests import factories

HOSTILE_IDS = ["-1", "0", "2147483648", "9223372036854775808", "1" * 40, "1e9", "0x10"]
HOSTILE_STRINGS = [
    "../../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "${7*7}<script>alert(1)</script>",
    "A" * 5000,
    "\u202eevil\u202c",
    "%00",
    "Zeile\r\nBcc: victim@example.org",
    "🙂" * 300,
    "'; DROP TABLE appointments_booking; --",
]
CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


def routes(patterns=None, prefix=""):
    """(name, route) for every pattern, with its converters still in place."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


def hostile_paths():
    for name, route in routes():
        kinds = [m["kind"] or "str" for m in CONVERTER.finditer(route)]
        if not kinds or route.startswith("^"):
            continue
        values = HOSTILE_IDS if "int" in kinds else HOSTILE_STRINGS
        for value in values:
            encoded = value.replace("/", "%2F") if "path" not in kinds else value
            yield name, "/" + CONVERTER.sub(encoded, route)


def snapshot():
    """The client data that no bad request may change."""
    return (
        list(Booking.objects.order_by("pk").values()),
        list(Slot.objects.order_by("pk").values_list("pk", "seats_taken", "capacity")),
        list(OutreachDay.objects.order_by("pk").values_list("pk", "status", "starts_at")),
        list(WaitlistEntry.objects.order_by("pk").values()),
        list(BookingOutcome.objects.order_by("pk").values()),
    )


@pytest.fixture
def data(world):
    factories.day(factories.site(), on=timezone.localdate() + timedelta(days=9))
    # A future day of Alice's, for the invitation letter.
    factories.day(
        world.day.site, on=timezone.localdate() + timedelta(days=8), coaches=[world.alice]
    )
    return world


PERSONAS_TO_TRY = ["anonymous", "alice", "admin", "frida"]


@pytest.mark.parametrize("persona", PERSONAS_TO_TRY)
def test_hostile_path_segments_never_500_and_change_nothing(persona, as_persona, data):
    client = as_persona(persona)
    before = snapshot()
    tried = 0
    for name, path in hostile_paths():
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            tried += 1
            assert response.status_code < 500, (method, name, path[:120])
    assert tried > 100
    assert snapshot() == before


def every_path(world):
    """Real paths of every URL, filled with this world's objects."""
    values = {
        "pk": world.day.pk,
        "day_id": world.day.pk,
        "booking_id": world.booking.pk,
        "token": world.token,
        "reference": world.booking.reference,
        "uidb64": "MQ",
        "object_id": world.day.pk,
        "id": world.admin.pk,
        "app_label": "appointments",
        "content_type_id": "1",
        "municipality_id": world.day.site.municipality_id,
    }
    for name, route in routes():
        if route.startswith("^"):
            continue
        yield name, "/" + CONVERTER.sub(lambda m: str(values.get(m["name"], "1")), route)


@pytest.mark.parametrize("persona", PERSONAS_TO_TRY)
def test_wrong_methods_are_refused(persona, as_persona, data):
    client = as_persona(persona)
    before = snapshot()
    for name, path in every_path(data):
        for method in ("put", "patch", "delete", "options"):
            response = getattr(client, method)(path)
            assert response.status_code < 500, (method, name, path)
            # Django's own admin answers a PUT to its login like a POST, harmlessly.
            if method in ("put", "patch", "delete") and not path.startswith("/admin/"):
                assert response.status_code in (302, 403, 404, 405), (method, name, path)
    assert snapshot() == before


@pytest.mark.parametrize("persona", PERSONAS_TO_TRY)
def test_a_post_without_csrf_token_is_refused(persona, as_persona, data):
    client = as_persona(persona)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    before = snapshot()
    for name, path in every_path(data):
        response = strict.post(path, {"name": "X", "email": "x@example.org", "confirm": "on"})
        assert response.status_code in (403, 404, 405), (name, path, response.status_code)
    assert snapshot() == before


text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=400
) | st.sampled_from(HOSTILE_STRINGS)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=text, email=st.emails() | text, phone=text, note=text, language=text, key=st.uuids())
def test_the_booking_form_survives_any_text(client, data, name, email, phone, note, language, key):
    slot = Slot.objects.bookable().order_by("starts_at").first()
    seats = slot.seats_taken
    bookings = Booking.objects.count()
    response = client.post(
        f"/buchen/{slot.pk}/",
        {
            "name": name,
            "email": email,
            "phone": phone,
            "note": note,
            "interpreter_language": language,
            "needs_other": note,
            "consent": "on",
        },
    )
    assert response.status_code in (200, 302, 400, 409, 429)
    slot.refresh_from_db()
    made = Booking.objects.count() - bookings
    # Either refused with nothing written, or one whole booking that took one seat.
    assert made in (0, 1)
    assert slot.seats_taken == seats + made
    if made:
        booking = Booking.objects.latest("pk")
        assert booking.name == name.strip() or booking.name == " ".join(name.split())
        Booking.objects.filter(pk=booking.pk).delete()
        Slot.objects.filter(pk=slot.pk).update(seats_taken=seats)


@pytest.fixture
def desk(data, as_persona):
    """Frida at the front desk, and a coming day of Wathlingen with free slots."""
    day = factories.day(data.day.site, on=timezone.localdate() + timedelta(days=10), seats=3)
    return as_persona("frida"), day


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=text,
    email=st.emails() | text,
    phone=text | st.sampled_from(["0171 2345678", "05144 123456", "+49 171 2345678"]),
    slot=text,
    channel=text | st.sampled_from(["phone", "desk"]),
    sms=st.sampled_from(["", "on", "x"]),
    key=st.uuids(),
)
def test_the_front_desk_booking_form_survives_any_text(
    desk, name, email, phone, slot, channel, sms, key
):
    frida, day = desk
    first = day.slots.order_by("starts_at").first()
    bookings, seats = Booking.objects.count(), sum(s.seats_taken for s in day.slots.all())
    response = frida.post(
        f"/team/empfang/tage/{day.pk}/buchen/",
        {
            "slot": slot if slot.strip() else first.pk,
            "name": name,
            "email": email,
            "phone": phone,
            "channel": channel,
            "sms_consent": sms,
            "privacy_read_out": "on",
            "submission_key": key.hex,
        },
    )
    assert response.status_code in (302, 400)
    made = Booking.objects.count() - bookings
    assert made in (0, 1)
    assert sum(s.seats_taken for s in day.slots.all()) == seats + made
    if made:
        booking = Booking.objects.latest("pk")
        assert booking.consent_recorded_by is not None
        assert not booking.sms_consent or booking.phone
        booking.calls.all().delete()
        Booking.objects.filter(pk=booking.pk).delete()
        Slot.objects.filter(pk=booking.slot_id).update(seats_taken=booking.slot.seats_taken - 1)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(reason=text, slot=text, note=text)
def test_the_front_desk_cancel_move_and_call_forms_survive_any_text(
    data, as_persona, reason, slot, note
):
    frida = as_persona("frida")
    booking = data.booking
    before = snapshot()
    move = frida.post(f"/team/empfang/termine/{booking.pk}/verschieben/", {"slot": slot})
    assert move.status_code in (302, 400)
    if move.status_code == 400:
        assert snapshot() == before
    call = Call.objects.get_or_create(booking=booking, reason="reminder", for_date=data.day.date)[0]
    done = frida.post(f"/team/anrufe/{call.pk}/erledigt/", {"note": note, "next": note})
    assert done.status_code == 302
    cancel = frida.post(f"/team/empfang/termine/{booking.pk}/absagen/", {"reason": reason})
    assert cancel.status_code in (302, 400)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(reason=text)
def test_the_cancel_form_survives_any_text(client, data, reason):
    response = client.post(f"/termin/{data.token}/absagen/", {"reason": reason})
    assert response.status_code in (302, 400, 429)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(username=text, password=text)
def test_the_login_survives_any_text(client, data, username, password):
    response = client.post("/team/anmelden/", {"username": username, "password": password})
    assert response.status_code in (200, 302, 403, 429)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=text, address=text, from_time=text, language=text, mode=text, day=text)
def test_the_letter_form_survives_any_text(data, name, address, from_time, language, mode, day):
    """A coach's invitation letter: refused with a message, or one whole reserved seat."""
    client = Client()
    client.force_login(data.alice.user)
    own = OutreachDay.objects.filter(coaches=data.alice, starts_at__gt=timezone.now()).first()
    bookings = Booking.objects.count()
    response = client.post(
        "/team/druck/einladung/",
        {
            "name": name,
            "address": address,
            "from_time": from_time,
            "language": language,
            "mode": mode,
            "day": own.pk if own and day.startswith("a") else day,
        },
    )
    assert response.status_code in (200, 400, 409)
    assert Booking.objects.count() - bookings in (0, 1)


def test_a_template_injection_string_is_shown_not_run(client, data):
    slot = Slot.objects.bookable().order_by("starts_at").first()
    client.post(
        f"/buchen/{slot.pk}/",
        {
            "name": "{{ settings.SECRET_KEY }}",
            "email": "inject@example.org",
            "consent": "on",
        },
    )
    booking = Booking.objects.get(email="inject@example.org")
    assert booking.name == "{{ settings.SECRET_KEY }}"
    alice = Client()
    alice.force_login(data.admin)
    page = alice.get(f"/admin/appointments/booking/{booking.pk}/change/").content.decode()
    from django.conf import settings as django_settings

    assert django_settings.SECRET_KEY not in page
    assert "{{ settings.SECRET_KEY }}" in page
