"""The text of an SMS notice: short, in the client's language, from templates/sms/<kind>.txt.

An SMS names no more than the first name, date, time and place, a short link and the
operator's phone: a phone's lock screen shows it to whoever holds the phone.
"""

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.dateformat import time_format

from appointments.links import short_manage_url
from appointments.messages import offer_context
from appointments.models import MailKind, OutgoingMail
from appointments.sms import SmsGatewayError, TextMessage, e164
from joblokal.languages import comma

# Long names are cut so that every text stays within 320 characters (two or five SMS
# parts, depending on the alphabet); the test of every kind and language proves it.
FIRST_NAME_CHARS = 20
PLACE_CHARS = 40
# The notices whose SMS carries a fresh short manage link of the booking.
SHORT_LINK_KINDS = {MailKind.BOOKING_CONFIRMED, MailKind.BOOKING_MOVED, MailKind.REMINDER}


def build_text(mail: OutgoingMail, *, short_token: str | None = None) -> TextMessage:
    """The SMS for an outbox row of the SMS channel, addressed to the recipient's number."""
    recipient = mail.recipient
    context = {"name": first_name(recipient.name), "phone": settings.OPERATOR["phone"]}
    if mail.kind == MailKind.WAITLIST_OFFER:
        offer = offer_context(mail)
        context |= {"slot": offer["slot"], "link": offer["offer_url"], "until": offer["expires"]}
    else:
        context["slot"] = mail.booking.slot
        context["link"] = short_manage_url(short_token) if short_token else rebook_url(mail)
    site = context["slot"].day.site
    context["place"] = place(site)
    number = e164(recipient.phone)
    if not number:
        # Stored before numbers were checked, or edited since: staff see it failed.
        raise SmsGatewayError("no valid phone number", permanent=True)
    body = render_text(mail.kind, language=recipient.language, context=context)
    return TextMessage(to=number, body=body, reference=reference(mail))


def render_text(kind: str, *, language: str, context: dict) -> str:
    """Render templates/sms/<kind>.txt in a language, one sentence a line, no blank lines."""
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        text = render_to_string(f"sms/{kind}.txt", context | when(context))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def when(context: dict) -> dict:
    """Date and time in the active language, short: "Dienstag, 08.12." and "09:00"."""
    starts_at = timezone.localtime(context["slot"].starts_at)
    found = {
        "date": f"{date_format(starts_at, 'l')}{comma()} {date_format(starts_at, 'd.m.')}",
        "time": time_format(starts_at, "H:i"),
    }
    if context.get("until"):
        found["until"] = date_format(timezone.localtime(context["until"]), "d.m. H:i")
    return found


def shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,") + "…"


def first_name(name: str) -> str:
    parts = name.split()
    return shortened(parts[0], FIRST_NAME_CHARS) if parts else ""


def place(site) -> str:
    """The venue in a few words: "Rathaus, Wathlingen"; no room or street."""
    town = site.municipality.name
    return shortened(site.name if town in site.name else f"{site.name}, {town}", PLACE_CHARS)


def rebook_url(mail: OutgoingMail) -> str:
    """Where a client whose appointment was called off finds the next free days: the
    start page, searched for their municipality when its name is short enough."""
    town = mail.booking.day.site.municipality.name
    if len(town) > PLACE_CHARS:
        return f"{settings.SITE_URL}/"
    return f"{settings.SITE_URL}/?{urlencode({'q': town})}"


def reference(mail: OutgoingMail) -> str:
    # Stable per outbox row, like the mail's Message-ID, and unguessable: a gateway that
    # de-duplicates on it drops the rare resend after a crashed worker.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:sms:{mail.key}".encode()).hexdigest()
    return f"jl{mail.pk}-{digest[:16]}"
