from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import DayStatus
from tests import factories


@pytest.mark.django_db
def test_it_lists_each_municipality_with_its_next_published_day(client):
    wathlingen = factories.site(factories.municipality("Wathlingen"), name="Rathaus Wathlingen")
    factories.day(wathlingen, on=factories.future_date(20))
    factories.day(wathlingen, on=factories.future_date(5))
    factories.day(wathlingen, on=factories.future_date(2), status=DayStatus.DRAFT)
    factories.municipality("Bergen")

    body = client.get("/").content.decode()

    assert "Wathlingen" in body and "Bergen" in body
    soon = timezone.localdate() + timedelta(days=5)
    assert f'datetime="{soon:%Y-%m-%d}"' in body
    assert f'datetime="{soon + timedelta(days=15):%Y-%m-%d}"' not in body
    assert "Zurzeit ist kein Beratungstag geplant." in body


@pytest.mark.django_db
def test_it_leaves_out_inactive_municipalities(client):
    factories.municipality("Geisterdorf", active=False)
    assert "Geisterdorf" not in client.get("/").content.decode()


def _municipalities_with_days(count):
    for _ in range(count):
        factories.day(factories.site(), on=factories.future_date(3))


@pytest.mark.django_db
def test_its_query_count_does_not_grow_with_municipalities(client, django_assert_num_queries):
    _municipalities_with_days(3)
    with django_assert_num_queries(2) as few:
        client.get("/")
    _municipalities_with_days(47)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/")
    assert response.content.decode().count('class="card h-100 card-municipality"') == 50
