from datetime import time

import pytest

from appointments.models import Booking, DayStatus, Slot
from tests import factories

pytestmark = pytest.mark.django_db


def wathlingen_day(**fields):
    site = factories.site(
        factories.municipality("Wathlingen"),
        name="Rathaus Wathlingen",
        address="Am Markt 4, 29339 Wathlingen",
        room="Ratssaal, 1. Stock",
        directions="Bus 12 bis Rathaus.",
        step_free=True,
        accessibility_notes="Aufzug links vom Eingang.",
    )
    women = factories.specialism("Familie und Beruf")
    women.description = "Für Frauen, die Familie und Arbeit verbinden."
    women.save()
    anna = factories.coach("Anna", specialisms=[women])
    return factories.day(site, coaches=[anna], **fields)


def test_it_shows_the_venue_and_how_to_get_there(client):
    day = wathlingen_day()
    body = client.get(f"/tag/{day.pk}/").content.decode()
    for text in [
        "Rathaus Wathlingen",
        "Ratssaal, 1. Stock",
        "Am Markt 4, 29339 Wathlingen",
        "Bus 12 bis Rathaus.",
        "Der Raum ist ohne Stufen erreichbar.",
        "Aufzug links vom Eingang.",
    ]:
        assert text in body


def test_it_explains_each_specialism_present_in_one_sentence(client):
    day = wathlingen_day()
    body = client.get(f"/tag/{day.pk}/").content.decode()
    assert (
        "<dt>Familie und Beruf</dt><dd>Für Frauen, die Familie und Arbeit verbinden.</dd>" in body
    )


def test_it_marks_slots_free_or_taken(client):
    day = wathlingen_day()
    taken = day.slots.order_by("starts_at").first()
    factories.booking(taken)
    body = client.get(f"/tag/{day.pk}/").content.decode()
    assert body.count("slot-free") == 5
    assert body.count("slot-taken") == 1
    assert f'href="/buchen/{taken.pk}/"' not in body
    assert "belegt" in body


def test_the_time_filter_works_without_javascript(client):
    day = wathlingen_day()
    body = client.get(f"/tag/{day.pk}/", {"von": "10:00", "bis": "11:00"}).content.decode()
    assert body.count('class="slot ') == 2
    assert "10:00–10:30 Uhr" in body and "10:30–11:00 Uhr" in body
    assert "09:30–10:00 Uhr" not in body


@pytest.mark.parametrize(
    "query",
    [{"von": "25:99"}, {"von": "11:00", "bis": "10:00"}, {"bis": "x" * 5000}, {"von": "\x00"}],
)
def test_a_bad_time_filter_gets_a_message_not_an_error(client, query):
    day = wathlingen_day()
    response = client.get(f"/tag/{day.pk}/", query)
    assert response.status_code == 200
    body = response.content.decode()
    assert "is-invalid" in body or "alert-danger" in body
    assert body.count('class="slot ') == 6  # the unfiltered list


def test_a_full_day_offers_its_waiting_list(client):
    day = wathlingen_day(end=time(9, 30))
    factories.booking(day.slots.get())
    body = client.get(f"/tag/{day.pk}/").content.decode()
    assert "Dieser Tag ist ausgebucht." in body
    assert f'href="/tag/{day.pk}/warteliste/"' in body


def test_a_draft_day_is_not_found(client):
    day = wathlingen_day(status=DayStatus.DRAFT)
    assert client.get(f"/tag/{day.pk}/").status_code == 404


def test_a_cancelled_day_says_so_and_offers_nothing(client):
    day = wathlingen_day(status=DayStatus.CANCELLED)
    body = client.get(f"/tag/{day.pk}/").content.decode()
    assert "Dieser Beratungstag fällt aus." in body
    assert "/buchen/" not in body and "warteliste" not in body


def test_slots_too_close_to_their_start_cannot_be_booked(client, settings):
    settings.BOOKING_CLOSES_HOURS = 24 * 30
    day = wathlingen_day()
    body = client.get(f"/tag/{day.pk}/").content.decode()
    assert "/buchen/" not in body
    assert body.count("nicht buchbar") == 6


def test_it_speaks_english(client):
    day = wathlingen_day()
    body = client.get(f"/tag/{day.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The room can be reached without steps." in body
    assert 'lang="en"' in body


def bulk_book(day, count):
    """Bookings written in bulk, spread over the day's slots; the page reads counters."""
    slots = list(day.slots.order_by("starts_at"))
    bookings = [
        Booking(slot=slots[n % len(slots)], day=day, reference=f"D{n:07d}", name=f"K {n}")
        for n in range(count)
    ]
    Booking.objects.bulk_create(bookings)
    for slot in slots:
        Slot.objects.filter(pk=slot.pk).update(seats_taken=slot.bookings.count())


def test_its_query_count_stays_the_same_for_0_or_500_bookings(client, django_assert_num_queries):
    coach = factories.coach(specialisms=[factories.specialism(), factories.specialism()])
    day = factories.day(start=time(7), end=time(19), seats=25, coaches=[coach])
    url = f"/tag/{day.pk}/"
    with django_assert_num_queries(5) as empty:
        client.get(url)
    bulk_book(day, 500)
    with django_assert_num_queries(len(empty.captured_queries)):
        response = client.get(url, {"von": "08:00"})
    assert response.content.decode().count('class="slot ') == 22
