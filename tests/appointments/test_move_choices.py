"""Moving a booking at national scale: the move page offers the days of the client's own
municipality first, then the rest of its Landkreis, a page at a time, never the whole
country; its query count does not grow with the number of days."""

import re
import time as clock
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from appointments import views_manage
from appointments.models import DayStatus, OutreachDay, Slot
from locations.models import Municipality, Site
from tests import factories

pytestmark = pytest.mark.django_db

OTHER_DISTRICTS = 40
SITES_PER_DISTRICT = 5
DAYS_PER_SITE = 15  # 40 × 5 × 15 = 3,000 days elsewhere in the country
HOME_DAYS = 6
NEIGHBOUR_DAYS = 20
# The move page, whatever the data: the booking by its token with its venue, a page of
# days to move to, and the chosen day's free slots.
QUERY_BUDGET = 3


def bulk_days(sites, per_site):
    """Published days with two free slots each, made in a few statements."""
    zone = timezone.get_default_timezone()
    today = timezone.localdate()
    days = []
    for site in sites:
        for n in range(per_site):
            on = today + timedelta(days=2 + n)
            start = datetime.combine(on, time(9), tzinfo=zone)
            days.append(
                OutreachDay(
                    site=site,
                    date=on,
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    status=DayStatus.PUBLISHED,
                )
            )
    days = OutreachDay.objects.bulk_create(days)
    Slot.objects.bulk_create(
        Slot(
            day=day,
            starts_at=day.starts_at + timedelta(minutes=m),
            ends_at=day.starts_at + timedelta(minutes=m + 30),
        )
        for day in days
        for m in (0, 30)
    )
    return days


def bulk_sites(district, count, prefix):
    municipalities = Municipality.objects.bulk_create(
        Municipality(
            name=f"{prefix} {n}",
            slug=f"{prefix.lower()}-{n}",
            district=factories.district(district),
        )
        for n in range(count)
    )
    return Site.objects.bulk_create(
        Site(municipality=m, name="Rathaus", address="Markt 1") for m in municipalities
    )


@pytest.fixture
def country():
    home = factories.site(factories.municipality("Wathlingen", district="Landkreis Celle"))
    booked_day = factories.day(home, on=factories.future_date(30))
    booking, token = factories.booking(booked_day.slots.first())
    home_days = bulk_days([home], HOME_DAYS)
    neighbours = bulk_sites("Landkreis Celle", 2, "Celle")
    neighbour_days = bulk_days(neighbours, NEIGHBOUR_DAYS // 2)
    for d in range(OTHER_DISTRICTS):
        bulk_days(bulk_sites(f"Landkreis {d}", SITES_PER_DISTRICT, f"Ort{d}"), DAYS_PER_SITE)
    return {
        "token": token,
        "home": {booked_day.pk, *(d.pk for d in home_days)},
        "district": {booked_day.pk, *(d.pk for d in home_days + neighbour_days)},
    }


def offered(body: str) -> list[int]:
    select = re.search(r'<select[^>]*name="tag".*?</select>', body, re.S).group(0)
    return [int(pk) for pk in re.findall(r'<option value="(\d+)"', select)]


def test_it_offers_the_own_municipality_first_then_the_landkreis(client, country):
    assert OutreachDay.objects.count() > 3_000
    body = client.get(f"/termin/{country['token']}/verschieben/").content.decode()
    days = offered(body)
    assert len(days) == views_manage.MOVE_DAYS_PER_PAGE
    home = len(country["home"])
    assert set(days[:home]) == country["home"]
    assert set(days) <= country["district"]
    assert "Weitere Tage im Landkreis" in body


def test_paging_reaches_every_day_of_the_landkreis_and_nothing_else(client, country):
    seen, offset = [], 0
    while True:
        body = client.get(f"/termin/{country['token']}/verschieben/?ab={offset}").content.decode()
        seen += offered(body)
        match = re.search(r'href="\?ab=(\d+)#move">Weitere Tage', body)
        if not match:
            break
        offset = int(match.group(1))
    assert len(seen) == len(set(seen))
    assert set(seen) == country["district"]


def test_a_day_elsewhere_cannot_be_chosen_and_nonsense_paging_is_harmless(client, country):
    elsewhere = OutreachDay.objects.exclude(pk__in=country["district"]).first()
    move = f"/termin/{country['token']}/verschieben/"
    body = client.get(move, {"tag": elsewhere.pk}).content.decode()
    assert elsewhere.site.municipality.name not in body
    for offset in ["-5", "x", "99999999999999999999", "1e9"]:
        assert client.get(f"/termin/{country['token']}/verschieben/?ab={offset}").status_code == 200


def test_its_query_count_and_time_stay_small(client, country, django_assert_num_queries):
    client.get(f"/termin/{country['token']}/verschieben/")  # warm up
    started = clock.perf_counter()
    with django_assert_num_queries(QUERY_BUDGET):
        response = client.get(f"/termin/{country['token']}/verschieben/?ab=12")
    elapsed = clock.perf_counter() - started
    assert response.status_code == 200
    # Listing the whole country took seconds at national scale; a page takes milliseconds.
    assert elapsed < 1.0, elapsed
