"""The day page's cache: the rendered content of a day page, shared by every visitor and
keyed by (day, version, language, time filter).

The day's version is raised in the transaction of every change the page shows (seats,
status, times, coaches), so a new version is a new key and no entry is ever invalidated
by hand. What changes with the clock alone (a slot's booking window opening or closing,
the day beginning or ending) is covered by keeping an entry only until the next such
moment. Nothing per visitor goes in: the entry is rendered without a request (no CSRF
token, session, user or messages); base.html adds those around it on every request.

For a visitor who is not logged in and has no message waiting, the whole page around
the content is the same for everyone but the CSRF token of the language switch: the entry
then also keeps that whole page with a placeholder for the token, filled in per request.

A stale entry can never overbook: the booking path locks the day and re-checks the seat.
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import gettext as _

from appointments.models import DayStatus, OutreachDay, Slot
from joblokal import cache as kept

# An entry also ends after this long, so an edit of the venue's texts or a specialism
# (which do not raise the day's version) shows within minutes.
MAX_AGE = timedelta(minutes=10)
KEY_PREFIX = "day-page"
VERSION_SQL = "SELECT version FROM appointments_outreachday WHERE id = %s AND status <> %s"
# Only the time filter's own parameters are cached: any other query string would make a
# key per request, and the cache would fill with copies of the same page.
FILTER_PARAMETERS = {"von", "bis"}


@dataclass(frozen=True)
class DayPage:
    title: str
    content: str
    until: datetime  # the next moment the clock alone changes what the page shows
    digest: str
    # The whole page for visitors not logged in, kept.CSRF_MARK for the CSRF token.
    shell: str = ""

    def with_shell(self, shell: str) -> "DayPage":
        return replace(self, shell=shell)

    def etag(self, *, pk: int, version: int, visitor: str) -> str:
        return f'"{pk}-{version}-{self.digest}-{visitor}"'


def current_version(pk: int) -> int | None:
    """The day's version, or None if clients may not see the day (unknown or a draft)."""
    # Every view of the page runs this; plain SQL skips building the query each time.
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL, [pk, DayStatus.DRAFT])
        row = cursor.fetchone()
    return row[0] if row else None


def cache_key(*, pk: int, version: int, language: str, request, times) -> str | None:
    """The entry's key, or None for a page that is rendered but never stored: a time
    filter with errors, or a query string with anything but the filter."""
    if times.is_bound and not times.is_valid():
        return None
    parameters = dict(request.GET.lists())
    if not set(parameters) <= FILTER_PARAMETERS or any(len(v) > 1 for v in parameters.values()):
        return None
    # The whole path: the form shows the raw values back, the language switch returns
    # to the path.
    path_hash = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:16]
    return f"{KEY_PREFIX}:{pk}:{version}:{language}:{path_hash}"


def shared_page(request, key, page, now) -> str:
    """The whole page as every visitor who is not logged in sees it, with this visitor's
    CSRF token put in."""
    if not page.shell:
        placeholder = {"page": page, "csrf_token": kept.CSRF_MARK}
        shell = render_to_string("appointments/day.html", placeholder, request=request)
        page = page.with_shell(shell)
        kept.write_until(key, page, now)
    return kept.with_csrf_token(request, page.shell)


def visitor(request, language: str) -> str:
    """What of the visitor is on the page around the cached content (the language, the
    CSRF token in the language switch, a logged-in coach's menu), as a short hash."""
    who = request.user.pk if request.user.is_authenticated else ""
    seed = f"{language}|{request.COOKIES.get(settings.CSRF_COOKIE_NAME, '')}|{who}"
    return hashlib.sha256(seed.encode()).hexdigest()[:12]


def _slots_for_clients(now):
    """Slots with `bookable` annotated by the same rule the booking itself applies."""
    return Slot.objects.annotate(
        bookable=Exists(Slot.objects.bookable(now).filter(pk=OuterRef("pk")))
    )


def render_page(*, pk: int, times, now: datetime) -> DayPage | None:
    """Render the content of a day page for every visitor alike; None if not visible."""
    day = OutreachDay.objects.for_clients_page().filter(pk=pk).first()
    if day is None:
        return None
    slots = _slots_for_clients(now).on(day)
    if times.is_valid():
        slots = slots.within(day.date, times.cleaned_data["von"], times.cleaned_data["bis"])
    slots = list(slots)
    context = {
        "day": day,
        "slots": slots,
        "times": times,
        "filtered": times.is_bound and times.is_valid(),
        "can_wait": day.takes_waitlist(now) and not any(slot.bookable for slot in slots),
        "opens_later": day.is_published and now < day.booking_opens_at,
    }
    # No request: nothing of the visitor's (CSRF token, session, messages) is in here.
    content = render_to_string("appointments/includes/day_content.html", context)
    title = _("Beratungstag in %(place)s am %(date)s") % {
        "place": day.site.municipality.name,
        "date": formats.date_format(day.date, "DATE_FORMAT"),
    }
    return DayPage(
        title=title,
        content=content,
        until=_valid_until(day, slots, now),
        digest=hashlib.sha256(content.encode()).hexdigest()[:16],
    )


def _valid_until(day, slots, now: datetime) -> datetime:
    """The first moment after `now` at which the clock alone changes the page: a slot's
    booking window opens or closes, booking opens for the day, the day begins or ends."""
    opens = timedelta(days=settings.BOOKING_OPENS_DAYS)
    closes = timedelta(hours=settings.BOOKING_CLOSES_HOURS)
    moments = [day.starts_at, day.ends_at, day.booking_opens_at, now + MAX_AGE]
    # A slot stays bookable up to and including its closing moment.
    just_after = timedelta(microseconds=1)
    for slot in slots:
        moments += [slot.starts_at - opens, slot.starts_at - closes + just_after]
    return min(moment for moment in moments if moment > now)
