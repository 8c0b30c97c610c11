"""The booking as an iCalendar file (RFC 5545).

A booking's file goes with every confirmation and reminder, so it is written directly:
TEXT values escaped, lines folded at 75 octets, CRLF endings (the tests read it back with
the icalendar package). The icalendar package took more time than the rest of the
calendar's mail. A programme's file (many sessions, few mails) is still built with it.
"""

import functools
from datetime import UTC, timedelta

from django.conf import settings
from django.utils import timezone, translation
from icalendar import Calendar, Event, vCalAddress

from appointments.mime import sender_address
from appointments.models import Booking

# The calendar reminds the client this long before the appointment.
ALARM_BEFORE = timedelta(hours=1)
# RFC 5545's limit for a content line, without its CRLF.
FOLD_OCTETS = 75


def booking_ics(booking: Booking, *, method: str = "REQUEST", manage_url: str = "") -> str:
    """The booking as an iCalendar event. The UID stays the same for the booking's whole
    life and SEQUENCE rises on each move, so calendar apps update the one event."""
    slot, site = booking.slot, booking.slot.day.site
    cancelled = method == "CANCEL"
    with translation.override(booking.language):
        summary = translation.gettext("Beratung Jobcenter (JobLokal)")
        description = _description(booking, manage_url)
        alarm_text = translation.gettext("Ihr Termin beim Jobcenter beginnt bald.")
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//JobLokal//Termine//DE",
        "VERSION:2.0",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"SUMMARY:{escape_text(summary)}",
        f"DTSTART:{utc_stamp(slot.starts_at)}",
        f"DTEND:{utc_stamp(slot.ends_at)}",
        f"DTSTAMP:{utc_stamp(timezone.now())}",
        f"UID:{escape_text(f'{booking.reference}@joblokal')}",
        # A cancellation must outrank the last version the calendar has seen.
        f"SEQUENCE:{booking.sequence + (1 if cancelled else 0)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"LOCATION:{escape_text(', '.join(p for p in [site.name, site.room, site.address] if p))}",
        f"ORGANIZER:mailto:{sender_address(settings.DEFAULT_FROM_EMAIL)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
    ]
    if manage_url and not cancelled:
        lines.append(f"URL:{manage_url}")
    if booking.email:
        lines.append(f"ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:{booking.email}")
    if not cancelled:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape_text(alarm_text)}",
            f"TRIGGER:-PT{ALARM_BEFORE.seconds // 3600}H",
            "END:VALARM",
        ]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def _description(booking: Booking, manage_url: str) -> str:
    lines = [f"{translation.gettext('Buchungsnummer')}: {booking.reference}"]
    if manage_url:
        lines.append(f"{translation.gettext('Absagen oder verschieben:')} {manage_url}")
    return "\n".join(lines)


def escape_text(value: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon and comma escaped, line breaks as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


@functools.lru_cache(maxsize=256)
def utc_stamp(moment) -> str:
    # Cached: a batch's mails share a few slots' times.
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Lines of at most 75 octets; a continuation starts with a space and never splits
    a UTF-8 character."""
    if len(line) <= FOLD_OCTETS and line.isascii():
        return line
    data = line.encode()
    parts, limit = [], FOLD_OCTETS
    while len(data) > limit:
        cut = limit
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: cut before its character
            cut -= 1
        parts.append(data[:cut])
        data, limit = data[cut:], FOLD_OCTETS - 1
    parts.append(data)
    return "\r\n ".join(part.decode() for part in parts)


def cohort_ics(enrolment, *, method: str = "REQUEST") -> str:
    """All sessions of the participant's cohort as one calendar file, one VEVENT per
    session, so public holidays that were left out are simply absent."""
    cohort = enrolment.cohort
    site = cohort.programme.site
    cancelled = method == "CANCEL"
    calendar = Calendar()
    calendar.add("prodid", "-//JobLokal//Programme//DE")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    stamp = timezone.now().astimezone(timezone.UTC)
    location = ", ".join(part for part in [site.name, site.room, site.address] if part)
    organizer = vCalAddress(f"mailto:{sender_address(settings.DEFAULT_FROM_EMAIL)}")
    for session in cohort.sessions.order_by("starts_at"):
        event = Event()
        event.add("uid", f"programme-{enrolment.pk}-{session.pk}@joblokal")
        event.add("sequence", 1 if cancelled else 0)
        event.add("dtstamp", stamp)
        event.add("dtstart", session.starts_at.astimezone(timezone.UTC))
        event.add("dtend", session.ends_at.astimezone(timezone.UTC))
        event.add("summary", f"{cohort.programme.name} (JobLokal)")
        event.add("location", location)
        event.add("organizer", organizer)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical().decode()
