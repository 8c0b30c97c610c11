from datetime import time

import pytest

from appointments.models import DayStatus
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_lists_the_earliest_free_slots_of_every_site(client):
    later = factories.day(factories.site(name="Rathaus Bergen"), on=factories.future_date(9))
    sooner = factories.day(factories.site(name="Rathaus Wathlingen"), on=factories.future_date(4))
    first = sooner.slots.order_by("starts_at").first()
    factories.booking(first)

    body = client.get("/freie-termine/").content.decode()

    assert body.index("Rathaus Wathlingen") < body.index("Rathaus Bergen")
    assert f'href="/buchen/{first.pk}/"' not in body  # taken
    second = sooner.slots.order_by("starts_at")[1]
    assert f'href="/buchen/{second.pk}/"' in body
    assert body.count('href="/buchen/') == 6  # three per site
    assert f'href="/tag/{later.pk}/"' in body


def test_it_leaves_out_drafts_cancelled_and_closed_days(client):
    factories.day(factories.site(name="Entwurfshaus"), status=DayStatus.DRAFT)
    factories.day(factories.site(name="Absagehaus"), status=DayStatus.CANCELLED)
    factories.day(factories.site(name="Fernhaus"), on=factories.future_date(200))
    body = client.get("/freie-termine/").content.decode()
    assert "Entwurfshaus" not in body and "Absagehaus" not in body and "Fernhaus" not in body
    assert "Zurzeit ist kein Termin frei." in body


def test_its_query_count_does_not_grow_with_sites_or_slots(client, django_assert_num_queries):
    factories.day()
    with django_assert_num_queries(1):
        client.get("/freie-termine/")
    for n in range(30):
        factories.day(factories.site(), on=factories.future_date(1 + n), end=time(16))
    with django_assert_num_queries(1):
        response = client.get("/freie-termine/")
    # The 60 earliest slots fill the first five days (14 slots each); three of each show.
    assert response.content.decode().count('href="/buchen/') == 5 * 3
