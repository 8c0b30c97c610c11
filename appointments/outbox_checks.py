"""Whether a queued notice still applies when a worker takes it: the recipient can still
be reached by its channel, and what it announces still holds."""

from django.utils import timezone

from appointments.models import BookingStatus, DayStatus, MailKind, OutgoingMail
from appointments.models.outbox import MessageChannel


def wants_sms(recipient) -> bool:
    """Whether notices go to this client by SMS: they agreed, and gave a number."""
    return bool(getattr(recipient, "sms_consent", False) and recipient.phone)


def obsolete_reason(mail: OutgoingMail) -> str:
    """Why a queued mail no longer applies, or "" if it should go out."""
    recipient = mail.recipient
    if mail.channel == MessageChannel.SMS:
        if recipient is None or not wants_sms(recipient):
            return "no mobile number or no SMS consent (erased or withdrawn)"
    elif recipient is None or not recipient.email:
        return "no address (erased or withdrawn)"
    if mail.enrolment_id:
        return programme_mail_obsolete(mail)
    if mail.day_id:
        return venue_mail_obsolete(mail)
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
        if not entry.offer_is_open(slot_id=mail.context.get("slot_id"), now=timezone.now()):
            return "offer no longer open"
    if mail.kind == MailKind.PASSWORD_RESET and not mail.user.is_active:
        return "account disabled"
    return ""


def programme_mail_obsolete(mail: OutgoingMail) -> str:
    """Why a programme notice no longer applies: the person's consent has ended, or a
    missed session was marked otherwise since."""
    enrolment = mail.enrolment
    if enrolment.person.status != "active" or enrolment.person.anonymised_at:
        return "accompaniment ended"
    if mail.kind == MailKind.SESSION_MISSED:
        mark = enrolment.attendances.filter(session_id=mail.context.get("session_id"))
        if not mark.filter(mark="absent").exists():
            return "no longer marked absent"
    if mail.kind == MailKind.PROGRAMME_REMINDER:
        if enrolment.status != "active" or enrolment.cohort.status != "published":
            return "participation or cohort ended"
        if not enrolment.cohort.sessions.filter(starts_at__gt=timezone.now()).exists():
            return "programme has begun"
    return ""


def venue_mail_obsolete(mail: OutgoingMail) -> str:
    """Why a notice to a venue no longer applies: a day list for a day that was cancelled
    or has begun. Publishing and cancelling notices always go out."""
    day = mail.day
    if mail.kind == MailKind.VENUE_DAY_LIST:
        if day.status != DayStatus.PUBLISHED:
            return "day no longer published"
        if day.starts_at <= timezone.now():
            return "day has begun"
    return ""
