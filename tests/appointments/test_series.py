"""Series rules: which dates a rule yields, which holidays it skips, and generation."""

from datetime import UTC, date, datetime, time

import pytest
from django.utils import timezone

from appointments.models import DayStatus, OutreachDay, OutreachSeries, Recurrence
from appointments.services import generate_days, series_dates
from tests import factories


def monthly(week, weekday, start, end):
    return series_dates(
        recurrence=Recurrence.MONTHLY,
        week_of_month=week,
        weekday=weekday,
        starts_on=start,
        ends_on=end,
    )


def weekly(weekday, start, end, every=1):
    return series_dates(
        recurrence=Recurrence.WEEKLY,
        weekday=weekday,
        interval_weeks=every,
        starts_on=start,
        ends_on=end,
    )


def test_second_tuesday_over_a_year():
    result = monthly(2, 1, date(2027, 1, 1), date(2027, 12, 31))
    assert result.dates == [
        date(2027, 1, 12),
        date(2027, 2, 9),
        date(2027, 3, 9),
        date(2027, 4, 13),
        date(2027, 5, 11),
        date(2027, 6, 8),
        date(2027, 7, 13),
        date(2027, 8, 10),
        date(2027, 9, 14),
        date(2027, 10, 12),
        date(2027, 11, 9),
        date(2027, 12, 14),
    ]
    assert result.skipped == []


def test_last_friday_over_a_year_skips_good_friday():
    result = monthly(-1, 4, date(2027, 1, 1), date(2027, 12, 31))
    assert result.dates == [
        date(2027, 1, 29),
        date(2027, 2, 26),
        date(2027, 4, 30),
        date(2027, 5, 28),
        date(2027, 6, 25),
        date(2027, 7, 30),
        date(2027, 8, 27),
        date(2027, 9, 24),
        date(2027, 10, 29),
        date(2027, 11, 26),
        date(2027, 12, 31),
    ]
    assert result.skipped == [(date(2027, 3, 26), "Karfreitag")]


def test_every_three_weeks_counts_from_the_first_matching_weekday():
    result = weekly(2, date(2027, 1, 4), date(2027, 4, 30), every=3)
    assert result.dates == [
        date(2027, 1, 6),
        date(2027, 1, 27),
        date(2027, 2, 17),
        date(2027, 3, 10),
        date(2027, 3, 31),
        date(2027, 4, 21),
    ]


def test_the_range_is_inclusive_and_clips_the_first_month():
    # The 2nd Tuesday of January 2027 is the 12th: a range starting on the 13th skips it.
    result = monthly(2, 1, date(2027, 1, 13), date(2027, 2, 9))
    assert result.dates == [date(2027, 2, 9)]


def test_unity_day_and_reformation_day_are_skipped_in_lower_saxony():
    result = weekly(1, date(2028, 10, 1), date(2028, 10, 31))
    assert result.dates == [date(2028, 10, 10), date(2028, 10, 17), date(2028, 10, 24)]
    assert result.skipped == [
        (date(2028, 10, 3), "Tag der Deutschen Einheit"),
        (date(2028, 10, 31), "Reformationstag"),
    ]


def test_easter_monday_is_skipped():
    result = monthly(3, 0, date(2028, 4, 1), date(2028, 5, 31))
    assert result.dates == [date(2028, 5, 15)]
    assert result.skipped == [(date(2028, 4, 17), "Ostermontag")]


def test_holiday_names_follow_the_language():
    result = weekly(1, date(2028, 10, 1), date(2028, 10, 5))
    english = series_dates(
        recurrence=Recurrence.WEEKLY,
        weekday=1,
        starts_on=date(2028, 10, 1),
        ends_on=date(2028, 10, 5),
        language="en",
    )
    assert result.skipped[0][1] == "Tag der Deutschen Einheit"
    assert english.skipped[0][1] == "German Unity Day"


def make_series(**fields):
    site = fields.pop("site", None) or factories.site()
    fields.setdefault("team", factories.team())
    fields.setdefault("recurrence", Recurrence.MONTHLY)
    fields.setdefault("week_of_month", 2)
    fields.setdefault("weekday", 1)
    fields.setdefault("start_time", time(9))
    fields.setdefault("end_time", time(12))
    fields.setdefault("starts_on", date(2027, 1, 1))
    fields.setdefault("ends_on", date(2027, 12, 31))
    return OutreachSeries.objects.create(site=site, **fields)


@pytest.mark.django_db
def test_generation_creates_draft_days_with_slots_and_the_team():
    series = make_series(slot_minutes=30, seats_per_slot=2)
    result = generate_days(series=series)
    assert len(result.created) == 12
    day = OutreachDay.objects.get(date=date(2027, 5, 11))
    assert day.status == DayStatus.DRAFT
    assert day.series == series
    assert day.slots.count() == 6
    assert {s.capacity for s in day.slots.all()} == {2}
    assert set(day.coaches.all()) == set(series.team.members.all())


@pytest.mark.django_db
def test_running_generation_twice_never_duplicates_a_day():
    series = make_series()
    first = generate_days(series=series)
    second = generate_days(series=series)
    assert len(first.created) == 12
    assert second.created == []
    assert len(second.existing) == 12
    assert OutreachDay.objects.filter(series=series).count() == 12


@pytest.mark.django_db
def test_a_day_planned_by_hand_at_the_site_is_left_alone():
    series = make_series()
    by_hand = factories.day(series.site, on=date(2027, 3, 9), start=time(14), end=time(16))
    result = generate_days(series=series)
    assert date(2027, 3, 9) in result.existing
    by_hand.refresh_from_db()
    assert by_hand.series is None
    assert timezone.localtime(by_hand.starts_at).time() == time(14)


@pytest.mark.django_db
def test_local_times_stay_nine_to_twelve_across_daylight_saving_changes():
    # 2027: summer time starts on 28 March and ends on 31 October.
    series = make_series(
        recurrence=Recurrence.WEEKLY,
        week_of_month=None,
        weekday=3,
        starts_on=date(2027, 3, 20),
        ends_on=date(2027, 11, 6),
    )
    generate_days(series=series)
    winter = OutreachDay.objects.get(date=date(2027, 3, 25))
    summer = OutreachDay.objects.get(date=date(2027, 4, 1))
    autumn = OutreachDay.objects.get(date=date(2027, 11, 4))
    assert winter.starts_at == datetime(2027, 3, 25, 8, tzinfo=UTC)
    assert summer.starts_at == datetime(2027, 4, 1, 7, tzinfo=UTC)
    assert autumn.starts_at == datetime(2027, 11, 4, 8, tzinfo=UTC)
    for day in (winter, summer, autumn):
        local = [timezone.localtime(s.starts_at).strftime("%H:%M") for s in day.slots.all()]
        assert local == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
        assert timezone.localtime(day.ends_at).time() == time(12)


@pytest.mark.django_db
def test_a_day_on_the_night_of_the_change_has_its_full_slots():
    # The last Sunday of March 2027 is the changeover day itself.
    series = make_series(
        week_of_month=-1, weekday=6, starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 31)
    )
    generate_days(series=series)
    day = OutreachDay.objects.get(date=date(2027, 3, 28))
    assert [timezone.localtime(s.starts_at).strftime("%H:%M") for s in day.slots.all()] == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]


@pytest.mark.django_db
def test_generation_refuses_a_series_planned_too_far_ahead():
    """The series rules live in the domain, so generation applies them whatever called it
    (the admin form, a command, a script), not only the admin form."""
    from appointments.services import MAX_SERIES_DAYS, PlanningError

    series = make_series(starts_on=date(2027, 1, 1), ends_on=date(2030, 1, 1))
    assert (series.ends_on - series.starts_on).days > MAX_SERIES_DAYS
    with pytest.raises(PlanningError, match="zwei Jahre"):
        generate_days(series=series)
    assert not OutreachDay.objects.exists()


def test_the_series_rules_name_the_field_at_fault():
    from django.utils import translation

    from appointments.services import series_problems

    translation.activate("de")  # the messages are built in the active language

    problems = series_problems(
        recurrence=Recurrence.MONTHLY,
        week_of_month=None,
        start_time=time(12),
        end_time=time(9),
        slot_minutes=30,
        starts_on=date(2027, 2, 1),
        ends_on=date(2027, 1, 1),
    )
    assert set(problems) == {"week_of_month", "end_time", "ends_on"}
    assert series_problems(
        recurrence=Recurrence.WEEKLY,
        week_of_month=None,
        start_time=time(9),
        end_time=time(9, 20),
        slot_minutes=30,
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 2, 1),
    ) == {"slot_minutes": "Ein Termin ist länger als die ganze Zeit am Tag."}
