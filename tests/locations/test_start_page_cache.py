"""The start page comes from the cache while no day changed, and shows a booking, a new
coach, a published, cancelled or edited day, and what the clock changes at once."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from appointments import services
from appointments.models import DayStatus, OutreachDay
from joblokal import cache as kept
from locations import start_page
from tests import factories

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def test_a_second_visit_is_served_from_the_cache_in_one_query(client, django_assert_num_queries):
    coach = factories.coach(specialisms=[factories.specialism("Familie und Beruf")])
    factories.day(coaches=[coach])
    client.get("/")
    # Only the newest change of any day: the whole page comes from the cache.
    with django_assert_num_queries(1):
        body = client.get("/").content.decode()
    assert "Familie und Beruf" in body


def test_a_booking_changes_the_free_count_at_once(client):
    day = factories.day()
    assert "6 Termine frei" in client.get("/").content.decode()
    factories.booking(day.slots.first())
    assert "5 Termine frei" in client.get("/").content.decode()


def test_a_new_coach_and_a_published_day_show_at_once(client):
    day = factories.day()
    client.get("/")
    coach = factories.coach(specialisms=[factories.specialism("Gesundheit")])
    services.assign_coaches(day=day, coaches=[coach])
    assert "Gesundheit" in client.get("/").content.decode()
    draft = factories.day(day.site, on=factories.future_date(14), status=DayStatus.DRAFT)
    before = client.get("/").content.decode().count('class="day-item"')
    services.publish_day(day=draft)
    assert client.get("/").content.decode().count('class="day-item"') == before + 1


def test_cards_are_cached_per_language(client):
    factories.day()
    assert "Termine frei" in client.get("/").content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Termine frei" not in english


def test_the_landkreis_select_keeps_the_choice(client):
    factories.day()
    factories.day(factories.site(factories.municipality("Peine", district="Peine")))
    factories.municipality("Goslar", district="Goslar")  # no days: still listed
    body = client.get("/", {"landkreis": "Peine"}).content.decode()
    assert '<option value="Peine" selected>Peine</option>' in body
    assert '<option value="Landkreis Celle">Landkreis Celle</option>' in body
    assert body.count(" selected>") == 1


# --- The whole page is kept; every change a card shows is a new key ------------------


def day_items(client, **query) -> int:
    return client.get("/", query).content.decode().count('class="day-item"')


def test_booking_the_last_seat_shows_at_once(client):
    day = factories.day(start=time(9), end=time(9, 30))
    assert "1 Termin frei" in client.get("/").content.decode()
    factories.booking(day.slots.get())
    body = client.get("/").content.decode()
    assert "Zurzeit kein Termin frei" in body and "1 Termin frei" not in body


def test_a_cancellation_gives_the_seat_back_at_once(client):
    day = factories.day(start=time(9), end=time(9, 30))
    booking, _token = factories.booking(day.slots.get())
    assert "Zurzeit kein Termin frei" in client.get("/").content.decode()
    services.cancel_booking(booking=booking)
    assert "1 Termin frei" in client.get("/").content.decode()


def test_publishing_and_cancelling_a_day_show_at_once(client):
    draft = factories.day(status=DayStatus.DRAFT)
    assert day_items(client) == 0
    services.publish_day(day=draft)
    assert day_items(client) == 1
    services.cancel_day(day=draft, reason="Krankheit im Team")
    assert day_items(client) == 0


def test_editing_a_days_time_shows_at_once(client):
    day = factories.day(start=time(9), end=time(12))
    assert "09:00–12:00 Uhr" in client.get("/").content.decode()
    services.change_day(
        day=day, on=day.date, start=time(10), end=time(12), seats_per_slot=1, coaches=[]
    )
    body = client.get("/").content.decode()
    assert "10:00–12:00 Uhr" in body and "09:00–12:00" not in body


def test_a_day_created_as_published_shows_at_once(client):
    """A day written with save() (a planned series, the admin) stamps changed_at too."""
    site = factories.site()
    factories.day(site, on=factories.future_date(3))
    assert day_items(client) == 1
    factories.day(site, on=factories.future_date(10))
    assert day_items(client) == 2


def at(monkeypatch, moment):
    """The clock at `moment`, with every day's last change long before it (and the same
    at every call, so the key stays the same)."""
    OutreachDay.objects.update(changed_at=LONG_AGO)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_a_day_that_has_passed_leaves_the_page(client, monkeypatch):
    site = factories.site()
    first = factories.day(site, on=factories.future_date(3))
    factories.day(site, on=factories.future_date(10))
    at(monkeypatch, first.ends_at - timedelta(minutes=2))
    assert day_items(client) == 2
    at(monkeypatch, first.ends_at + timedelta(minutes=1))
    assert day_items(client) == 1


def test_a_slot_closing_for_booking_changes_the_free_count(client, monkeypatch, settings):
    day = factories.day(start=time(9), end=time(10))
    first = day.slots.order_by("starts_at").first()
    closing = first.starts_at - timedelta(hours=settings.BOOKING_CLOSES_HOURS)
    at(monkeypatch, closing - timedelta(minutes=2))
    assert "2 Termine frei" in client.get("/").content.decode()
    at(monkeypatch, closing + timedelta(minutes=1))
    assert "1 Termin frei" in client.get("/").content.decode()


def test_booking_opening_for_a_day_shows_without_any_change(client, monkeypatch, settings):
    later = settings.BOOKING_OPENS_DAYS + 5
    day = factories.day(on=factories.future_date(later), start=time(9), end=time(10))
    at(monkeypatch, day.booking_opens_at - timedelta(minutes=2))
    assert "Buchbar ab" in client.get("/").content.decode()
    at(monkeypatch, day.booking_opens_at + timedelta(minutes=1))
    body = client.get("/").content.decode()
    assert "1 Termin frei" in body and "Buchbar ab" not in body


def test_a_page_rendered_just_after_a_change_is_kept_only_briefly():
    """changed_at is stamped before its transaction commits: a page rendered in between
    must not outlive that commit under the same marker."""
    now = timezone.now()
    until = start_page.valid_until([], now=now, marker=now - timedelta(seconds=1))
    assert until <= now + start_page.SETTLE
    settled = start_page.valid_until([], now=now, marker=now - timedelta(hours=1))
    assert settled == now + start_page.MAX_AGE


def test_each_visitor_gets_their_own_csrf_token(client):
    factories.day()
    first = Client(enforce_csrf_checks=True)
    second = Client(enforce_csrf_checks=True)
    tokens = [csrf_token(c.get("/").content.decode()) for c in (first, second)]
    assert tokens[0] != tokens[1]
    assert kept.CSRF_MARK not in "".join(tokens)
    # The token on the shared page works: the language switch changes the language.
    response = first.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302


def test_a_logged_in_coach_gets_their_menu_and_nobody_else_does(client):
    factories.day()
    coach = factories.coach()
    staff = Client()
    staff.force_login(coach.user)
    assert "Abmelden" in staff.get("/").content.decode()
    assert "Abmelden" not in client.get("/").content.decode()


def test_searches_and_pages_are_cached_apart(client):
    factories.day(factories.site(factories.municipality("Wathlingen")))
    factories.day(factories.site(factories.municipality("Bergen")))
    assert "Bergen" not in client.get("/", {"q": "Wathlingen"}).content.decode()
    assert "Wathlingen" not in client.get("/", {"q": "Bergen"}).content.decode()
    assert "Wathlingen" in client.get("/").content.decode()


def test_a_query_string_beyond_the_search_is_rendered_but_not_stored(client):
    factories.day()
    request = RequestFactory().get("/", {"q": "Celle", "utm_source": "poster"})
    assert start_page.cache_key(request, language="de", marker=timezone.now()) is None
    assert client.get("/", {"utm_source": "poster"}).status_code == 200
    doubled = RequestFactory().get("/?q=a&q=b")
    assert start_page.cache_key(doubled, language="de", marker=None) is None


def csrf_token(body: str) -> str:
    marker = 'name="csrfmiddlewaretoken" value="'
    start = body.index(marker) + len(marker)
    return body[start : body.index('"', start)]
