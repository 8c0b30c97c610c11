"""Outgoing mail: queue a notice in the transaction that causes it, deliver it later.

`queue_mail` writes an OutgoingMail row and hands its id to Celery once the transaction
commits. `deliver` claims the row, builds the message from templates in the recipient's
language, sends it, and marks it sent; SMTP is never called inside a transaction.

Delivery is at least once: a row that is queued, sending or retrying for too long is
handed to the queue again by `requeue_stuck_mail`. It is sent at most once, except in one
narrow window: a worker killed after the SMTP server accepted a message but before the
row was marked sent. That message goes out again, with the same Message-ID.
"""

import contextlib
import hashlib
import logging
import smtplib
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from appointments.models import (
    Booking,
    BookingStatus,
    BookingToken,
    MailKind,
    MailStatus,
    OutgoingMail,
    OutreachDay,
    Slot,
    WaitlistStatus,
    hash_token,
)

logger = logging.getLogger(__name__)

ICS_KINDS = {
    MailKind.BOOKING_CONFIRMED: "REQUEST",
    MailKind.BOOKING_MOVED: "REQUEST",
    MailKind.REMINDER: "REQUEST",
    MailKind.BOOKING_CANCELLED: "CANCEL",
    MailKind.DAY_CANCELLED: "CANCEL",
}
# Notices that carry a fresh manage link for the booking.
MANAGE_LINK_KINDS = {MailKind.BOOKING_CONFIRMED, MailKind.BOOKING_MOVED, MailKind.REMINDER}
OFFER_SALT = "joblokal.waitlist-offer"


class PermanentMailError(Exception):
    """The mail can never be delivered as it is (bad address, 5xx answer)."""


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
        enqueue(mail.pk)
    return mail


def enqueue(mail_id: int) -> None:
    from appointments.tasks import send_outgoing_mail

    # After commit, so the worker always finds the row; if the process dies before the
    # publish, requeue_stuck_mail finds the row later.
    send_outgoing_mail.delay_on_commit(mail_id)


def claim(mail_id: int) -> bool:
    """Compare-and-set: only one worker may send a given row."""
    return (
        OutgoingMail.objects.filter(
            pk=mail_id, status__in=[MailStatus.QUEUED, MailStatus.RETRYING]
        ).update(status=MailStatus.SENDING, claimed_at=timezone.now())
        == 1
    )


def deliver(mail_id: int) -> bool:
    """Send one queued mail; returns True if this call sent it.

    Raises PermanentMailError (row marked failed) or the transient error (row marked
    retrying) so the task can decide about a retry.
    """
    # Claim, re-check and issue the link in one short transaction (one commit); the
    # SMTP conversation happens after it, outside any transaction.
    with transaction.atomic():
        if not claim(mail_id):
            return False
        mail = OutgoingMail.objects.select_related(
            "booking__slot__day__site__municipality", "waitlist_entry", "user"
        ).get(pk=mail_id)
        reason = obsolete_reason(mail)
        if reason:
            _finish(mail, MailStatus.SKIPPED, error=reason)
            return False
        token = None
        if mail.booking is not None and mail.kind in MANAGE_LINK_KINDS:
            from appointments.services import issue_token

            token = issue_token(booking=mail.booking)
    try:
        message = build_message(mail, manage_token=token)
        send_message(message)
    except Exception as error:
        if token:
            # The link never reached anyone; the next attempt issues its own.
            BookingToken.objects.filter(token_hash=hash_token(token)).delete()
        if is_permanent(error):
            _finish(mail, MailStatus.FAILED, error=_describe(error))
            raise PermanentMailError(_describe(error)) from error
        _finish(mail, MailStatus.RETRYING, error=_describe(error))
        raise
    _finish(mail, MailStatus.SENT)
    return True


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _finish(mail: OutgoingMail, status: str, *, error: str = "") -> None:
    fields = {"status": status, "last_error": error}
    rows = OutgoingMail.objects.filter(pk=mail.pk)
    if status != MailStatus.SKIPPED:
        fields["attempts"] = mail.attempts + 1
    if status == MailStatus.SENT:
        fields["sent_at"] = timezone.now()
    else:
        # A failure only moves a row this worker still holds; "sent" always wins, so a
        # row the sweep handed out again meanwhile is not sent a second time.
        rows = rows.filter(status=MailStatus.SENDING)
    rows.update(**fields)


def is_permanent(error: BaseException) -> bool:
    """A 5xx answer or a refused address will not heal by waiting; all else may."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return False
    return not isinstance(error, smtplib.SMTPException | OSError)


def mark_failed(mail_id: int, error: BaseException) -> None:
    OutgoingMail.objects.filter(pk=mail_id).exclude(status=MailStatus.SENT).update(
        status=MailStatus.FAILED, last_error=_describe(error)
    )


def retry_failed_mail(*, mail_ids) -> int:
    """Queue failed mails again (admin action); returns how many were queued."""
    ids = list(
        OutgoingMail.objects.filter(pk__in=mail_ids, status=MailStatus.FAILED).values_list(
            "pk", flat=True
        )
    )
    count = 0
    for mail_id in ids:
        requeued = OutgoingMail.objects.filter(pk=mail_id, status=MailStatus.FAILED).update(
            status=MailStatus.QUEUED, claimed_at=timezone.now()
        )
        if requeued:
            enqueue(mail_id)
            count += 1
    return count


def requeue_stuck_mail(*, now: datetime | None = None, older_than: timedelta | None = None) -> int:
    """Hand rows that were lost on the way to or inside a worker to the queue again.

    Queued rows whose message never reached the broker, sending rows whose worker died,
    retrying rows whose retry message was lost. Each row is taken with a compare-and-set
    on its claimed_at, so two sweeps never queue it twice; a second message for a row
    is harmless anyway, because deliver() claims before it sends.
    """
    now = now or timezone.now()
    if older_than is None:
        older_than = timedelta(minutes=settings.MAIL_STUCK_MINUTES)
    stale = now - older_than
    retry_stale = stale - timedelta(seconds=settings.MAIL_RETRY_BACKOFF_MAX_SECONDS)
    rows = (
        OutgoingMail.objects.alias(touched=Coalesce("claimed_at", "created_at"))
        .filter(
            Q(status__in=[MailStatus.QUEUED, MailStatus.SENDING], touched__lt=stale)
            | Q(status=MailStatus.RETRYING, touched__lt=retry_stale)
        )
        .values_list("pk", "status", "claimed_at")
    )
    count = 0
    for mail_id, status, claimed_at in rows:
        new_status = MailStatus.QUEUED if status == MailStatus.QUEUED else MailStatus.RETRYING
        taken = OutgoingMail.objects.filter(
            pk=mail_id, status=status, claimed_at=claimed_at
        ).update(status=new_status, claimed_at=now)
        if taken:
            enqueue(mail_id)
            count += 1
    if count:
        logger.warning("Handed %d stuck outgoing mails to the queue again.", count)
    return count


def obsolete_reason(mail: OutgoingMail) -> str:
    """Why a queued mail no longer applies, or "" if it should go out."""
    recipient = mail.booking or mail.waitlist_entry or mail.user
    if recipient is None or not recipient.email:
        return "no address (erased or withdrawn)"
    if mail.kind == MailKind.REMINDER:
        booking = mail.booking
        if booking.status != BookingStatus.CONFIRMED:
            return "booking no longer confirmed"
        if booking.sequence != mail.context.get("sequence", booking.sequence):
            return "booking was moved"
        if booking.slot.starts_at <= timezone.now():
            return "appointment has begun"
    if mail.kind == MailKind.WAITLIST_OFFER:
        entry = mail.waitlist_entry
        if (
            entry.status != WaitlistStatus.OFFERED
            or entry.offered_slot_id != mail.context.get("slot_id")
            or not entry.offer_expires_at
            or entry.offer_expires_at <= timezone.now()
        ):
            return "offer no longer open"
    if mail.kind == MailKind.PASSWORD_RESET and not mail.user.is_active:
        return "account disabled"
    return ""


def build_message(mail: OutgoingMail, manage_token: str | None = None) -> EmailMultiAlternatives:
    booking = mail.booking
    recipient = booking or mail.waitlist_entry or mail.user
    language = getattr(recipient, "language", settings.LANGUAGE_CODE)
    context = {
        "mail": mail,
        "booking": booking,
        "entry": mail.waitlist_entry,
        "site_url": settings.SITE_URL,
        **mail.context,
    }
    if manage_token:
        context["manage_url"] = manage_url(manage_token)
    if mail.kind == MailKind.DAY_CANCELLED:
        context["free_days"] = next_free_days(booking)
    if mail.kind == MailKind.WAITLIST_OFFER:
        context.update(offer_context(mail))
    if mail.kind == MailKind.PASSWORD_RESET:
        context["reset_url"] = password_reset_url(mail.user)
    return make_message(
        mail.kind,
        to=recipient.email,
        language=language,
        context=context,
        ics=booking_ics(booking, method=ICS_KINDS[mail.kind])
        if booking and mail.kind in ICS_KINDS
        else None,
        message_id=message_id(mail),
    )


def message_id(mail: OutgoingMail) -> str:
    # Stable per outbox row: the rare resend after a crash carries the same Message-ID,
    # which lets mail systems recognise it as the same message.
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "joblokal"
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


def offer_token(entry_id: int, slot_id: int) -> str:
    """A signed, unforgeable offer link token; the offer's state lives in the database."""
    return signing.dumps({"e": entry_id, "s": slot_id}, salt=OFFER_SALT, compress=True)


def read_offer_token(token: str) -> tuple[int, int] | None:
    try:
        data = signing.loads(
            token, salt=OFFER_SALT, max_age=timedelta(hours=settings.WAITLIST_OFFER_HOURS + 1)
        )
        return int(data["e"]), int(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def offer_context(mail: OutgoingMail) -> dict:
    entry = mail.waitlist_entry
    slot = entry.offered_slot
    url = reverse("appointments:waitlist_offer", args=[offer_token(entry.pk, slot.pk)])
    return {"slot": slot, "offer_url": settings.SITE_URL + url, "expires": entry.offer_expires_at}


_mailer = {"config": None, "backend": None}


def send_message(message: EmailMultiAlternatives) -> None:
    """Send through one connection kept open per worker process; a connection the
    server closed while idle is opened again once."""
    backend, reused = _open_mailer()
    try:
        backend.send_messages([message])
    except smtplib.SMTPServerDisconnected:
        _drop_mailer()
        if not reused:
            raise
        backend, _ = _open_mailer()
        try:
            backend.send_messages([message])
        except Exception:
            _drop_mailer()
            raise
    except Exception:
        _drop_mailer()
        raise


def _open_mailer():
    config = repr(settings.MAILERS.get("default"))
    if _mailer["backend"] is not None and _mailer["config"] == config:
        return _mailer["backend"], True
    _drop_mailer()
    backend = mailers["default"]
    backend.open()
    _mailer.update(config=config, backend=backend)
    return backend, False


def _drop_mailer() -> None:
    backend, _mailer["backend"] = _mailer["backend"], None
    if backend is not None:
        # The connection is being thrown away anyway.
        with contextlib.suppress(Exception):
            backend.close()


def make_message(
    name, *, to, language, context, ics=None, message_id=None
) -> EmailMultiAlternatives:
    """Build an email from emails/<name>-subject.txt, -body.txt and -body.html."""
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        subject = render_to_string(f"emails/{name}-subject.txt", context).strip()
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    headers = {"Auto-Submitted": "auto-generated"}
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=[to], headers=headers
    )
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
