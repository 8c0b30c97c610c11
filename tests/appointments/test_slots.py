from datetime import date, time, timedelta

import pytest

from appointments.models import local_datetime
from appointments.services import build_slots, slot_times
from tests import factories


def test_it_fills_a_morning_with_half_hour_slots():
    on = date(2026, 3, 10)
    times = slot_times(
        starts_at=local_datetime(on, time(9)), ends_at=local_datetime(on, time(12)), minutes=30
    )
    assert len(times) == 6
    assert times[0][0] == local_datetime(on, time(9))
    assert times[-1][1] == local_datetime(on, time(12))


def test_it_drops_a_remainder_shorter_than_one_slot():
    on = date(2026, 3, 10)
    times = slot_times(
        starts_at=local_datetime(on, time(9)), ends_at=local_datetime(on, time(10, 50)), minutes=30
    )
    assert [end - start for start, end in times] == [timedelta(minutes=30)] * 3


def test_slots_on_the_night_clocks_go_back_keep_their_length():
    on = date(2026, 10, 25)  # Central European Summer Time ends at 03:00.
    times = slot_times(
        starts_at=local_datetime(on, time(1)), ends_at=local_datetime(on, time(4)), minutes=60
    )
    # Four real hours pass between 01:00 CEST and 04:00 CET.
    assert len(times) == 4
    assert all(end - start == timedelta(hours=1) for start, end in times)


@pytest.mark.django_db
def test_building_slots_again_never_duplicates():
    day = factories.day()
    assert day.slots.count() == 6
    assert build_slots(day=day) == []
    assert day.slots.count() == 6


@pytest.mark.django_db
def test_a_day_gets_its_team_as_coaches():
    anna, bernd = factories.coach("Anna"), factories.coach("Bernd")
    day = factories.day(team_=factories.team(anna, bernd))
    assert set(day.coaches.all()) == {anna, bernd}
