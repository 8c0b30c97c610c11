"""The booking as an iCalendar file."""

from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone, translation

from appointments.models import (
    Booking,
)


def _ics_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "")
    )


def _ics_time(value: datetime) -> str:
    return value.astimezone(timezone.UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    # RFC 5545: lines longer than 75 octets are folded with CRLF and a space.
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 74:
            out.append(current)
            current = " "
        current += char
    out.append(current)
    return "\r\n".join(out)


def booking_ics(booking: Booking, *, method: str = "REQUEST") -> str:
    """The booking as an iCalendar event. The UID stays the same for the booking's whole
    life and SEQUENCE rises on each move, so calendar apps update the one event."""
    slot, site = booking.slot, booking.slot.day.site
    cancelled = method == "CANCEL"
    with translation.override(booking.language):
        summary = translation.gettext("Beratung Jobcenter (JobLokal)")
    location = ", ".join(part for part in [site.name, site.room, site.address] if part)
    organizer = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//JobLokal//Termine//DE",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{booking.reference}@joblokal",
        # A cancellation must outrank the last version the calendar has seen.
        f"SEQUENCE:{booking.sequence + (1 if cancelled else 0)}",
        f"DTSTAMP:{_ics_time(timezone.now())}",
        f"DTSTART:{_ics_time(slot.starts_at)}",
        f"DTEND:{_ics_time(slot.ends_at)}",
        f"SUMMARY:{_ics_text(summary)}",
        f"LOCATION:{_ics_text(location)}",
        f"DESCRIPTION:{_ics_text(booking.reference)}",
        f"ORGANIZER:mailto:{organizer}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:{booking.email}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    if not booking.email:
        lines.remove(f"ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:{booking.email}")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def cohort_ics(enrolment, *, method: str = "REQUEST") -> str:
    """All sessions of the participant's cohort as one calendar file, one VEVENT per
    session, so public holidays that were left out are simply absent."""
    cohort = enrolment.cohort
    site = cohort.programme.site
    cancelled = method == "CANCEL"
    location = ", ".join(part for part in [site.name, site.room, site.address] if part)
    organizer = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    stamp = _ics_time(timezone.now())
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//JobLokal//Programme//DE"]
    lines.append(f"METHOD:{method}")
    for session in cohort.sessions.order_by("starts_at"):
        lines += [
            "BEGIN:VEVENT",
            f"UID:programme-{enrolment.pk}-{session.pk}@joblokal",
            f"SEQUENCE:{1 if cancelled else 0}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_ics_time(session.starts_at)}",
            f"DTEND:{_ics_time(session.ends_at)}",
            f"SUMMARY:{_ics_text(cohort.programme.name)} (JobLokal)",
            f"LOCATION:{_ics_text(location)}",
            f"ORGANIZER:mailto:{organizer}",
            f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
