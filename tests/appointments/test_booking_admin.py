"""Bookings are read in the admin, not written: a write there would bypass the seat
counter (invariant 1) and the audit log (invariant 3)."""

import pytest
from django.contrib.auth import get_user_model

from appointments.models import AuditAction, AuditEntry
from tests import factories


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    client.user = user
    return client


def test_administrators_cannot_add_bookings_past_the_seat_counter(admin_client):
    assert admin_client.get("/admin/appointments/booking/add/").status_code == 403


def test_administrators_cannot_edit_or_delete_a_booking(admin_client):
    booking, _ = factories.booking(factories.day().slots.first())
    url = f"/admin/appointments/booking/{booking.pk}/change/"
    response = admin_client.post(url, {"status": "cancelled"})
    assert response.status_code == 403
    assert (
        admin_client.post(
            f"/admin/appointments/booking/{booking.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_viewing_a_booking_in_the_admin_is_logged(admin_client):
    booking, _ = factories.booking(factories.day().slots.first(), name="Maria Schulz")
    response = admin_client.get(f"/admin/appointments/booking/{booking.pk}/change/")
    assert "Maria Schulz" in response.content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.booking) == (
        admin_client.user,
        AuditAction.VIEW_BOOKING,
        booking,
    )


def test_the_booking_list_shows_when_data_is_erased(admin_client, django_assert_max_num_queries):
    day = factories.day()
    for slot in day.slots.all()[:3]:
        factories.booking(slot)
    with django_assert_max_num_queries(12):
        body = admin_client.get("/admin/appointments/booking/").content.decode()
    assert "Daten gelöscht am" in body
