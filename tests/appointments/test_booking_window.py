"""A day beyond the booking window is not "full": it says when booking opens, and it
takes no waiting-list entries (offers only follow a cancellation, so none would come)."""

from datetime import time

import pytest
from django.conf import settings
from django.utils import timezone

from appointments import services
from appointments.models import WaitlistEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def later_day():
    return factories.day(on=factories.future_date(settings.BOOKING_OPENS_DAYS + 10))


def test_the_day_page_says_when_booking_opens_not_full(client, later_day):
    body = client.get(f"/tag/{later_day.pk}/").content.decode()
    assert "ausgebucht" not in body
    assert "Buchbar ab" in body
    assert f"/tag/{later_day.pk}/warteliste/" not in body
    assert "noch nicht buchbar" in body


def test_the_start_page_says_when_booking_opens(client, later_day):
    body = client.get("/").content.decode()
    assert "Zurzeit kein Termin frei" not in body
    assert "Buchbar ab" in body


def test_the_opening_date_is_the_first_slot_minus_the_window(later_day):
    first = later_day.slots.order_by("starts_at").first()
    opens = later_day.booking_opens_at
    assert (first.starts_at - opens).days == settings.BOOKING_OPENS_DAYS
    assert not later_day.takes_waitlist(timezone.now())
    assert later_day.takes_waitlist(opens)


def test_no_waiting_list_before_booking_opens(client, later_day):
    with pytest.raises(services.SlotNotBookable):
        services.join_waitlist(day=later_day, name="Maria", email="maria@example.org")
    page = client.get(f"/tag/{later_day.pk}/warteliste/").content.decode()
    assert "Buchbar ab" in page and 'name="join"' not in page
    assert not WaitlistEntry.objects.exists()


def test_a_really_full_day_still_offers_the_waiting_list(client):
    day = factories.day(start=time(9), end=time(9, 30))
    factories.booking(day.slots.get())
    body = client.get(f"/tag/{day.pk}/").content.decode()
    assert "Dieser Tag ist ausgebucht." in body
    assert f"/tag/{day.pk}/warteliste/" in body
    assert "Buchbar ab" not in body
