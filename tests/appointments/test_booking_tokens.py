"""Invariant 2: a booking is reachable only through its secret link."""

import base64
import re
from datetime import time

import pytest

from appointments import services
from appointments.models import BookingToken, hash_token, new_token
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_token_carries_at_least_128_random_bits():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128


def test_only_the_hash_of_a_token_is_stored():
    slot = factories.day().slots.first()
    booking, token = factories.booking(slot)
    stored = BookingToken.objects.get(booking=booking)
    assert stored.token_hash == hash_token(token) != token
    assert token not in str(list(BookingToken.objects.values())) + str(booking.__dict__)


def test_references_are_short_random_and_not_sequential():
    day = factories.day(start=time(8), end=time(18))
    references = [factories.booking(slot)[0].reference for slot in day.slots.all()]
    assert all(re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", ref) for ref in references)
    assert len(set(references)) == len(references)
    assert references != sorted(references)
    # No two neighbours share the long prefix a counter would give them.
    assert sum(a[:7] == b[:7] for a, b in zip(references, references[1:], strict=False)) == 0


@pytest.mark.parametrize(
    "path",
    [
        "garbage",
        "A" * 32,
        "x" * 65,
        "x" * 5000,
        "%00%00",
        "%E2%80%AE%F0%9F%98%80",
        "..%2F..%2Fetc",
        "' OR 1=1 --",
    ],
)
def test_a_garbage_token_gets_a_404_in_plain_words(client, path):
    factories.booking(factories.day().slots.first())
    for suffix in ["", "termin.ics", "absagen/", "verschieben/"]:
        method = client.post if suffix.endswith("/") else client.get
        response = method(f"/termin/{path}/{suffix}")
        assert response.status_code in (404, 405)
    response = client.get(f"/termin/{path}/")
    assert response.status_code == 404
    assert "Diese Seite gibt es nicht." in response.content.decode()


def test_a_tampered_token_never_reaches_another_booking(client):
    slot_a, slot_b = factories.day().slots.all()[:2]
    _, token_a = factories.booking(slot_a)
    booking_b, token_b = factories.booking(slot_b)
    for tampered in [
        token_a[:-1],
        token_a[:-1] + ("A" if token_a[-1] != "A" else "B"),
        token_a.upper(),
    ]:
        if tampered in (token_a, token_b):
            continue
        response = client.get(f"/termin/{tampered}/")
        assert response.status_code == 404
        assert booking_b.reference not in response.content.decode()


def test_an_anonymised_booking_is_gone_from_its_link(client):
    from django.utils import timezone

    booking, token = factories.booking(factories.day().slots.first())
    type(booking).objects.filter(pk=booking.pk).update(anonymised_at=timezone.now())
    assert client.get(f"/termin/{token}/").status_code == 404


def test_a_cancelled_booking_cannot_be_changed_by_its_old_link(client):
    booking, token = factories.booking(factories.day().slots.first())
    services.cancel_booking(booking=booking)
    other = factories.day(factories.site()).slots.first()
    client.post(f"/termin/{token}/verschieben/", {"slot": other.pk})
    booking.refresh_from_db()
    assert booking.slot_id != other.pk


def test_a_short_token_carries_128_bits_in_base32_and_opens_the_manage_page(client):
    slot = factories.day().slots.first()
    booking, _token = factories.booking(slot)
    short = BookingToken.objects.issue(booking=booking, short=True)
    assert re.fullmatch(r"[A-Z2-7]{26}", short)
    assert len(base64.b32decode(short + "======")) * 8 >= 128
    assert BookingToken.objects.filter(token_hash=hash_token(short), booking=booking).exists()
    # Typed by hand from a letter, in any case.
    response = client.get(f"/k/{short.lower()}/")
    assert response.status_code == 302
    assert response["Location"] == f"/termin/{short}/"
    assert client.get(response["Location"]).context["booking"] == booking


def test_an_unknown_short_token_is_not_found(client):
    assert client.get("/k/AAAAAAAAAAAAAAAAAAAAAAAAAA/").status_code == 404


# A long and a short token as new_token and new_short_token make them (fixed, so that
# every test process collects the same cases), and some a link never carries.
@pytest.mark.parametrize(
    "token",
    [
        "q0-Lx_9ZbWc3sT1uV2yA8dE4fG5hJ6kM",
        "MZXW6YTBOI3DQNRVGQ2TSNBXGE",
        "mit Leerzeichen",
        "ä?x=1#y",
        "a%2Fb",
    ],
)
@pytest.mark.parametrize("script_prefix", ["/", "/joblokal/"])
def test_a_link_in_a_mail_is_the_path_django_reverses(settings, token, script_prefix):
    from django.urls import reverse, set_script_prefix

    from appointments import links

    set_script_prefix(script_prefix)
    try:
        for name, link in (("manage", links.manage_url), ("short", links.short_manage_url)):
            expected = reverse(f"appointments:{name}", args=[token])
            assert link(token) == settings.SITE_URL + expected
            assert expected.startswith(script_prefix)
    finally:
        set_script_prefix("/")
