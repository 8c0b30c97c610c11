"""Message building: a notice's subject, text and HTML from templates, in the recipient's
language, with its calendar file and links."""

import hashlib

from django.conf import settings
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from appointments.ics import booking_ics, cohort_ics
from appointments.links import manage_url, offer_token, password_reset_url
from appointments.message_parts import SharedParts, shareable
from appointments.mime import Notice, sender_address
from appointments.models import (
    ACTIVE_STATUSES,
    Booking,
    MailKind,
    OutgoingMail,
    OutreachDay,
    Slot,
)

ICS_KINDS = {
    MailKind.BOOKING_CONFIRMED: "REQUEST",
    MailKind.BOOKING_MOVED: "REQUEST",
    MailKind.REMINDER: "REQUEST",
    MailKind.BOOKING_CANCELLED: "CANCEL",
    MailKind.DAY_CANCELLED: "CANCEL",
    MailKind.ENROLMENT_CONFIRMED: "REQUEST",
    MailKind.COHORT_PUBLISHED: "REQUEST",
    MailKind.COHORT_CANCELLED: "CANCEL",
}


def build_message(
    mail: OutgoingMail, manage_token: str | None = None, *, shared: SharedParts | None = None
) -> Notice:
    """The notice for an outbox row. With `shared` (one per batch), a booking notice's
    parts come from its batch's shared rendering where that is provably the same."""
    booking = mail.booking
    recipient = mail.recipient
    language = getattr(recipient, "language", settings.LANGUAGE_CODE)
    context = {
        "mail": mail,
        "booking": booking,
        "entry": mail.waitlist_entry,
        "site_url": settings.SITE_URL,
        "operator": settings.OPERATOR,
        **mail.context,
    }
    if manage_token:
        context["manage_url"] = manage_url(manage_token)
    if mail.kind == MailKind.DAY_CANCELLED:
        context["free_days"] = next_free_days(booking)
        context["cancel_reason"] = booking.day.cancel_reason
    if mail.kind == MailKind.WAITLIST_OFFER:
        context.update(offer_context(mail))
    if mail.kind == MailKind.PASSWORD_RESET:
        context["reset_url"] = password_reset_url(mail.user)
    if mail.enrolment_id:
        context.update(programme_context(mail))
    if mail.application_id:
        context.update(application_context(mail))
    if mail.day_id:
        context.update(venue_context(mail))
    if mail.kind == MailKind.ABSENCE_FLAGGED:
        url = reverse("coaches:cohort", args=[mail.context.get("cohort_id", 0)])
        context["cohort_url"] = settings.SITE_URL + url
    ics = calendar_file(mail, manage_url=context.get("manage_url", ""))
    parts = None
    if shared is not None and shareable(mail):
        parts = shared.render(mail, language=language, context=context, render_parts=render_parts)
    if parts is None:
        parts = render_parts(mail.kind, language=language, context=context)
    return _notice(parts, to=recipient.email, ics=ics, message_id=message_id(mail))


def calendar_file(mail: OutgoingMail, *, manage_url: str = "") -> str | None:
    """The notice's calendar file: the booking, or all sessions of a programme place."""
    if mail.kind not in ICS_KINDS:
        return None
    if mail.enrolment_id:
        return cohort_ics(mail.enrolment, method=ICS_KINDS[mail.kind])
    if mail.booking is None:
        return None
    return booking_ics(mail.booking, method=ICS_KINDS[mail.kind], manage_url=manage_url)


def programme_context(mail: OutgoingMail) -> dict:
    """The participant, cohort, programme and sessions a programme notice names."""
    enrolment = mail.enrolment
    cohort = enrolment.cohort
    sessions = list(cohort.sessions.order_by("starts_at"))
    upcoming = [s for s in sessions if s.starts_at > timezone.now()]
    return {
        "person": enrolment.person,
        "cohort": cohort,
        "programme": cohort.programme,
        "site": cohort.programme.site,
        "sessions": sessions,
        "next_session": upcoming[0] if upcoming else None,
    }


def application_context(mail: OutgoingMail) -> dict:
    """The applicant, cohort and programme an answer to an application names."""
    cohort = mail.application.cohort
    return {
        "application": mail.application,
        "cohort": cohort,
        "programme": cohort.programme,
        "site": cohort.programme.site,
    }


def venue_context(mail: OutgoingMail) -> dict:
    """The days a notice to a venue is about, and for a day list its figures: times,
    booked places and needs as counts. No client is named."""
    day = mail.day
    day_ids = mail.context.get("day_ids") or [day.pk]
    days = OutreachDay.objects.filter(pk__in=day_ids).select_related("site__municipality")
    context = {
        "day": day,
        "site": day.site,
        "days": list(days.order_by("starts_at")),
        "day_url": settings.SITE_URL + reverse("appointments:day", args=[day.pk]),
    }
    if mail.kind == MailKind.VENUE_DAY_LIST:
        context.update(day_list_figures(day))
    return context


def day_list_figures(day: OutreachDay) -> dict:
    """Booked places per slot and the needs of the day, counted."""
    active = Q(bookings__status__in=ACTIVE_STATUSES)
    slots = day.slots.order_by("starts_at").annotate(booked=Count("bookings", filter=active))
    bookings = Booking.objects.filter(day=day, status__in=ACTIVE_STATUSES)
    needs = bookings.aggregate(
        step_free=Count("pk", filter=Q(need_step_free=True)),
        child=Count("pk", filter=Q(need_child=True)),
    )
    languages = (
        bookings.exclude(interpreter_language="")
        .values_list("interpreter_language")
        .annotate(n=Count("pk"))
        .order_by("interpreter_language")
    )
    slots = list(slots)
    return {
        "slots": slots,
        "booked": sum(slot.booked for slot in slots),
        "needs": needs,
        "languages": list(languages),
    }


def message_id(mail: OutgoingMail) -> str:
    # Stable per outbox row: the rare resend after a crash carries the same Message-ID,
    # which lets mail systems recognise it as the same message.
    domain = sender_address(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2] or "joblokal"
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{mail.key}".encode()).hexdigest()[:20]
    return f"<{mail.pk}.{digest}@{domain}>"


def next_free_days(booking: Booking, limit: int = 3) -> list[OutreachDay]:
    """The next published days with a free slot in the booking's municipality."""
    slots = Slot.objects.bookable().filter(
        day__site__municipality_id=booking.day.site.municipality_id
    )
    return list(
        OutreachDay.objects.filter(pk__in=slots.values("day_id"))
        .select_related("site__municipality")
        .order_by("starts_at")[:limit]
    )


def offer_context(mail: OutgoingMail) -> dict:
    entry = mail.waitlist_entry
    slot = entry.offered_slot
    url = reverse("appointments:waitlist_offer", args=[offer_token(entry.pk, slot.pk)])
    return {"slot": slot, "offer_url": settings.SITE_URL + url, "expires": entry.offer_expires_at}


def make_message(name, *, to, language, context, ics=None, message_id=None) -> Notice:
    """Build an email from emails/<name>-subject.txt, -body.txt and -body.html."""
    parts = render_parts(name, language=language, context=context)
    return _notice(parts, to=to, ics=ics, message_id=message_id)


def render_parts(name, *, language, context) -> tuple[str, str, str]:
    """The subject, text and HTML templates of a notice, rendered as they are."""
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        return (
            render_to_string(f"emails/{name}-subject.txt", context),
            render_to_string(f"emails/{name}-body.txt", context),
            render_to_string(f"emails/{name}-body.html", context),
        )


def _notice(parts, *, to, ics, message_id) -> Notice:
    subject, text, html = parts
    return Notice(
        to=to,
        subject=" ".join(subject.split()),
        body=text,
        html=html,
        ics=ics,
        message_id=message_id,
    )
