"""The day page's shared cache: every seat change raises the day's version in its own
transaction, so a cached page never outlives the change; a stale page still cannot
overbook; a browser holding the current version gets 304."""

from datetime import time, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from appointments import services
from appointments.models import Booking, OutreachDay, Slot, WaitlistEntry, WaitlistStatus
from tests import factories
from tests.appointments.test_booking_form import book

pytestmark = pytest.mark.django_db


def page(client, day, **headers):
    return client.get(f"/tag/{day.pk}/", **headers)


def free_buttons(client, day) -> int:
    return page(client, day).content.decode().count("slot-button")


def version(day) -> int:
    return OutreachDay.objects.values_list("version", flat=True).get(pk=day.pk)


def two_slot_day(**fields):
    return factories.day(start=time(9), end=time(10), **fields)


def test_a_second_visit_is_served_from_the_cache_in_one_query(client, django_assert_num_queries):
    coach = factories.coach(specialisms=[factories.specialism()])
    day = two_slot_day(coaches=[coach])
    with django_assert_num_queries(5):
        first = page(client, day)
    with django_assert_num_queries(1):
        second = page(client, day)
    # The same content; only the masked CSRF token around it differs.
    main = first.content.decode().split('<main id="main"')[1]
    assert main == second.content.decode().split('<main id="main"')[1]


def test_a_booking_takes_the_slot_off_the_cached_page(client):
    day = two_slot_day()
    assert free_buttons(client, day) == 2
    factories.booking(day.slots.first())
    assert free_buttons(client, day) == 1


def test_a_cancellation_puts_the_slot_back(client):
    day = two_slot_day()
    booking, _token = factories.booking(day.slots.first())
    assert free_buttons(client, day) == 1
    services.cancel_booking(booking=booking)
    assert free_buttons(client, day) == 2


def test_a_move_frees_the_old_day_and_fills_the_new_one(client):
    old_day = two_slot_day()
    new_day = factories.day(
        site_=factories.site(), on=factories.future_date(8), start=time(9), end=time(10)
    )
    booking, _token = factories.booking(old_day.slots.first())
    assert (free_buttons(client, old_day), free_buttons(client, new_day)) == (1, 2)
    services.move_booking(booking=booking, to_slot_id=new_day.slots.first().pk)
    assert (free_buttons(client, old_day), free_buttons(client, new_day)) == (2, 1)


def test_a_walk_in_fills_a_seat_on_the_page(client):
    # Today, late in the evening: the slots are too close to book online, so they show
    # "nicht buchbar" until a walk-in takes one, which then shows "belegt".
    day = factories.day(on=timezone.localdate(), start=time(22), end=time(23))
    coach = day.coaches.first() or factories.coach()
    assert "belegt" not in page(client, day).content.decode()
    services.add_walk_in(slot=day.slots.first(), client=factories.client_details(), user=coach.user)
    assert "belegt" in page(client, day).content.decode()


def test_a_waiting_list_offer_holds_the_freed_seat_and_its_expiry_gives_it_back(client):
    day = factories.day(start=time(9), end=time(9, 30))
    booking, _token = factories.booking(day.slots.get())
    services.join_waitlist(day=day, name="Wartende", email="warten@example.org")
    before = page(client, day)
    assert "slot-button" not in before.content.decode()
    services.cancel_booking(booking=booking)
    entry = WaitlistEntry.objects.get()
    assert entry.status == WaitlistStatus.OFFERED
    # The seat went back and was held again in one transaction: the page still shows it
    # taken, but as a new version.
    held = page(client, day)
    assert held["ETag"] != before["ETag"]
    assert "slot-button" not in held.content.decode()
    services.expire_waitlist_offers(now=entry.offer_expires_at + timedelta(seconds=1))
    assert free_buttons(client, day) == 1


def test_a_waiting_list_offer_raises_the_version_itself():
    day = factories.day(start=time(9), end=time(9, 30))
    slot = day.slots.get()
    booking, _token = factories.booking(slot)
    services.join_waitlist(day=day, name="Wartende", email="warten@example.org")
    Booking.objects.filter(pk=booking.pk).update(status="cancelled")
    Slot.objects.filter(pk=slot.pk).update(seats_taken=0)
    seen = version(day)
    services.offer_freed_seat(slot_id=slot.pk)
    assert version(day) > seen


def test_cancelling_the_day_shows_at_once(client):
    day = two_slot_day()
    assert "fällt aus" not in page(client, day).content.decode()
    services.cancel_day(day=day, reason="Krankheit im Team")
    body = page(client, day).content.decode()
    assert "fällt aus" in body and "slot-button" not in body


def test_editing_the_day_shows_its_new_slots_and_coaches(client):
    day = two_slot_day()
    assert free_buttons(client, day) == 2
    coach = factories.coach(specialisms=[factories.specialism("Gesundheit und Arbeit")])
    services.change_day(
        day=day,
        on=day.date,
        start=time(9),
        end=time(11),
        seats_per_slot=1,
        coaches=[coach],
    )
    body = page(client, day).content.decode()
    assert body.count("slot-button") == 4
    assert "Gesundheit und Arbeit" in body


def test_a_stale_cached_page_cannot_overbook(client):
    """The cache says free, the slot is full: the booking is refused under the lock."""
    day = factories.day(start=time(9), end=time(9, 30))
    slot = day.slots.get()
    assert free_buttons(client, day) == 1
    # Filled behind the cache's back, without raising the version: the page is stale.
    Slot.objects.filter(pk=slot.pk).update(seats_taken=1)
    assert free_buttons(client, day) == 1
    response = book(client, slot)
    assert response.status_code == 409
    assert "Dieser Termin wurde gerade vergeben." in response.content.decode()
    assert not Booking.objects.exists()
    assert Slot.objects.get(pk=slot.pk).seats_taken == 1


def test_the_same_version_answers_304(client):
    day = two_slot_day()
    page(client, day)  # the first visit sets the CSRF cookie, which is part of the tag
    first = page(client, day)
    again = page(client, day, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert "private" in again["Cache-Control"] and "no-cache" in again["Cache-Control"]


def test_a_new_version_or_another_language_answers_200(client):
    day = two_slot_day()
    page(client, day)
    etag = page(client, day)["ETag"]
    assert page(client, day, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert page(client, day, HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    factories.booking(day.slots.first())
    assert page(client, day, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_languages_and_filters_are_cached_apart(client):
    day = two_slot_day()
    assert "Termine" in page(client, day).content.decode()
    english = page(client, day, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Appointments" in english
    morning = client.get(f"/tag/{day.pk}/", {"von": "09:30"}).content.decode()
    assert morning.count("slot-button") == 1


def test_the_cached_content_carries_nothing_of_the_visitor(client):
    """Two visitors: each page has its own CSRF token around the same shared content."""
    day = two_slot_day()
    ours = page(client, day).content.decode()
    theirs = page(Client(), day).content.decode()

    def token(body):
        return body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    assert token(ours) != token(theirs)
    main = ours.split('<main id="main"')[1]
    assert main == theirs.split('<main id="main"')[1]
    assert "csrfmiddlewaretoken" not in main


def test_a_logged_in_coach_gets_their_menu_and_nobody_else_does(client):
    day = two_slot_day()
    coach = factories.coach()
    anonymous = Client()
    assert "Abmelden" not in page(anonymous, day).content.decode()
    client.force_login(coach.user)
    assert "Abmelden" in page(client, day).content.decode()
    assert "Abmelden" not in page(anonymous, day).content.decode()


def test_a_query_string_beyond_the_filter_is_rendered_but_not_stored(client):
    day = two_slot_day()
    response = client.get(f"/tag/{day.pk}/", {"von": "09:00", "utm_source": "plakat"})
    assert response.status_code == 200
    assert "slot-button" in response.content.decode()
    assert not list(cache._list_cache_files())
    client.get(f"/tag/{day.pk}/", {"von": "09:00"})
    assert list(cache._list_cache_files())


def test_the_language_switch_on_a_shared_page_works(client):
    day = two_slot_day()
    page(client, day)
    body = page(client, day).content.decode()
    token = body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    response = strict.post(
        "/i18n/setlang/",
        {"csrfmiddlewaretoken": token, "language": "en", "next": f"/tag/{day.pk}/"},
    )
    assert response.status_code == 302
