"""The manage page comes from the cache, keyed by the booking, its day's version and its
own state: every change a client or the staff makes shows on the next render, the secret
link is checked on every request, and nothing of one link or visitor reaches another."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from appointments import manage_page, services
from appointments.models import Booking, BookingToken, OutreachDay, Slot
from coaches import casework
from tests import factories

pytestmark = pytest.mark.django_db

# A warm cache: the one statement that checks the link and reads the booking's state.
HIT_QUERIES = 1
# A cold one: that statement, the booking with its venue and accompaniment, its topics.
MISS_QUERIES = 3


@pytest.fixture
def booked():
    day = factories.day(factories.site(factories.municipality("Wathlingen")))
    booking, token = factories.booking(day.slots.order_by("starts_at").first())
    return booking, token


def page(client, token) -> str:
    response = client.get(f"/termin/{token}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_warm_page_costs_one_statement(client, booked, django_assert_num_queries):
    booking, token = booked
    with django_assert_num_queries(MISS_QUERIES):
        first = page(client, token)
    with django_assert_num_queries(HIT_QUERIES):
        second = page(client, token)
    assert booking.reference in second
    # The same page but for the CSRF token, which Django masks anew for every response.
    assert first.replace(csrf_of(first), "") == second.replace(csrf_of(second), "")
    assert manage_page.TOKEN_MARK not in second and "jl-csrf-mark" not in second


def test_a_revoked_link_is_a_404_even_with_a_warm_cache(client, booked):
    booking, token = booked
    page(client, token)
    BookingToken.objects.filter(booking=booking).delete()
    assert client.get(f"/termin/{token}/").status_code == 404


def test_each_link_and_visitor_gets_their_own_tokens(booked):
    booking, token = booked
    other_link = BookingToken.objects.issue(booking=booking)
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    body = page(alice, token)
    other = page(bob, other_link)  # the same cached copy
    assert f"/termin/{token}/absagen/" in body and other_link not in body
    assert f"/termin/{other_link}/absagen/" in other and token not in other
    # Each page's CSRF token is its visitor's own: it passes for them, not for the other.
    switch = {"language": "en", "next": "/"}

    def switch_with(visitor, body):
        return visitor.post("/i18n/setlang/", switch | {"csrfmiddlewaretoken": csrf_of(body)})

    assert switch_with(bob, other).status_code == 302
    assert switch_with(alice, other).status_code == 403
    assert switch_with(alice, body).status_code == 302


def csrf_of(body: str) -> str:
    return body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]


def test_a_cancel_shows_at_once(client, booked):
    booking, token = booked
    assert "Termin absagen" in page(client, token)
    services.cancel_booking(booking=booking)
    body = page(client, token)
    assert "Dieser Termin ist abgesagt." in body and "Termin absagen" not in body


def test_a_move_shows_at_once(client, booked):
    booking, token = booked
    page(client, token)
    later = booking.day.slots.order_by("starts_at").last()
    services.move_booking(booking=booking, to_slot_id=later.pk, now=timezone.now())
    assert timezone.localtime(later.starts_at).strftime("%H:%M") in page(client, token)


def test_a_cancelled_day_shows_at_once(client, booked):
    booking, token = booked
    page(client, token)
    services.cancel_day(day=booking.day, reason="Der Saal ist gesperrt.")
    assert "Dieser Termin ist abgesagt." in page(client, token)


def test_a_day_edit_renders_the_page_anew(client, booked, django_assert_num_queries):
    booking, token = booked
    day = booking.day
    page(client, token)
    local_start = timezone.localtime(day.starts_at)
    local_end = timezone.localtime(day.ends_at) + timedelta(hours=1)
    services.change_day(
        day=day,
        on=day.date,
        start=local_start.time(),
        end=local_end.time(),
        seats_per_slot=day.seats_per_slot,
        coaches=[factories.coach("Bea")],
    )
    with django_assert_num_queries(MISS_QUERIES):
        page(client, token)


def test_attendance_marked_by_a_coach_shows_at_once(client, booked):
    booking, token = booked
    page(client, token)
    coach = factories.coach("Anna")
    services.mark_attendance(
        booking=booking, attended=True, user=coach.user, now=booking.slot.starts_at
    )
    assert '<dd class="booking-status">erschienen</dd>' in page(client, token)


def test_a_staff_edit_of_the_booking_shows_at_once(client, booked):
    booking, token = booked
    page(client, token)
    booking.needs_other = "Rollator"
    booking.save()
    assert "Rollator" in page(client, token)


def test_the_page_turns_read_only_when_the_appointment_begins(client, booked):
    booking, token = booked
    assert "/absagen/" in page(client, token)
    # Only the clock moves on: no version, no booking row changes.
    begun = timezone.now() - timedelta(minutes=5)
    Slot.objects.filter(pk=booking.slot_id).update(
        starts_at=begun, ends_at=begun + timedelta(minutes=30)
    )
    body = page(client, token)
    assert "Dieser Termin ist vorbei." in body and "/absagen/" not in body


def test_a_withdrawn_consent_shows_at_once(client):
    anna = factories.coach("Anna")
    team = factories.team(anna, name="Team Wathlingen")
    day = factories.day(factories.site(factories.municipality("Wathlingen")), team_=team)
    booking, token = factories.booking(day.slots.first())
    casework.start_accompaniment(
        booking=booking, coach=anna, consent=True, constraints=casework.WorkConstraints()
    )
    assert "Einwilligung widerrufen" in page(client, token)
    response = client.post(f"/termin/{token}/begleitung-widerrufen/")
    assert response.status_code == 302
    body = client.get(f"/termin/{token}/").content.decode()
    assert "Wir begleiten Sie nicht mehr." in body
    assert "Einwilligung widerrufen" not in body


def test_erasing_ends_the_link_and_clears_the_cache(client, booked):
    booking, token = booked
    page(client, token)
    state = manage_page.current_state(token, timezone.now())
    assert cache.get(state.key("de")) is not None
    response = client.post(f"/termin/{token}/daten-loeschen/", {"confirm": "on"})
    assert response.status_code == 302
    assert client.get(f"/termin/{token}/").status_code == 404
    assert cache.get(state.key("de")) is None


def test_the_scheduled_erasure_ends_the_link(client, booked, settings):
    booking, token = booked
    page(client, token)
    past = timezone.now() - timedelta(days=settings.RETENTION_DAYS + 2)
    Slot.objects.filter(pk=booking.slot_id).update(
        starts_at=past, ends_at=past + timedelta(hours=1)
    )
    OutreachDay.objects.filter(pk=booking.day_id).update(
        date=past.date(), starts_at=past, ends_at=past + timedelta(hours=1)
    )
    services.erase_expired_personal_data()
    assert Booking.objects.get(pk=booking.pk).anonymised_at is not None
    assert client.get(f"/termin/{token}/").status_code == 404


def test_each_language_has_its_own_copy(client, booked, settings):
    booking, token = booked
    assert "Ihr Termin" in page(client, token)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = page(client, token)
    assert '<html lang="en"' in body and "Download my data" in body


def test_old_move_links_open_the_move_page(client, booked):
    booking, token = booked
    response = client.get(f"/termin/{token}/", {"tag": booking.day_id, "ab": "0"})
    assert response.status_code == 302
    assert response["Location"] == (f"/termin/{token}/verschieben/?tag={booking.day_id}&ab=0#move")
    assert client.get(response["Location"]).status_code == 200


def test_a_logged_in_coach_and_a_waiting_message_get_the_page_around_the_copy(client, booked):
    booking, token = booked
    page(client, token)  # the shared copy is warm
    coach = factories.coach("Anna")
    client.force_login(coach.user)
    body = page(client, token)
    assert "Abmelden" in body and booking.reference in body
    assert manage_page.TOKEN_MARK not in body


def test_unknown_and_oversized_links_are_a_404(client, booked):
    for token in ["nix", "x" * 65, "%00", booked[1] + "x"]:
        assert client.get(f"/termin/{token}/").status_code == 404
