"""Links that go out in mails: the manage link, the waiting-list offer and password resets."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

OFFER_SALT = "joblokal.waitlist-offer"


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


def manage_url(token: str) -> str:
    return settings.SITE_URL + reverse("appointments:manage", args=[token])


def short_manage_url(token: str) -> str:
    """The manage link in its short form, for SMS, slips and letters."""
    return settings.SITE_URL + reverse("appointments:short", args=[token])


def password_reset_url(user) -> str:
    # Made at send time, so the reset token is never stored in the outbox or the broker.
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("coaches:password_reset_confirm", args=[uid, token])
