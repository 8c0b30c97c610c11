"""Statistics per municipality and month against a fixture counted by hand, and a page
whose query count does not grow with the data."""

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments import services, statistics
from appointments.models import (
    Booking,
    BookingOutcome,
    BookingStatus,
    CancelledBy,
    Channel,
    DayStatus,
    OutcomeCode,
    OutreachDay,
)
from tests import factories

pytestmark = pytest.mark.django_db

_ref = itertools.count(1)
A, N, C, X = (
    BookingStatus.ATTENDED,
    BookingStatus.NO_SHOW,
    BookingStatus.CONFIRMED,
    BookingStatus.CANCELLED,
)


def past_booking(slot, status, channel=Channel.ONLINE, takes_seat=True, outcomes=()):
    """A booking on a past day, as the coach's day view leaves it (book_slot refuses the past)."""
    booking = Booking.objects.create(
        slot=slot,
        day=slot.day,
        reference=f"T{next(_ref):07d}",
        status=status,
        channel=channel,
        takes_seat=takes_seat,
        name="Kundin",
        cancelled_by=CancelledBy.CLIENT if status == X else "",
    )
    for code in outcomes:
        BookingOutcome.objects.create(booking=booking, code=code)
    return booking


@pytest.fixture
def fixture():
    wathlingen = factories.site(factories.municipality("Wathlingen"))
    bergen = factories.site(factories.municipality("Bergen"))
    # Wathlingen, September: 6 slots x 2 seats.
    september = factories.day(wathlingen, on=date(2026, 9, 8), seats=2)
    s = list(september.slots.all())
    past_booking(s[0], A, outcomes=[OutcomeCode.JOB_START, OutcomeCode.ADVICE])
    past_booking(s[0], A, outcomes=[OutcomeCode.JOB_START])
    past_booking(s[1], A, outcomes=[OutcomeCode.ADVICE])
    past_booking(s[1], N)
    past_booking(s[2], C)
    past_booking(s[2], X)
    past_booking(s[3], A, channel=Channel.WALK_IN, outcomes=[OutcomeCode.ADVICE])
    past_booking(s[3], A, channel=Channel.WALK_IN, takes_seat=False)
    # Wathlingen, October: 2 slots of an hour, 1 seat each; and a cancelled day.
    october = factories.day(wathlingen, on=date(2026, 10, 13), end=time(11), slot_minutes=60)
    s = list(october.slots.all())
    past_booking(s[0], A, outcomes=[OutcomeCode.JOB_START])
    past_booking(s[1], A)
    called_off = factories.day(wathlingen, on=date(2026, 10, 27), status=DayStatus.CANCELLED)
    s = list(called_off.slots.all())
    past_booking(s[0], X)
    past_booking(s[1], X)
    # Bergen, October: 4 slots; a draft day that never happened counts for nothing.
    bergen_day = factories.day(bergen, on=date(2026, 10, 20), start=time(10), end=time(12))
    s = list(bergen_day.slots.all())
    past_booking(s[0], N)
    past_booking(s[1], A, outcomes=[OutcomeCode.TRAINING])
    factories.day(bergen, on=date(2026, 10, 6), status=DayStatus.DRAFT)
    return {"wathlingen": wathlingen, "bergen": bergen}


def figures(row):
    return {
        "days": row.days_held,
        "slots": row.slots_offered,
        "seats": row.seats_offered,
        "bookings": row.bookings,
        "seats_used": row.seats_used,
        "attended": row.attended,
        "no_shows": row.no_shows,
        "cancellations": row.cancellations,
        "walk_ins": row.walk_ins,
        "job_starts": row.job_starts,
    }


def test_the_figures_match_the_hand_count(fixture):
    report = statistics.collect(start=date(2026, 9, 1), end=date(2026, 11, 1))
    rows = {(r.municipality, r.month): r for r in report.rows}
    assert set(rows) == {
        ("Bergen", date(2026, 10, 1)),
        ("Wathlingen", date(2026, 9, 1)),
        ("Wathlingen", date(2026, 10, 1)),
    }
    w9 = rows["Wathlingen", date(2026, 9, 1)]
    assert figures(w9) == {
        "days": 1,
        "slots": 6,
        "seats": 12,
        "bookings": 5,  # 3 attended, 1 no-show, 1 not yet marked; not the cancelled one
        "seats_used": 6,  # those 5 and the walk-in who took a seat
        "attended": 5,
        "no_shows": 1,
        "cancellations": 1,
        "walk_ins": 2,
        "job_starts": 2,
    }
    assert w9.utilisation == pytest.approx(0.5)
    assert w9.no_show_rate == pytest.approx(0.2)
    assert w9.job_start_share == pytest.approx(0.4)
    assert w9.outcomes == {OutcomeCode.JOB_START: 2, OutcomeCode.ADVICE: 3}

    w10 = rows["Wathlingen", date(2026, 10, 1)]
    assert figures(w10) == {
        "days": 1,
        "slots": 2,
        "seats": 2,
        "bookings": 2,
        "seats_used": 2,
        "attended": 2,
        "no_shows": 0,
        "cancellations": 2,  # both from the cancelled day
        "walk_ins": 0,
        "job_starts": 1,
    }
    assert w10.utilisation == 1 and w10.job_start_share == pytest.approx(0.5)

    b10 = rows["Bergen", date(2026, 10, 1)]
    assert figures(b10) == {
        "days": 1,
        "slots": 4,
        "seats": 4,
        "bookings": 2,
        "seats_used": 2,
        "attended": 1,
        "no_shows": 1,
        "cancellations": 0,
        "walk_ins": 0,
        "job_starts": 0,
    }
    assert b10.no_show_rate == pytest.approx(0.5)

    total = report.total
    assert figures(total) == {
        "days": 3,
        "slots": 12,
        "seats": 18,
        "bookings": 9,
        "seats_used": 10,
        "attended": 8,
        "no_shows": 2,
        "cancellations": 3,
        "walk_ins": 2,
        "job_starts": 3,
    }
    assert total.job_start_share == pytest.approx(3 / 8)
    assert [m.bookings for m in report.months] == [5, 4]


def test_the_site_and_period_filters(fixture):
    only_bergen = statistics.collect(
        start=date(2026, 9, 1), end=date(2026, 11, 1), site=fixture["bergen"]
    )
    assert [r.municipality for r in only_bergen.rows] == ["Bergen"]
    september = statistics.collect(start=date(2026, 9, 1), end=date(2026, 10, 1))
    assert [(r.municipality, r.month) for r in september.rows] == [("Wathlingen", date(2026, 9, 1))]


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("chefin", "c@example.org", "pw-123456")
    client.force_login(user)
    return client


URL_QUERY = "?start=2026-09&end=2026-10"


def test_the_page_shows_figures_charts_and_tables(fixture, staff_client):
    page = staff_client.get(reverse("admin:appointments_statistics") + URL_QUERY)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('role="img"') == 3
    assert html.count("<title id=") == 3 and html.count("<desc id=") == 3
    assert html.count('class="chart-table"') == 3
    assert "Wathlingen" in html and "Arbeitsaufnahme" in html


def test_the_csv_has_the_same_figures(fixture, staff_client):
    response = staff_client.get(reverse("admin:appointments_statistics_csv") + URL_QUERY)
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Gemeinde;Monat;Tage;Zeitfenster;Plätze;Buchungen")
    assert lines[1].startswith("Bergen;2026-10;1;4;4;2;2;50,0;1;1;50,0;0;0;")
    assert lines[2].startswith("Wathlingen;2026-09;1;6;12;5;6;50,0;5;1;20,0;1;2;")
    assert lines[-1].startswith("Summe;;3;12;18;9;10;")
    assert lines[-1].endswith(";37,5")


def test_staff_without_permission_and_strangers_are_kept_out(client, fixture):
    url = reverse("admin:appointments_statistics")
    assert client.get(url).status_code == 302  # to the login
    clerk = get_user_model().objects.create_user("clerk", password="pw-123456", is_staff=True)
    client.force_login(clerk)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:appointments_statistics_csv")).status_code == 403


def test_bad_filter_input_gets_a_message_not_an_error(fixture, staff_client):
    page = staff_client.get(reverse("admin:appointments_statistics") + "?start=2026-13&end=x")
    assert page.status_code == 200
    assert "Bitte geben Sie einen Monat an" in page.content.decode()


def add_more_days(site, month):
    for n in range(1, 6):
        day = factories.day(site, on=date(2026, month, n * 4), seats=2)
        for slot in day.slots.all():
            past_booking(slot, A, outcomes=[OutcomeCode.ADVICE])
            past_booking(slot, N)


def test_the_query_count_does_not_grow_with_the_data(fixture, staff_client):
    url = reverse("admin:appointments_statistics") + URL_QUERY
    staff_client.get(url)  # warm up the session and content types
    cache.clear()  # both visits count everything anew
    with CaptureQueriesContext(connection) as small:
        staff_client.get(url)
    add_more_days(fixture["bergen"], 9)
    add_more_days(factories.site(factories.municipality("Hambühren")), 10)
    # What the beat task does between two visits; a visit before it rebuilds the new
    # days itself, in a fixed number of queries too (test_statistics_figures).
    services.refresh_day_figures()
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        staff_client.get(url)
    assert len(large) == len(small)


def test_the_page_needs_a_fixed_number_of_queries(fixture, staff_client, django_assert_num_queries):
    url = reverse("admin:appointments_statistics") + URL_QUERY
    staff_client.get(url)
    # session, user, the Landkreise (counted), the newest change of any day; the digest of
    # the figures, the tables and charts and the filter come from the cache. 9 when the
    # page grouped the bookings itself; 5 when it read every day's figures each time.
    with django_assert_num_queries(4):
        staff_client.get(url)
    # Without the cache: the stale days (none), the figures summed per place and month,
    # their outcomes summed, the next day to become held (which ends the entry), and the
    # filter's markup rendered anew.
    cache.clear()
    with django_assert_num_queries(10):
        staff_client.get(url)


def test_with_several_districts_it_shows_one_at_a_time(fixture, staff_client):
    from locations.models import Municipality

    aaa = factories.district("Aaa-Kreis")
    Municipality.objects.create(name="Wolfsburg", slug="wolfsburg", district=aaa)
    body = staff_client.get(reverse("admin:appointments_statistics")).content.decode()
    # The first Landkreis (alphabetically) is the default; Celle's figures need a choice.
    assert f'<option value="{aaa.pk}" selected>' in body
    celle = Municipality.objects.exclude(slug="wolfsburg").values_list("district", flat=True)[0]
    chosen = staff_client.get(
        reverse("admin:appointments_statistics") + URL_QUERY + f"&district={celle}"
    ).content.decode()
    assert "Bergen" in chosen


def test_all_landkreise_shows_one_row_per_landkreis(fixture, staff_client):
    """The whole country: one row per Landkreis over the period, summed in the database,
    and the same totals as the Landkreise one by one; the months stay in the chart."""
    from locations.models import Municipality

    aaa = factories.district("Aaa-Kreis")
    Municipality.objects.create(name="Wolfsburg", slug="wolfsburg", district=aaa)
    url = reverse("admin:appointments_statistics") + URL_QUERY
    country = staff_client.get(url + "&district=")
    body = country.content.decode()
    assert "Zahlen je Landkreis" in body
    assert ">Landkreis Celle</th>" in body and ">Bergen</th>" not in body
    report = country.context["report"]
    celle = Municipality.objects.get(name="Bergen").district
    one = staff_client.get(url + f"&district={celle.pk}").context["report"]
    assert [r.municipality for r in report.rows] == ["Landkreis Celle"]
    assert report.total == one.total and report.months == one.months
    # Without a choice the first Landkreis is still the default.
    assert "Zahlen je Gemeinde und Monat" in staff_client.get(url).content.decode()


def test_the_csv_of_all_landkreise_names_the_landkreis(fixture, staff_client):
    from locations.models import Municipality

    aaa = factories.district("Aaa-Kreis")
    Municipality.objects.create(name="Wolfsburg", slug="wolfsburg", district=aaa)
    url = reverse("admin:appointments_statistics_csv") + URL_QUERY + "&district="
    header = staff_client.get(url).content.decode().splitlines()[0]
    assert header.lstrip("\ufeff").startswith("Landkreis;Monat")


def served_digest_is_fresh(response) -> bool:
    """The digest the page's cached tables are keyed by is the one of the figures now."""
    return response.context["report_digest"] == response.context["report"].digest("de")


def test_a_change_to_a_day_shows_on_the_page_at_once(staff_client):
    day = factories.day(on=timezone.localdate() + timedelta(days=3))
    booking, _token = factories.booking(day.slots.first())
    url = reverse("admin:appointments_statistics") + f"?start={day.date:%Y-%m}"
    first = staff_client.get(url)
    assert served_digest_is_fresh(first)
    services.cancel_booking(booking=booking)
    second = staff_client.get(url)
    assert second.context["report_digest"] != first.context["report_digest"]
    assert served_digest_is_fresh(second)


def test_a_day_becoming_held_shows_without_any_change(staff_client, monkeypatch):
    day = factories.day(on=timezone.localdate() + timedelta(days=3))
    factories.booking(day.slots.first())
    OutreachDay.objects.update(changed_at=datetime(2020, 1, 1, tzinfo=UTC))
    url = reverse("admin:appointments_statistics") + f"?start={day.date:%Y-%m}"
    monkeypatch.setattr(timezone, "now", lambda: day.ends_at - timedelta(minutes=2))
    # A session as of the mocked clock (a staff session ends after hours).
    staff_client.force_login(get_user_model().objects.get(username="chefin"))
    before = staff_client.get(url)
    assert before.context["report"].total.days_held == 0
    monkeypatch.setattr(timezone, "now", lambda: day.ends_at + timedelta(minutes=1))
    staff_client.force_login(get_user_model().objects.get(username="chefin"))
    after = staff_client.get(url)
    assert after.context["report"].total.days_held == 1
    assert served_digest_is_fresh(after)


def test_a_digest_stored_just_after_a_change_is_kept_only_briefly(db):
    """changed_at is stamped before its transaction commits: a digest counted in between
    must not outlive that commit under the same marker."""
    now = timezone.now()
    options = {"start": date(2026, 9, 1), "end": date(2026, 10, 1), "site": None}
    options["district"] = None
    recent = statistics._digest_until(options, now, now - timedelta(seconds=1))
    assert recent <= now + statistics.DIGEST_SETTLE
    settled = statistics._digest_until(options, now, now - timedelta(hours=1))
    assert settled == now + statistics.DIGEST_MAX_AGE
