from datetime import time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from appointments import services, views_manage
from appointments.models import Booking, BookingStatus, DayStatus, Slot
from tests import factories

pytestmark = pytest.mark.django_db


def booked(day=None, **fields):
    day = day or factories.day()
    booking, token = factories.booking(day.slots.order_by("starts_at").first(), **fields)
    return booking, token


def seats(slot):
    return Slot.objects.get(pk=slot.pk).seats_taken


def test_it_shows_the_booking(client):
    booking, token = booked(name="Maria Muster")
    body = client.get(f"/termin/{token}/").content.decode()
    assert booking.reference in body
    assert "Termin absagen" in body and "Termin verschieben" in body
    assert "noindex" in body


def test_cancelling_frees_the_seat_and_keeps_the_reason(client, django_capture_on_commit_callbacks):
    booking, token = booked()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/termin/{token}/absagen/", {"reason": "Kind ist krank"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.cancel_reason == "Kind ist krank"
    assert seats(booking.slot) == 0
    body = client.get(f"/termin/{token}/").content.decode()
    assert "Ihr Termin ist abgesagt." in body
    assert "Termin verschieben" not in body
    assert mail.outbox[-1].to == [booking.email]


def test_cancelling_twice_is_harmless(client):
    booking, token = booked()
    client.post(f"/termin/{token}/absagen/", {})
    client.post(f"/termin/{token}/absagen/", {})
    assert seats(booking.slot) == 0


def test_it_lists_free_slots_of_any_published_day_to_move_to(client):
    booking, token = booked()
    other = factories.day(
        factories.site(factories.municipality("Bergen")), on=factories.future_date(9)
    )
    factories.day(factories.site(), on=factories.future_date(10), status=DayStatus.DRAFT)
    body = client.get(f"/termin/{token}/verschieben/").content.decode()
    assert f'<option value="{other.pk}"' in body
    assert body.count("<option ") == 2  # the booking's own day and Bergen, not the draft
    body = client.get(f"/termin/{token}/verschieben/", {"tag": other.pk}).content.decode()
    assert body.count('name="slot"') == 6


def test_moving_takes_the_new_seat_and_frees_the_old_one(client):
    booking, token = booked()
    old = booking.slot
    other_day = factories.day(factories.site(), on=factories.future_date(12))
    new = other_day.slots.order_by("starts_at").last()
    response = client.post(f"/termin/{token}/verschieben/", {"slot": new.pk})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.slot == new and booking.day == other_day and booking.sequence == 1
    assert seats(old) == 0 and seats(new) == 1
    body = client.get(f"/termin/{token}/").content.decode()
    assert "Ihr Termin ist verschoben." in body


def test_a_slot_taken_meanwhile_leaves_the_booking_untouched(client):
    booking, token = booked()
    target = booking.day.slots.order_by("starts_at").last()
    factories.booking(target)  # someone else was faster
    response = client.post(f"/termin/{token}/verschieben/", {"slot": target.pk})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Dieser Termin wurde gerade vergeben. Ihr bisheriger Termin bleibt bestehen." in body
    assert body.count('name="slot"') == 4  # the other free ones, to move to directly
    booking.refresh_from_db()
    assert booking.slot.pk != target.pk and booking.sequence == 0
    assert seats(booking.slot) == 1 and seats(target) == 1


@pytest.mark.parametrize("slot", ["", "abc", "-1", "0", "99999999999", "1e3", "9" * 400])
def test_a_bad_slot_choice_gets_a_message(client, slot):
    booking, token = booked()
    response = client.post(f"/termin/{token}/verschieben/", {"slot": slot}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "alert-danger" in body
    booking.refresh_from_db()
    assert booking.sequence == 0


def test_moving_to_a_slot_of_a_draft_day_is_refused(client):
    booking, token = booked()
    draft = factories.day(factories.site(), status=DayStatus.DRAFT)
    response = client.post(
        f"/termin/{token}/verschieben/", {"slot": draft.slots.first().pk}, follow=True
    )
    assert "Diesen Termin kann man nicht buchen." in response.content.decode()
    assert Booking.objects.get().slot_id == booking.slot_id


def test_a_passed_appointment_is_read_only(client):
    booking, token = booked()
    past = timezone.now() - timedelta(days=1)
    Slot.objects.filter(pk=booking.slot_id).update(
        starts_at=past, ends_at=past + timedelta(minutes=30)
    )
    body = client.get(f"/termin/{token}/").content.decode()
    assert "Dieser Termin ist vorbei." in body
    # The booking cannot change any more; erasing one's data stays possible (GDPR).
    assert "/absagen/" not in body and "/verschieben/" not in body
    assert '<form method="post" action="/termin/' not in body
    assert "/daten-loeschen/" in body
    response = client.post(f"/termin/{token}/absagen/", {}, follow=True)
    assert "Dieser Termin kann nicht mehr geändert werden." in response.content.decode()
    assert Booking.objects.get().status == BookingStatus.CONFIRMED


def test_the_ics_of_a_cancelled_booking_cancels_the_event(client):
    booking, token = booked()
    services.cancel_booking(booking=booking)
    assert "METHOD:CANCEL" in client.get(f"/termin/{token}/termin.ics").content.decode()


def test_manage_pages_only_answer_to_get_and_post(client):
    _, token = booked()
    assert client.put(f"/termin/{token}/").status_code == 405
    assert client.put(f"/termin/{token}/absagen/").status_code == 405


def test_moving_within_the_day_keeps_one_seat_per_booking(client):
    day = factories.day(start=time(9), end=time(10))
    booking, token = booked(day)
    first, second = day.slots.order_by("starts_at")
    client.post(f"/termin/{token}/verschieben/", {"slot": second.pk})
    client.post(f"/termin/{token}/verschieben/", {"slot": first.pk})
    assert seats(first) == 1 and seats(second) == 0


def test_the_move_page_query_count_does_not_grow_with_days(client, django_assert_num_queries):
    booking, token = booked()
    with django_assert_num_queries(3) as few:
        client.get(f"/termin/{token}/verschieben/")
    for n in range(30):
        factories.day(factories.site(), on=factories.future_date(2 + n))
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(f"/termin/{token}/verschieben/")
    # A page of days, never all of them.
    assert response.content.decode().count("<option ") == views_manage.MOVE_DAYS_PER_PAGE
