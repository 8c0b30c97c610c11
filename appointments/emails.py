"""Outgoing mail: queue a notice in the transaction that causes it, deliver it later.

`queue_mail` writes an OutgoingMail row and hands its id to Celery once the transaction
commits. `deliver` claims the row, builds the message from templates in the recipient's
language, sends it, and marks it sent; SMTP is never called inside a transaction.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from appointments.models import Booking, MailKind, MailStatus, OutgoingMail

ICS_KINDS = {
    MailKind.BOOKING_CONFIRMED: "REQUEST",
    MailKind.BOOKING_MOVED: "REQUEST",
    MailKind.REMINDER: "REQUEST",
    MailKind.BOOKING_CANCELLED: "CANCEL",
    MailKind.DAY_CANCELLED: "CANCEL",
}


def queue_mail(
    *,
    kind: str,
    booking: Booking | None = None,
    waitlist_entry=None,
    user=None,
    key: str | None = None,
    context: dict | None = None,
) -> OutgoingMail | None:
    """Record a notice to send and enqueue it after commit; queued once per key."""
    recipient = booking or waitlist_entry or user
    if recipient is None or not recipient.email:
        return None  # No address, no mail: the client was told no reminder will come.
    if key is None:
        assert booking is not None, "mails without a booking need an explicit key"
        key = f"{kind}:{booking.pk}:{booking.sequence}"
    mail, created = OutgoingMail.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "booking": booking,
            "waitlist_entry": waitlist_entry,
            "user": user,
            "context": context or {},
        },
    )
    if created:
        from appointments.tasks import send_outgoing_mail

        send_outgoing_mail.delay_on_commit(mail.pk)
    return mail


def claim(mail_id: int) -> bool:
    """Compare-and-set: only one worker may send a given row."""
    return (
        OutgoingMail.objects.filter(
            pk=mail_id, status__in=[MailStatus.QUEUED, MailStatus.RETRYING]
        ).update(status=MailStatus.SENDING, claimed_at=timezone.now())
        == 1
    )


def deliver(mail_id: int) -> bool:
    """Send one queued mail; returns True if this call sent it."""
    if not claim(mail_id):
        return False
    mail = OutgoingMail.objects.select_related(
        "booking__slot__day__site__municipality", "waitlist_entry", "user"
    ).get(pk=mail_id)
    try:
        message = build_message(mail)
        if message is not None:
            message.send(using="default")
    except Exception as error:
        OutgoingMail.objects.filter(pk=mail_id).update(
            status=MailStatus.RETRYING,
            attempts=mail.attempts + 1,
            last_error=f"{type(error).__name__}: {error}"[:500],
        )
        raise
    OutgoingMail.objects.filter(pk=mail_id).update(
        status=MailStatus.SENT, sent_at=timezone.now(), attempts=mail.attempts + 1, last_error=""
    )
    return True


def mark_failed(mail_id: int, error: BaseException) -> None:
    OutgoingMail.objects.filter(pk=mail_id).update(
        status=MailStatus.FAILED, last_error=f"{type(error).__name__}: {error}"[:500]
    )


def build_message(mail: OutgoingMail) -> EmailMultiAlternatives | None:
    booking = mail.booking
    recipient = booking or mail.waitlist_entry or mail.user
    if recipient is None or not recipient.email:
        return None  # Erased or withdrawn since it was queued.
    language = getattr(recipient, "language", settings.LANGUAGE_CODE)
    context = {
        "mail": mail,
        "booking": booking,
        "entry": mail.waitlist_entry,
        "site_url": settings.SITE_URL,
        **mail.context,
    }
    if booking is not None and booking.is_active:
        from appointments.services import issue_token

        context["manage_url"] = manage_url(issue_token(booking=booking))
    if mail.kind == MailKind.PASSWORD_RESET:
        if not mail.user.is_active:
            return None
        context["reset_url"] = password_reset_url(mail.user)
    return make_message(
        mail.kind,
        to=recipient.email,
        language=language,
        context=context,
        ics=booking_ics(booking, method=ICS_KINDS[mail.kind])
        if booking and mail.kind in ICS_KINDS
        else None,
    )


def make_message(name, *, to, language, context, ics=None) -> EmailMultiAlternatives:
    """Build an email from emails/<name>-subject.txt, -body.txt and -body.html."""
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        subject = render_to_string(f"emails/{name}-subject.txt", context).strip()
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=[to])
    message.attach_alternative(html, "text/html")
    if ics:
        method = "CANCEL" if "METHOD:CANCEL" in ics else "REQUEST"
        message.attach("termin.ics", ics, f"text/calendar; charset=utf-8; method={method}")
    return message


def manage_url(token: str) -> str:
    return settings.SITE_URL + reverse("appointments:manage", args=[token])


def password_reset_url(user) -> str:
    # Made at send time, so the reset token is never stored in the outbox or the broker.
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("coaches:password_reset_confirm", args=[uid, token])


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
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//JobLokal//Termine//DE",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{booking.reference}@joblokal",
        f"SEQUENCE:{booking.sequence + (1 if cancelled else 0)}",
        f"DTSTAMP:{_ics_time(timezone.now())}",
        f"DTSTART:{_ics_time(slot.starts_at)}",
        f"DTEND:{_ics_time(slot.ends_at)}",
        f"SUMMARY:{_ics_text(summary)}",
        f"LOCATION:{_ics_text(location)}",
        f"DESCRIPTION:{_ics_text(booking.reference)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
