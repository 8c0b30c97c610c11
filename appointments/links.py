"""Links that go out in mails: the manage link, the waiting-list offer and password resets."""

import functools
import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.urls import get_script_prefix, get_urlconf, reverse
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
    return settings.SITE_URL + _token_path("appointments:manage", token)


def short_manage_url(token: str) -> str:
    """The manage link in its short form, for SMS, slips and letters."""
    return settings.SITE_URL + _token_path("appointments:short", token)


# The characters of new_token and new_short_token: reverse() leaves them as they are.
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")
_MARK = "0joblokal0token0"


def _token_path(name: str, token: str) -> str:
    """reverse(name, args=[token]), without resolving the pattern again for each of a
    batch's mails: the path around a URL-safe token is the same every time."""
    if not _URL_SAFE.fullmatch(token):
        return reverse(name, args=[token])
    before, after = _around_token(name, get_script_prefix(), get_urlconf())
    return before + token + after


@functools.lru_cache(maxsize=32)
def _around_token(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    # Keyed by what reverse() reads besides the name, so a changed prefix or URLconf
    # (as in tests) gets its own entry.
    before, _, after = reverse(name, args=[_MARK], urlconf=urlconf).partition(_MARK)
    return before, after


def password_reset_url(user) -> str:
    # Made at send time, so the reset token is never stored in the outbox or the broker.
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("coaches:password_reset_confirm", args=[uid, token])
