"""The Landkreis is a row chosen from a list; its state decides the public holidays."""

from datetime import date

import pytest
from django.urls import reverse

from appointments.models import OutreachSeries, Recurrence
from appointments.services import dates_of_series, series_dates
from locations.models import District, Municipality
from tests import factories

CORPUS_CHRISTI_2027 = date(2027, 5, 27)  # a holiday in Bavaria, not in Lower Saxony


def thursdays(state):
    return series_dates(
        recurrence=Recurrence.WEEKLY,
        weekday=3,
        starts_on=date(2027, 5, 20),
        ends_on=date(2027, 6, 3),
        state=state,
    )


def test_the_state_decides_which_days_are_public_holidays():
    assert CORPUS_CHRISTI_2027 in thursdays("NI").dates
    assert CORPUS_CHRISTI_2027 not in thursdays("BY").dates
    assert CORPUS_CHRISTI_2027 in [on for on, _name in thursdays("BY").skipped]


@pytest.mark.django_db
def test_a_series_skips_the_holidays_of_its_landkreis_state():
    site = factories.site(
        factories.municipality(district=factories.district("Landkreis Passau", "BY"))
    )
    series = OutreachSeries(
        site=site,
        recurrence=Recurrence.WEEKLY,
        weekday=3,
        interval_weeks=1,
        starts_on=date(2027, 5, 20),
        ends_on=date(2027, 6, 3),
    )
    assert CORPUS_CHRISTI_2027 not in dates_of_series(series=series).dates


@pytest.mark.django_db
def test_the_administrator_chooses_the_landkreis_from_a_list(admin_client):
    celle = factories.district("Landkreis Celle")
    page = admin_client.get(reverse("admin:locations_municipality_add")).content.decode()
    assert '<select name="district"' in page and f'<option value="{celle.pk}"' in page
    admin_client.post(
        reverse("admin:locations_municipality_add"),
        {
            "name": "Eicklingen",
            "slug": "eicklingen",
            "district": "Celle",
            "active": "on",
            "sites-TOTAL_FORMS": "1",
            "sites-INITIAL_FORMS": "0",
            "sites-MIN_NUM_FORMS": "1",
            "sites-MAX_NUM_FORMS": "1000",
            "sites-0-name": "Rathaus",
            "sites-0-address": "Markt 1",
        },
    )
    # Free text is refused: no second "Celle" next to the Landkreis Celle.
    assert not Municipality.objects.filter(slug="eicklingen").exists()
    assert District.objects.count() == 1


@pytest.mark.django_db
def test_the_statistics_show_all_places_of_the_one_landkreis(fixture_two_spellings, admin_client):
    body = admin_client.get(reverse("admin:appointments_statistics")).content.decode()
    assert "Wathlingen" in body and "Bergen" in body


@pytest.fixture
def fixture_two_spellings():
    factories.site(factories.municipality("Wathlingen", district="Landkreis Celle"))
    factories.site(factories.municipality("Bergen", district="Landkreis Celle"))


@pytest.mark.django_db(transaction=True)
def test_the_migration_merges_spellings_of_one_landkreis():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("locations", "0001_initial")], [("locations", "0005_district_required")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("locations", "Municipality")
    old.objects.create(name="Wathlingen", slug="wathlingen", district="Landkreis Celle")
    old.objects.create(name="Bergen", slug="bergen", district=" Celle ")
    old.objects.create(name="Wolfsburg", slug="wolfsburg", district="Stadt Wolfsburg")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    # Forward to the newest schema again, or every later test on this database would run
    # against the tables as they were at `after`.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    names = dict(Municipality.objects.values_list("slug", "district__name"))
    assert names == {
        "wathlingen": "Landkreis Celle",
        "bergen": "Landkreis Celle",
        "wolfsburg": "Stadt Wolfsburg",
    }
    assert set(District.objects.values_list("state", flat=True)) == {"NI"}
