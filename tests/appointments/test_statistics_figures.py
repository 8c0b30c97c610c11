"""The statistics' stored day figures: the same figures as counting the bookings, kept
current by the day version that every counted change raises, rebuilt in a fixed number
of queries, and unchanged by the retention erasure."""

from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments import services, statistics
from appointments.models import DayFigures, OutcomeCode
from tests import factories
from tests.appointments.test_retention import old_and_new  # noqa: F401 - a fixture
from tests.appointments.test_statistics import add_more_days, fixture  # noqa: F401

pytestmark = pytest.mark.django_db

SPAN = {"start": date(2026, 9, 1), "end": date(2026, 11, 1)}


def as_tuples(report):
    return [
        (r.municipality, r.month, r.days_held, r.slots_offered, r.seats_offered, r.bookings)
        + (r.seats_used, r.attended, r.no_shows, r.cancellations, r.walk_ins, r.outcomes)
        for r in [*report.rows, report.total]
    ]


def test_the_stored_figures_equal_the_count_of_the_bookings(fixture):  # noqa: F811
    now = timezone.now()
    stored = statistics.collect(**SPAN, now=now)
    counted = statistics.collect_from_bookings(**SPAN, now=now)
    assert stored.rows  # the fixture has figures to compare
    assert as_tuples(stored) == as_tuples(counted)
    site = fixture["wathlingen"]
    assert as_tuples(statistics.collect(**SPAN, site=site, now=now)) == as_tuples(
        statistics.collect_from_bookings(**SPAN, site=site, now=now)
    )


def test_a_day_counts_as_held_once_its_end_has_passed_without_a_rebuild():
    day = factories.day(on=timezone.localdate() + timedelta(days=3))
    factories.booking(day.slots.first())
    span = {"start": day.date.replace(day=1), "end": day.date + timedelta(days=40)}
    assert statistics.collect(**span).total.days_held == 0
    later = day.ends_at + timedelta(minutes=1)
    with CaptureQueriesContext(connection) as queries:
        report = statistics.collect(**span, now=later)
    assert report.total.days_held == 1 and report.total.bookings == 1
    # The stale check, the figures' sums and their outcomes: nothing was rebuilt.
    assert len(queries) == 3


def test_attendance_walk_ins_and_outcomes_reach_the_figures():
    day = factories.day(on=timezone.localdate() + timedelta(days=2), start=time(9), end=time(10))
    coach = factories.coach()
    first, second = day.slots.all()
    booking, _token = factories.booking(first)
    span = {"start": day.date.replace(day=1), "end": day.date + timedelta(days=40)}
    after = day.ends_at + timedelta(hours=1)
    assert statistics.collect(**span, now=after).total.attended == 0
    services.mark_attendance(booking=booking, attended=True, user=coach.user, now=after)
    assert statistics.collect(**span, now=after).total.attended == 1
    services.record_outcome(
        booking=booking, codes=[OutcomeCode.JOB_START], user=coach.user, now=after
    )
    assert statistics.collect(**span, now=after).total.job_starts == 1
    services.add_walk_in(
        slot=first, client=factories.client_details(), user=coach.user, now=after
    )  # the slot is full: an extra, which takes no seat
    assert statistics.collect(**span, now=after).total.walk_ins == 1
    services.undo_attendance(booking=factories.booking(second)[0], user=coach.user, now=after)
    assert statistics.collect(**span, now=after).total.bookings == 2


def test_a_rebuild_takes_the_same_queries_for_few_or_many_days(fixture):  # noqa: F811
    with CaptureQueriesContext(connection) as few:
        assert services.refresh_day_figures() == 5
    add_more_days(fixture["bergen"], 9)
    add_more_days(factories.site(factories.municipality("Hambühren")), 10)
    with CaptureQueriesContext(connection) as many:
        assert services.refresh_day_figures() == 10
    assert len(many) == len(few)
    assert services.refresh_day_figures() == 0


def test_the_erasure_changes_no_figure_even_when_every_day_is_counted_again(old_and_new):  # noqa: F811
    span = {"start": date(2000, 1, 1), "end": timezone.localdate() + timedelta(days=1)}
    before = statistics.collect(**span)
    assert before.total.attended == 1 and before.total.no_shows == 1
    assert before.total.job_starts == 1
    services.erase_expired_personal_data()
    DayFigures.objects.all().delete()  # counted from the erased bookings, from scratch
    after = statistics.collect(**span)
    assert as_tuples(after) == as_tuples(before)


def test_the_beat_task_rebuilds_what_is_stale_and_then_nothing(fixture):  # noqa: F811
    from appointments import tasks

    assert tasks.refresh_day_figures.delay().get() == 5
    assert tasks.refresh_day_figures.delay().get() == 0
    assert services.stale_days().count() == 0
