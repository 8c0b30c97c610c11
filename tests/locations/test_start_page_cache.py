"""The start page's cards come from the cache while their days are unchanged, and show a
booking, a new coach or a published day at once."""

import pytest

from appointments import services
from appointments.models import DayStatus
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_second_visit_reads_no_coaches_or_specialisms(client, django_assert_num_queries):
    coach = factories.coach(specialisms=[factories.specialism("Familie und Beruf")])
    factories.day(coaches=[coach])
    client.get("/")
    # The municipalities (counted, then listed), the days with their free counts; the
    # Landkreise come from the cache, the coaches and their specialisms are read only for
    # a card rendered anew.
    with django_assert_num_queries(3):
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
