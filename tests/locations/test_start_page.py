from datetime import time, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from appointments.models import Booking, DayStatus, Slot
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_lists_each_municipality_with_its_next_published_days(client):
    wathlingen = factories.site(factories.municipality("Wathlingen"), name="Rathaus Wathlingen")
    factories.day(wathlingen, on=factories.future_date(20))
    factories.day(wathlingen, on=factories.future_date(5))
    factories.day(wathlingen, on=factories.future_date(2), status=DayStatus.DRAFT)
    factories.day(wathlingen, on=factories.future_date(3), status=DayStatus.CANCELLED)
    factories.municipality("Bergen")

    body = client.get("/").content.decode()

    assert "Wathlingen" in body and "Bergen" in body
    today = timezone.localdate()
    assert f'datetime="{today + timedelta(days=5):%Y-%m-%d}"' in body
    assert f'datetime="{today + timedelta(days=20):%Y-%m-%d}"' in body
    assert f'datetime="{today + timedelta(days=2):%Y-%m-%d}"' not in body
    assert f'datetime="{today + timedelta(days=3):%Y-%m-%d}"' not in body
    assert "Zurzeit ist kein Beratungstag geplant." in body


def test_it_shows_venue_specialisms_and_free_slots_of_a_day(client):
    women = factories.specialism("Familie und Beruf")
    health = factories.specialism("Gesundheit")
    anna = factories.coach("Anna", specialisms=[women])
    bernd = factories.coach("Bernd", specialisms=[women, health])
    day = factories.day(factories.site(name="Rathaus Hambühren"), coaches=[anna, bernd], seats=1)
    factories.booking(day.slots.first())

    body = client.get("/").content.decode()

    assert "Rathaus Hambühren" in body
    assert "Familie und Beruf, Gesundheit" in body
    assert "5 Termine frei" in body
    assert f'href="/tag/{day.pk}/"' in body


def test_it_says_when_a_day_is_full(client):
    day = factories.day(end=time(9, 30))
    factories.booking(day.slots.get())
    assert "Zurzeit kein Termin frei" in client.get("/").content.decode()


def test_it_shows_at_most_three_days_per_municipality(client):
    site = factories.site()
    for offset in range(1, 6):
        factories.day(site, on=factories.future_date(offset))
    body = client.get("/").content.decode()
    assert body.count('class="day-item"') == 3


def test_it_speaks_english_to_english_readers(client):
    factories.day()
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "6 slots free" in body


def test_it_leaves_out_inactive_municipalities(client):
    factories.day(factories.site(factories.municipality("Geisterdorf", active=False)))
    assert "Geisterdorf" not in client.get("/").content.decode()


def fill_with_bookings(count):
    """Bookings written in bulk: how they were made does not matter to a read page."""
    slots = list(Slot.objects.filter(seats_taken__lt=1).order_by("starts_at")[:count])
    assert len(slots) == count
    Booking.objects.bulk_create(
        Booking(slot=s, day_id=s.day_id, reference=f"Q{n:07d}", name=f"Kundin {n}")
        for n, s in enumerate(slots)
    )
    Slot.objects.filter(pk__in=[s.pk for s in slots]).update(seats_taken=1)


def test_its_query_count_stays_the_same_for_1_or_50_days_and_0_or_500_bookings(
    client, django_assert_num_queries
):
    specialisms = [factories.specialism() for _ in range(3)]
    coaches = [factories.coach(specialisms=specialisms[i:]) for i in range(3)]
    factories.day(coaches=coaches)
    # Both visits with an empty cache: the newest change of any day, the municipalities
    # (counted, then listed), the days, the Landkreise, coaches and specialisms, and the
    # slots' next booking-window moments, which end the stored page.
    with django_assert_num_queries(8) as one_day:
        client.get("/")

    for n in range(49):
        # Twelve slots a day, so 500 bookings still leave seats free.
        factories.day(
            factories.site(),
            on=factories.future_date(2 + n % 20),
            start=time(8),
            end=time(14),
            coaches=[factories.coach(specialisms=specialisms)],
        )
    fill_with_bookings(500)
    cache.clear()
    with django_assert_num_queries(len(one_day.captured_queries)):
        response = client.get("/")
    # One page of municipalities, each with its day.
    assert response.content.decode().count('class="day-item"') == 24


def test_it_pages_through_many_municipalities(client):
    for n in range(30):
        factories.municipality(f"Ort {n:02d}")
    first = client.get("/").content.decode()
    second = client.get("/?seite=2").content.decode()
    assert first.count('class="card h-100 card-municipality"') == 24
    assert second.count('class="card h-100 card-municipality"') == 6
    assert "Seite 2 von 2" in second
    assert client.get("/?seite=999").status_code == 200


def test_it_finds_a_municipality_by_name_or_district(client):
    factories.municipality("Wathlingen", district="Landkreis Celle")
    factories.municipality("Wolfsburg", district="Stadt Wolfsburg")
    by_name = client.get("/?q=wath").content.decode()
    assert ">Wathlingen</h3>" in by_name and ">Wolfsburg</h3>" not in by_name
    by_district = client.get("/?landkreis=Stadt+Wolfsburg").content.decode()
    assert ">Wolfsburg</h3>" in by_district and ">Wathlingen</h3>" not in by_district
    assert "Keine Gemeinde gefunden" in client.get("/?q=Atlantis").content.decode()


@pytest.mark.parametrize("query", ["q=" + "x" * 500, "landkreis=Atlantis", "seite=-1", "seite=x"])
def test_nonsense_search_input_still_shows_the_page(client, query):
    factories.municipality("Wathlingen")
    assert client.get("/?" + query).status_code == 200
