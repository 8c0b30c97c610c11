from datetime import time, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from appointments.models import DayStatus
from appointments.services import cancel_booking
from tests import factories
from tests.personas import book


def test_it_shows_every_slot_in_time_order_with_the_booking_details(world, as_persona):
    body = as_persona("alice").get("/team/").content.decode()

    times = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    positions = [body.index(f">{t}</time>") for t in times]
    assert positions == sorted(positions)
    assert body.count('<p class="free">frei</p>') == 5
    for text in [
        "Maria Schulz",
        "Familie und Beruf",
        "braucht stufenlosen Zugang",
        "bringt ein Kind mit",
        "braucht Dolmetschen: Ukrainisch",
        "Ich kann erst ab 9 Uhr.",
        "gebucht",
    ]:
        assert text in body
    # The needs are icons with text; the icons are inline SVG, not from a CDN.
    assert body.count('class="need-icon"') == 3
    assert "Olaf Otto" not in body


def test_it_leaves_out_cancelled_bookings_and_shows_their_seat_free(world, as_persona):
    cancel_booking(booking=world.booking, reason="krank", now=timezone.now() - timedelta(days=1))
    body = as_persona("alice").get("/team/").content.decode()
    assert "Maria Schulz" not in body
    assert body.count('<p class="free">frei</p>') == 6


def test_it_says_so_when_the_coach_has_no_day_on_the_date(world, as_persona):
    tomorrow = world.day.date + timedelta(days=1)
    response = as_persona("alice").get(f"/team/?date={tomorrow:%Y-%m-%d}")
    assert response.status_code == 200
    assert "An diesem Tag haben Sie keinen Beratungstag." in response.content.decode()


def test_it_links_to_the_previous_and_next_day_the_coach_serves(world, as_persona):
    site = world.day.site
    earlier = factories.day(site, on=world.day.date - timedelta(days=30), coaches=[world.alice])
    later = factories.day(site, on=world.day.date + timedelta(days=14), coaches=[world.alice])
    factories.day(site, on=world.day.date + timedelta(days=7), coaches=[world.bob])
    cancelled = factories.day(site, on=world.day.date + timedelta(days=3), coaches=[world.alice])
    cancelled.status = DayStatus.CANCELLED
    cancelled.save(update_fields=["status"])

    body = as_persona("alice").get("/team/").content.decode()

    assert f'href="?date={earlier.date:%Y-%m-%d}" rel="prev"' in body
    assert f'href="?date={later.date:%Y-%m-%d}" rel="next"' in body


def test_the_week_overview_counts_the_bookings_of_each_day(world, as_persona):
    slots = list(world.day.slots.order_by("starts_at"))
    book(slots[2], name="Jan Peters")
    body = as_persona("alice").get("/team/").content.decode()
    assert '<span class="week-count">2 Termine</span>' in body
    assert body.count("kein Beratungstag") == 6


def test_the_date_picker_is_a_plain_get_form(world, as_persona):
    body = as_persona("alice").get("/team/").content.decode()
    assert '<form method="get" class="day-picker"' in body
    assert f'type="date" name="date" value="{world.day.date:%Y-%m-%d}"' in body


@pytest.mark.parametrize(
    "value", ["99999-01-01", "garbage", "2026-02-30", "0001-01-01", "1999-12-31", "2100-01-01", ""]
)
def test_a_bad_date_gets_a_clear_message_and_today(world, as_persona, value):
    response = as_persona("alice").get("/team/", {"date": value})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Wir zeigen den heutigen Tag." in body
    assert "Maria Schulz" in body  # today's schedule, as promised


def test_a_bad_date_gets_an_english_message_for_english_readers(world, as_persona):
    response = as_persona("alice").get("/team/?date=garbage", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "We are showing today." in response.content.decode()


def test_an_administrator_sees_every_day_on_the_date(world, as_persona):
    body = as_persona("admin").get("/team/").content.decode()
    assert "Maria Schulz" in body
    assert "Olaf Otto" in body


def test_a_walk_in_extra_is_marked_as_extra(world, as_persona):
    from appointments.services import add_walk_in

    add_walk_in(
        slot=world.booking.slot,
        client=factories.client_details(name="Ella Extra", email=""),
        user=world.alice.user,
    )
    body = as_persona("alice").get("/team/").content.decode()
    assert "Ella Extra" in body
    assert "ohne Termin gekommen, zusätzlich" in body


@pytest.mark.parametrize("bookings", [3, 60])
def test_the_day_view_query_count_does_not_grow_with_bookings(
    db, client, django_assert_num_queries, bookings
):
    coach = factories.coach("Dora Dietz", "dora")
    topics = [factories.specialism(), factories.specialism()]
    day = factories.day(
        on=timezone.localdate(), start=time(9), end=time(12), seats=10, coaches=[coach]
    )
    slots = list(day.slots.order_by("starts_at"))
    for n in range(bookings):
        book(slots[n % len(slots)], topics=topics, need_child=n % 2 == 0)
    client.force_login(coach.user)

    # session, user, and one statement for the coach, the week's days with previous/next,
    # any open calls and the audit insert; the first view also renders the schedule: day,
    # slots, bookings, topics, outcomes, coaches present. Later views read the rendered
    # schedule from the cache.
    with django_assert_num_queries(9):
        response = client.get("/team/")
    with django_assert_num_queries(3):
        again = client.get("/team/")

    assert response.status_code == 200
    assert response.content.decode().count('class="booking card"') == bookings
    assert again.content.decode().count('class="booking card"') == bookings


@given(value=st.text(max_size=40))
@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_no_date_value_ever_breaks_the_day_view(world, as_persona, value):
    response = as_persona("alice").get("/team/", {"date": value})
    assert response.status_code in (200, 400)
