"""The booking flow's speed work: a new session is written once under the key the cap
counts by, a resubmitted form still finds its first booking on every path without a
lookup up front, and the confirmation page is kept per booking state without ever
keeping or sharing the manage link."""

import logging
import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.crypto import salted_hmac

from appointments import booking_page, confirmation_page
from appointments.models import Booking, DayStatus, Slot
from tests import factories
from tests.appointments.test_booking_form import a_day, book

pytestmark = pytest.mark.django_db


def session_statements(queries) -> list[str]:
    return [q["sql"].split()[0] for q in queries if "django_session" in q["sql"]]


def test_a_new_visitors_session_is_written_once_under_the_key_the_cap_counts(client):
    slot = a_day().slots.first()
    with CaptureQueriesContext(connection) as queries:
        response = book(client, slot)
    assert response.status_code == 302
    # One INSERT when the response goes out: no SELECT for a free key, no second write.
    assert session_statements(queries.captured_queries) == ["INSERT"]
    key = client.cookies["sessionid"].value
    assert Session.objects.get().session_key == key
    hashed = salted_hmac("joblokal.session", key, algorithm="sha256").hexdigest()[:32]
    assert Booking.objects.get().origin_session == hashed


def test_the_session_cap_counts_the_bookings_of_one_new_session(client, settings):
    settings.BOOKINGS_PER_SESSION_PER_DAY = 1
    first, second = a_day(seats=3).slots.all()[:2]
    assert book(client, first, email="a@example.org", submission_key="a" * 32).status_code == 302
    response = book(client, second, email="b@example.org", submission_key="b" * 32)
    assert "schon genug Termine gebucht" in response.content.decode()
    assert Booking.objects.count() == 1


def test_a_refused_booking_leaves_no_session_behind(client):
    slot = a_day().slots.first()
    factories.booking(slot)  # full
    assert book(client, slot).status_code == 409
    assert not Session.objects.exists()


def test_a_resubmit_finds_its_booking_while_seats_are_left(client):
    slot = a_day(seats=3).slots.first()
    first = book(client, slot)
    second = book(client, slot)
    assert first["Location"] == second["Location"]
    assert Booking.objects.count() == 1
    assert Slot.objects.get(pk=slot.pk).seats_taken == 1


def test_a_resubmit_with_other_details_still_finds_its_booking(client):
    slot = a_day(seats=3).slots.first()
    first = book(client, slot)
    # Another person's details under the same key: only the key's uniqueness stops it.
    second = book(client, slot, name="Jan Muster", email="jan@example.org")
    assert first["Location"] == second["Location"]
    assert Booking.objects.count() == 1
    assert Slot.objects.get(pk=slot.pk).seats_taken == 1


def without_csrf_token(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_confirmation_is_kept_by_the_booking_and_then_read_in_two_queries(
    client, django_assert_num_queries
):
    slot = a_day().slots.first()
    location = book(client, slot)["Location"]
    # The booking kept the page: the session and the key's narrow row, nothing else.
    with django_assert_num_queries(2):
        first = client.get(location).content.decode()
    with django_assert_num_queries(2):
        again = client.get(location).content.decode()
    assert again.count("/termin/") == first.count("/termin/") >= 1
    assert "Familie und Beruf" in again
    # Rendered afresh on a miss: the session, the narrow row, the booking with its day
    # and venue, its topics; and the same page as the one the booking kept.
    cache.clear()
    with django_assert_num_queries(4):
        fresh = client.get(location).content.decode()
    assert without_csrf_token(fresh) == without_csrf_token(first)


@pytest.mark.parametrize("language", ["de", "ar", "uk"])
def test_the_kept_confirmation_is_the_page_rendered_afresh(client, settings, language):
    """In every language, with the needs and the topics a client gave: the page the
    booking keeps is byte for byte the one the confirmation view renders."""
    slot = a_day().slots.first()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    location = book(client, slot, need_step_free="on", need_child="on")["Location"]
    kept_page = client.get(location).content.decode()
    cache.clear()
    fresh = client.get(location).content.decode()
    assert without_csrf_token(kept_page) == without_csrf_token(fresh)
    assert Booking.objects.get().reference in fresh


def test_a_cached_confirmation_never_carries_another_visitors_link(client):
    slot = a_day().slots.first()
    location = book(client, slot)["Location"]
    link = client.get(location).content.decode().split("/termin/")[1].split("/")[0]
    thief = Client()
    thief.cookies["sessionid"] = client.cookies["sessionid"].value
    body = thief.get(location).content.decode()
    assert Booking.objects.get().reference in body  # the cached page
    assert "/termin/" not in body and link not in body
    assert link in client.get(location).content.decode()


def test_a_changed_booking_shows_at_once(client):
    slot = a_day().slots.first()
    location = book(client, slot)["Location"]
    assert "Zugang ohne Stufen" not in client.get(location).content.decode()
    Booking.objects.update(need_step_free=True, updated_at=timezone.now())
    assert "Zugang ohne Stufen" in client.get(location).content.decode()


def test_each_language_gets_its_own_page(client):
    slot = a_day().slots.first()
    location = book(client, slot)["Location"]
    assert "Ihr Termin ist gebucht" in client.get(location).content.decode()
    english = client.get(location, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ihr Termin ist gebucht" not in english


def test_the_confirmation_renders_while_the_cache_is_down(client, settings, caplog):
    slot = a_day().slots.first()
    location = book(client, slot)["Location"]
    settings.CACHES = {
        "default": {
            "BACKEND": "joblokal.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    caplog.set_level(logging.WARNING)
    response = client.get(location)
    assert response.status_code == 200
    assert Booking.objects.get().reference in response.content.decode()
    assert "/termin/" in response.content.decode()


def test_a_booking_on_the_day_keeps_the_other_slots_form_page(client, django_assert_num_queries):
    first, second = a_day(seats=2).slots.all()[:2]
    client.get(f"/buchen/{second.pk}/")  # fills the cache
    book(Client(), first)  # raises the day's version
    # Still one query: the page shows no seat counts, so a booking does not renew it.
    with django_assert_num_queries(1):
        body = Client().get(f"/buchen/{second.pk}/").content.decode()
    assert 'name="submission_key"' in body


def test_a_slot_moved_to_another_time_shows_its_new_time(client):
    slot = a_day().slots.order_by("starts_at").last()
    assert "11:30" in client.get(f"/buchen/{slot.pk}/").content.decode()
    shift = timedelta(hours=2)
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=slot.starts_at + shift, ends_at=slot.ends_at + shift
    )
    body = client.get(f"/buchen/{slot.pk}/").content.decode()
    assert "13:30" in body and "11:30" not in body


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_new_session_is_one_statement(client):
    slot = a_day().slots.first()
    with CaptureQueriesContext(connection) as queries:
        assert book(client, slot).status_code == 302
    assert session_statements(queries.captured_queries) == ["INSERT"]
    # No transaction of its own around the session's INSERT: no BEGIN before, no COMMIT
    # after (the mail sent on commit in tests runs before it).
    sqls = [q["sql"] for q in queries.captured_queries]
    at = next(n for n, sql in enumerate(sqls) if "django_session" in sql)
    assert sqls[at - 1].split()[0] not in ("BEGIN", "SAVEPOINT")
    assert at + 1 == len(sqls) or sqls[at + 1].split()[0] not in ("COMMIT", "RELEASE")
    assert Session.objects.get().session_key == client.cookies["sessionid"].value
    assert "/termin/" in client.get(book(client, slot)["Location"]).content.decode()


def test_a_logged_in_visitor_gets_a_confirmation_of_their_own(client):
    slot = a_day().slots.first()
    client.force_login(factories.coach().user)
    location = book(client, slot)["Location"]
    body = client.get(location).content.decode()
    assert Booking.objects.get().reference in body and "/termin/" in body
    assert "Abmelden" in body  # the staff menu: not the shared page


def test_the_form_pages_plain_sql_agrees_with_the_booking_rule():
    day = a_day(seats=1)
    free, full = day.slots.order_by("starts_at")[:2]
    factories.booking(full)
    other = a_day()
    other.coaches.clear()  # no coaches: the aggregate is empty
    draft = factories.day(status=DayStatus.DRAFT).slots.first()
    now = timezone.now()
    cases = [(s, now) for s in (free, full, draft, other.slots.first())]
    cases += [(free, free.starts_at - timedelta(minutes=1))]  # too late to book
    cases += [(free, free.starts_at - timedelta(days=400))]  # not open yet
    for slot, at in cases:
        rule = Slot.objects.bookable(at).filter(pk=slot.pk)
        orm = rule.annotate(coach_ids=booking_page._coach_ids())
        expected = orm.values_list("starts_at", "ends_at", "day__site_id", "coach_ids").first()
        assert booking_page._stamp_row_sql(slot.pk, at) == expected, (slot, at)
    assert booking_page._stamp_row_sql(free.pk, now) is not None


def test_a_booking_succeeds_even_if_its_confirmation_cannot_be_kept_ahead(
    client, monkeypatch, caplog
):
    """The page is kept after the booking committed: a failure there is logged, the
    client still gets the success, and the first view renders the page itself."""

    def broken(*args, **kwargs):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(confirmation_page, "_render_page", broken)
    slot = a_day().slots.first()
    response = book(client, slot)
    assert response.status_code == 302
    assert Booking.objects.count() == 1
    assert "Confirmation page not kept ahead (RuntimeError)" in caplog.text
    monkeypatch.undo()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert Booking.objects.get().reference in page.content.decode()
