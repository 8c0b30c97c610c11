"""The calendar file, built with icalendar and read back with it: the manage link, the
address as LOCATION, an alarm, and text that survives commas, semicolons and breaks."""

from datetime import timedelta

import pytest
from icalendar import Calendar

from appointments import ics
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    site = factories.site(
        factories.municipality("Hambühren"),
        name="Rathaus; Saal, oben",
        room="Raum 1\nlinks",
        address="Am Amtshof 4, 29313 Hambühren",
    )
    booking, _token = factories.booking(factories.day(site).slots.first())
    return booking


def event_of(text: str):
    calendar = Calendar.from_ical(text)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_it_carries_the_manage_link_location_and_an_alarm(booking):
    url = "https://termine.example.de/termin/abc/"
    calendar, event = event_of(ics.booking_ics(booking, manage_url=url))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["URL"]) == url
    assert url in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == (
        "Rathaus; Saal, oben, Raum 1\nlinks, Am Amtshof 4, 29313 Hambühren"
    )
    assert event.decoded("DTSTART") == booking.slot.starts_at
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(hours=1)
    assert str(alarm["ACTION"]) == "DISPLAY"


def test_lines_are_folded_and_text_escaped(booking):
    text = ics.booking_ics(booking, manage_url="https://x.example/" + "a" * 120)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "Rathaus\\; Saal\\, oben" in text.replace("\r\n ", "")


def test_a_cancellation_has_no_alarm_and_outranks_the_last_version(booking):
    _calendar, event = event_of(ics.booking_ics(booking, method="CANCEL"))
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == booking.sequence + 1
    assert event.walk("VALARM") == []


def test_the_download_carries_the_link_of_its_token(client, booking):
    _booking, token = factories.booking(booking.slot.day.slots.last())
    response = client.get(f"/termin/{token}/termin.ics")
    _calendar, event = event_of(response.content.decode())
    assert str(event["URL"]).endswith(f"/termin/{token}/")


def test_folding_never_splits_a_character(booking):
    site = booking.slot.day.site
    site.name, site.room = "Будинок культури громади Гамбюрен, велика зала " * 3, ""
    booking.language = "uk"
    text = ics.booking_ics(booking, manage_url="https://x.example/termin/abc/")
    lines = text.encode().split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode()  # each folded line is whole UTF-8 on its own
    _calendar, event = event_of(text)
    assert str(event["LOCATION"]).startswith("Будинок культури громади Гамбюрен, велика зала")


def test_the_file_reads_back_with_every_field(booking):
    calendar, event = event_of(ics.booking_ics(booking, manage_url="https://x.example/t/a/"))
    assert str(calendar["PRODID"]) == "-//JobLokal//Termine//DE"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(event["UID"]) == f"{booking.reference}@joblokal"
    assert event["SEQUENCE"] == booking.sequence
    assert event.decoded("DTEND") == booking.slot.ends_at
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:termine@joblokal.example"
    assert str(event["ATTENDEE"]) == f"mailto:{booking.email}"
    assert event["ATTENDEE"].params["ROLE"] == "REQ-PARTICIPANT"
    assert f"Buchungsnummer: {booking.reference}" in str(event["DESCRIPTION"])
