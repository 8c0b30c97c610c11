"""The manage page's cache: the rendered page behind a booking's secret link, keyed by
(booking, the day's version, the booking's own state, language).

Every request first reads the booking's state by the hash of its token, in one narrow
statement: a token that was never issued, or was deleted with the booking's personal
data, is a 404 before the cache is asked. The key then changes with everything the page
shows: the day's version is raised by every seat and day change (times, status,
coaches); the booking's state holds its status, slot, move count and last change, the
accompaniment it offers to withdraw, and whether it can still be changed (so the page
turns read-only when the appointment begins). Nothing is invalidated by hand. The
venue's texts and the topics' names change neither; an entry ends after MAX_AGE, so
such an edit shows within minutes, and personal data stays in the cache no longer.

Nothing per visitor or per link goes in: the secret token (a booking may have several
links, one per mail) and the CSRF token are placeholders, filled in per request. The
cache is shared with nobody but the holders of the booking's own links, as the key
starts with the booking's id, found through the token.
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import connection
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from appointments import services
from appointments.models import Booking, BookingStatus, hash_token
from joblokal import cache as kept

MAX_AGE = timedelta(minutes=10)
KEY_PREFIX = "manage-page"
# Rendered in place of the secret token in every link, replaced per request. URL-safe,
# so `{% url %}` keeps it as it is.
TOKEN_MARK = "jl-token-mark-8e4f"  # noqa: S105 - a placeholder, not a secret
# A manage token is 32 characters (26 for a short one); anything longer is no token.
MAX_TOKEN_LENGTH = 64
# Every request runs this; plain SQL skips building an ORM query each time. The
# accompaniment whose withdrawal the page offers comes by a subquery: as two more LEFT
# JOINs, PostgreSQL took several times longer to plan the statement than to run it.
STATE_SQL = """
SELECT b.id, d.version, b.status, b.slot_id, b.sequence, b.updated_at,
       (SELECT p.status FROM coaches_personvisit v JOIN coaches_person p ON p.id = v.person_id
        WHERE v.booking_id = b.id),
       b.status = %s AND s.starts_at > %s
FROM appointments_bookingtoken t
JOIN appointments_booking b ON b.id = t.booking_id
JOIN appointments_slot s ON s.id = b.slot_id
JOIN appointments_outreachday d ON d.id = s.day_id
WHERE t.token_hash = %s AND b.anonymised_at IS NULL
"""


@dataclass(frozen=True)
class State:
    """What of a booking decides its manage page, read on every request."""

    booking_id: int
    version: int
    fingerprint: str  # the booking's own state, as a short hash

    def key(self, language: str) -> str:
        return f"{KEY_PREFIX}:{self.booking_id}:{self.version}:{self.fingerprint}:{language}"


@dataclass(frozen=True)
class ManagePage:
    content: str  # the page's main content, TOKEN_MARK and kept.CSRF_MARK in it
    # The whole page for visitors not logged in, with the same marks.
    shell: str = ""

    def with_shell(self, shell: str) -> "ManagePage":
        return replace(self, shell=shell)


def _fingerprint(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def current_state(token: str, now: datetime) -> State | None:
    """The state of the booking behind a secret link, or None for any other string."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    with connection.cursor() as cursor:
        cursor.execute(STATE_SQL, [BookingStatus.CONFIRMED, now, hash_token(token)])
        row = cursor.fetchone()
    if row is None:
        return None
    booking_id, version, *own = row
    # SQLite answers the comparison with 0/1, PostgreSQL with a boolean.
    own[-1] = bool(own[-1])
    return State(booking_id=booking_id, version=version, fingerprint=_fingerprint(*own))


def for_page(booking_id: int) -> Booking | None:
    """The booking with everything its page shows (venue, topics, accompaniment)."""
    return (
        Booking.objects.select_related("slot__day__site__municipality", "person_visit__person")
        .prefetch_related("topics")
        .filter(pk=booking_id, anonymised_at=None)
        .first()
    )


def cached(key: str) -> ManagePage | None:
    return kept.read(key)


def store(key: str, page: ManagePage) -> None:
    kept.write(key, page, MAX_AGE.total_seconds())


def forget(state: State, languages) -> None:
    """Drop the entries of a booking whose personal data was just erased, so none of it
    waits in the cache for MAX_AGE (its links answer 404 at once either way)."""
    kept.forget_many([state.key(language) for language in languages])


def render_page(booking: Booking, now: datetime) -> ManagePage:
    """Render the page's content as every holder of the booking's links sees it.

    The booking is loaded after the state was read, so a change in between puts the
    newer content under the older key, which no later request asks for."""
    context = {
        "booking": booking,
        "token": TOKEN_MARK,
        "csrf_token": kept.CSRF_MARK,
        "erasure_due": services.erasure_due(day=booking.slot.day),
        "can_change": booking.can_change(now),
    }
    # No request: nothing of the visitor's (session, messages, user) is in here.
    content = render_to_string("appointments/includes/manage_content.html", context)
    return ManagePage(content=content)


def shell_of(request, page: ManagePage, token: str) -> ManagePage:
    """The page with the whole layout around its content, as every visitor who is not
    logged in sees it; the layout's own links to this path get the mark as well."""
    context = {"content": mark_safe(page.content), "csrf_token": kept.CSRF_MARK}  # noqa: S308
    html = render_to_string("appointments/manage.html", context, request=request)
    return page.with_shell(html.replace(token, TOKEN_MARK))


def personalise(request, html: str, token: str) -> str:
    """A cached page with this link's token and this visitor's CSRF token put in."""
    # Both tokens are URL-safe (letters, digits, "-" and "_"): nothing needs escaping.
    return kept.with_csrf_token(request, html.replace(TOKEN_MARK, token))
