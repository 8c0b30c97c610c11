"""The confirmation page keeps no raw manage token server-side (issue 12, defect 5), and
Back after booking shows the client's own booking (issue 13, defect 4)."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from appointments.models import Booking
from tests import factories
from tests.appointments.test_booking_form import book

pytestmark = pytest.mark.django_db


def manage_token(client, location) -> str:
    body = client.get(location).content.decode()
    return body.split("/termin/")[1].split("/")[0]


def test_no_raw_manage_token_is_stored_in_any_session(client):
    slot = factories.day().slots.first()
    location = book(client, slot)["Location"]
    token = manage_token(client, location)
    assert client.get(f"/termin/{token}/").status_code == 200  # it is the real link
    stored = [s.get_decoded() for s in Session.objects.all()]
    assert stored and token not in repr(stored)
    assert Booking.objects.by_token(token).exists()


def test_the_link_is_shown_to_the_booking_browser_only(client):
    slot = factories.day().slots.first()
    location = book(client, slot)["Location"]
    assert "/termin/" in client.get(location).content.decode()
    # Another browser, even with the same session cookie but without the signed cookie,
    # sees the booking, never its link.
    thief = Client()
    thief.cookies["sessionid"] = client.cookies["sessionid"].value
    body = thief.get(location).content.decode()
    assert "/termin/" not in body


def test_the_manage_cookie_is_short_lived_and_scoped_to_the_page(client):
    slot = factories.day().slots.first()
    response = book(client, slot)
    cookie = response.cookies["jl_manage"]
    assert cookie["max-age"] == 3600 and cookie["httponly"]
    assert cookie["path"] == response["Location"]


def test_back_after_booking_the_last_seat_shows_the_own_booking(client):
    slot = factories.day(seats=1).slots.first()
    location = book(client, slot)["Location"]
    back = client.get(f"/buchen/{slot.pk}/")
    assert back.status_code == 302 and back["Location"] == location
    body = client.get(back["Location"]).content.decode()
    assert "Jemand anderes war schneller" not in body
    assert Booking.objects.get().reference in body


def test_someone_else_still_hears_the_slot_is_taken(client):
    slot = factories.day(seats=1).slots.first()
    book(client, slot)
    other = Client().get(f"/buchen/{slot.pk}/")
    assert other.status_code == 409
    assert "Jemand anderes war schneller" in other.content.decode()


def test_back_after_a_cancelled_own_booking_does_not_pretend_it_stands(client):
    slot = factories.day(seats=1).slots.first()
    book(client, slot)
    Booking.objects.update(status="cancelled")
    slot.seats_taken = 1  # taken by someone else meanwhile
    slot.save(update_fields=["seats_taken"])
    assert client.get(f"/buchen/{slot.pk}/").status_code == 409


def test_the_migration_removes_raw_tokens_from_stored_sessions():
    import importlib

    from django.apps import apps
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store["confirmations"] = {"ABCD-EFGH": {"id": 1, "token": "raw-secret-token"}}
    store["other"] = "kept"
    store.save()
    module = importlib.import_module("appointments.migrations.0008_drop_raw_tokens_from_sessions")
    module.drop_raw_tokens(apps, None)
    data = SessionStore(session_key=store.session_key).load()
    assert data == {"confirmations": {"ABCD-EFGH": {"id": 1}}, "other": "kept"}


def test_a_new_session_does_not_wait_for_the_disk(client):
    """The session table is unlogged (joblokal/migrations/0002): a booking waits for one
    flush to disk, its own, not a second one for the visitor's new session."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("unlogged tables are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'django_session'")
        assert cursor.fetchone() == ("u",)
    slot = factories.day().slots.first()
    location = book(client, slot)["Location"]
    assert client.get(location).status_code == 200
    assert Session.objects.count() == 1
