"""Rendering a batch's booking notices once per shared part.

A batch of reminders (or moves, or cancellations) for one day renders the same subject,
text and HTML for every client of a slot, apart from a few values: the client's name,
the booking's reference and the manage link. `SharedParts` renders each kind, language
and slot once with a unique mark in place of each of these values, and puts every
client's values into the marked rendering: HTML-escaped where the template escaped
the mark, as they are where it did not. The result is the same text, byte for byte, as a
direct rendering (tests compare both for every kind and language with awkward values).

It shares nothing it cannot prove is the same for every client of the key:

- the template sees a stand-in for the booking that answers only the marked values and
  the keyed ones (`slot`, `slot_id`, `language`); reading anything else from it, or
  anything at all from the outbox row, makes that key unshareable, and its notices are
  rendered one by one as before;
- a mark that a filter changed, cut or escaped twice, or that decided an `if`, is found
  (every mark must come out whole, escaped once or not at all) and makes the key
  unshareable likewise;
- the parts live only as long as one batch, whose rows were loaded in one query: a key
  never outlives the data it was rendered from, and nothing is kept across batches.
"""

import re
import secrets

from django.utils.html import escape

from appointments.models import MailKind

# The notices whose templates read nothing per client but the marked values; others
# (the confirmation lists the client's needs) are rendered directly anyway, and the
# stand-in would catch them if they were listed here.
SHARED_KINDS = {MailKind.REMINDER, MailKind.BOOKING_MOVED, MailKind.BOOKING_CANCELLED}
MARKED = ("name", "reference", "manage_url")
KEYED = ("slot", "slot_id", "language")

# A NUL cannot come from the database or the templates, and the random core cannot come
# from a site's name: each marks only what this process put there.
_CORE = f"jlmark{secrets.token_hex(6)}"
_RAW = {field: f"\x00{_CORE}&{field}\x00" for field in MARKED}
_FOUND = re.compile(f"\x00{_CORE}(&|&amp;)({'|'.join(MARKED)})\x00")


class NotShared(Exception):  # noqa: N818 (a signal, not an error)
    """The template read something that differs between clients of a key."""


class _Mark(str):
    """A marked value; deciding anything by it (an `if`, a length) is not allowed."""

    __slots__ = ()

    def __bool__(self):
        raise NotShared("a marked value decided a condition")

    def __len__(self):
        raise NotShared("a marked value was measured")


class _MarkedBooking:
    """What the template sees of the booking: the marks, and the keyed values."""

    def __init__(self, booking):
        self._booking = booking

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in MARKED:
            return _Mark(_RAW[name])
        if name in KEYED:
            return getattr(self._booking, name)
        raise NotShared(f"booking.{name}")

    def __str__(self):
        raise NotShared("the booking itself")


class _Sealed:
    """The outbox row: per client throughout, so not to be read by a shared template."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotShared(f"mail.{name}")

    def __str__(self):
        raise NotShared("the outbox row itself")


def shareable(mail) -> bool:
    return (
        mail.kind in SHARED_KINDS
        and mail.booking is not None
        and mail.waitlist_entry_id is None
        and not (mail.enrolment_id or mail.application_id or mail.day_id or mail.user_id)
    )


class SharedParts:
    """The marked parts of one batch, by (kind, language, slot, row context, link)."""

    def __init__(self):
        self._parts = {}

    def render(self, mail, *, language: str, context: dict, render_parts):
        """The notice's (subject, text, HTML) through its key's shared rendering, or None
        when it cannot be shared: then the caller renders it directly."""
        booking = mail.booking
        key = (
            mail.kind,
            language,
            booking.slot_id,
            repr(sorted(mail.context.items())),
            "manage_url" in context,
        )
        if key not in self._parts:
            self._parts[key] = _marked_parts(mail.kind, language, context, render_parts)
        parts = self._parts[key]
        if parts is None:
            return None
        values = {"name": booking.name, "reference": booking.reference}
        values["manage_url"] = context.get("manage_url", "")
        return tuple(_fill(part, values) for part in parts)


def _marked_parts(name, language, context, render_parts):
    marked = {**context, "booking": _MarkedBooking(context["booking"]), "mail": _Sealed()}
    if "manage_url" in context:
        marked["manage_url"] = _Mark(_RAW["manage_url"])
    try:
        parts = render_parts(name, language=language, context=marked)
    except NotShared:
        return None
    if not all(_whole(part) for part in parts):
        return None
    return parts


def _whole(text: str) -> bool:
    """Every mark came out whole, escaped once or not at all."""
    found = len(_FOUND.findall(text))
    return text.count("\x00") == 2 * found and text.lower().count(_CORE) == found


def _fill(text: str, values: dict) -> str:
    def value(match):
        raw = str(values[match.group(2)])
        return raw if match.group(1) == "&" else escape(raw)

    return _FOUND.sub(value, text)
