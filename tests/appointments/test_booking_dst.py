"""Invariant 6: the last Sunday of October (clocks go back at 03:00) keeps local times."""

from datetime import UTC, date, datetime, time

import pytest

from appointments.models import Booking
from tests import factories
from tests.appointments.test_booking_form import form_data

pytestmark = pytest.mark.django_db

CLOCKS_GO_BACK = date(2027, 10, 31)
SUMMER_SUNDAY = date(2027, 10, 24)


@pytest.fixture(autouse=True)
def open_a_year_ahead(settings):
    settings.BOOKING_OPENS_DAYS = 400


def test_the_day_page_shows_local_wall_clock_times_on_both_sides_of_the_change(client):
    site = factories.site()
    winter = factories.day(site, on=CLOCKS_GO_BACK, start=time(9), end=time(12))
    summer = factories.day(site, on=SUMMER_SUNDAY, start=time(9), end=time(12))

    assert winter.slots.order_by("starts_at").first().starts_at == datetime(
        2027, 10, 31, 8, tzinfo=UTC
    )
    assert summer.slots.order_by("starts_at").first().starts_at == datetime(
        2027, 10, 24, 7, tzinfo=UTC
    )
    for day in (winter, summer):
        body = client.get(f"/tag/{day.pk}/").content.decode()
        assert "09:00–09:30 Uhr" in body and "11:30–12:00 Uhr" in body
        assert "08:00–08:30" not in body and "10:00–10:30 Uhr" in body


def test_a_booking_on_that_day_confirms_the_local_time_and_exports_utc(client):
    day = factories.day(on=CLOCKS_GO_BACK, start=time(9), end=time(12))
    slot = day.slots.order_by("starts_at").first()

    response = client.post(f"/buchen/{slot.pk}/", form_data(day))

    booking = Booking.objects.get()
    assert booking.slot.starts_at == datetime(2027, 10, 31, 8, tzinfo=UTC)
    page = client.get(response["Location"]).content.decode()
    assert "09:00–09:30 Uhr" in page
    assert 'datetime="2027-10-31T09:00:00+01:00"' in page
    token = page.split("/termin/")[1].split("/")[0]
    ics = client.get(f"/termin/{token}/termin.ics").content.decode()
    assert "DTSTART:20271031T080000Z" in ics and "DTEND:20271031T083000Z" in ics


def test_the_time_filter_uses_local_times_on_that_day(client):
    day = factories.day(on=CLOCKS_GO_BACK, start=time(9), end=time(12))
    body = client.get(f"/tag/{day.pk}/", {"von": "10:00", "bis": "11:00"}).content.decode()
    assert body.count('class="slot ') == 2
    assert "10:00–10:30 Uhr" in body and "10:30–11:00 Uhr" in body


def test_a_night_across_the_change_lists_four_real_hours(client):
    day = factories.day(on=CLOCKS_GO_BACK, start=time(1), end=time(4), slot_minutes=60)
    body = client.get(f"/tag/{day.pk}/").content.decode()
    # 02:00 happens twice: once in summer time (+02:00), once in winter time (+01:00).
    assert body.count('class="slot ') == 4
    assert 'datetime="2027-10-31T02:00:00+02:00"' in body
    assert 'datetime="2027-10-31T02:00:00+01:00"' in body
