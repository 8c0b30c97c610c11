"""From the manage link a client can download what is stored and erase it early."""

import json

import pytest

from appointments.models import Booking, BookingStatus, OutgoingMail
from tests import factories


@pytest.fixture
def booked(db):
    slot = factories.day().slots.first()
    booking, token = factories.booking(
        slot, name="Maria Schulz", email="maria@example.org", note="Kind ist manchmal krank"
    )
    return booking, token, slot


def test_the_manage_page_says_when_data_is_erased(client, booked):
    booking, token, _slot = booked
    body = client.get(f"/termin/{token}/").content.decode()
    assert "automatisch" in body
    assert f"/termin/{token}/meine-daten.json" in body


def test_a_client_downloads_what_is_stored(client, booked):
    booking, token, _slot = booked
    response = client.get(f"/termin/{token}/meine-daten.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["contact"] == {"name": "Maria Schulz", "email": "maria@example.org", "phone": ""}
    assert data["note"] == "Kind ist manchmal krank"


def test_the_download_needs_the_secret_link(client, booked):
    assert client.get("/termin/not-the-token/meine-daten.json").status_code == 404


def test_a_client_erases_early(client, booked):
    booking, token, slot = booked
    response = client.post(f"/termin/{token}/daten-loeschen/", {"confirm": "on"}, follow=True)
    assert "Ihre Daten sind gelöscht." in response.content.decode()
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert (booking.name, booking.email, booking.note) == ("", "", "")
    assert booking.status == BookingStatus.CANCELLED
    assert slot.seats_taken == 0
    assert client.get(f"/termin/{token}/").status_code == 404
    # No cancellation notice goes to an address the client asked us to forget.
    assert not OutgoingMail.objects.filter(booking=booking, kind="booking_cancelled").exists()


def test_erasing_needs_a_confirmation(client, booked):
    booking, token, _slot = booked
    response = client.post(f"/termin/{token}/daten-loeschen/", {}, follow=True)
    assert "Bitte bestätigen Sie" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).name == "Maria Schulz"


def test_erasing_is_refused_without_the_secret_link(client, booked):
    booking, _token, _slot = booked
    assert client.post("/termin/wrong/daten-loeschen/", {"confirm": "on"}).status_code == 404
    assert Booking.objects.get(pk=booking.pk).name == "Maria Schulz"
