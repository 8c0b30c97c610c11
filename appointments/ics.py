"""The booking as an iCalendar file, built with the icalendar package (RFC 5545 escaping
and line folding)."""

from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone, translation
from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from appointments.models import Booking

# The calendar reminds the client this long before the appointment.
ALARM_BEFORE = timedelta(hours=1)


def booking_ics(booking: Booking, *, method: str = "REQUEST", manage_url: str = "") -> str:
    """The booking as an iCalendar event. The UID stays the same for the booking's whole
    life and SEQUENCE rises on each move, so calendar apps update the one event."""
    slot, site = booking.slot, booking.slot.day.site
    cancelled = method == "CANCEL"
    with translation.override(booking.language):
        summary = translation.gettext("Beratung Jobcenter (JobLokal)")
        description = _description(booking, manage_url)
        alarm_text = translation.gettext("Ihr Termin beim Jobcenter beginnt bald.")
    calendar = Calendar()
    calendar.add("prodid", "-//JobLokal//Termine//DE")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{booking.reference}@joblokal")
    # A cancellation must outrank the last version the calendar has seen.
    event.add("sequence", booking.sequence + (1 if cancelled else 0))
    event.add("dtstamp", timezone.now().astimezone(timezone.UTC))
    event.add("dtstart", slot.starts_at.astimezone(timezone.UTC))
    event.add("dtend", slot.ends_at.astimezone(timezone.UTC))
    event.add("summary", summary)
    event.add("location", ", ".join(p for p in [site.name, site.room, site.address] if p))
    event.add("description", description)
    if manage_url and not cancelled:
        event.add("url", manage_url)
    event.add("organizer", vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}"))
    if booking.email:
        attendee = vCalAddress(f"mailto:{booking.email}")
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", alarm_text)
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _description(booking: Booking, manage_url: str) -> str:
    lines = [f"{translation.gettext('Buchungsnummer')}: {booking.reference}"]
    if manage_url:
        lines.append(f"{translation.gettext('Absagen oder verschieben:')} {manage_url}")
    return "\n".join(lines)


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
    organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
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
