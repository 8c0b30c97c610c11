"""The start page's shared copy: the whole page as every visitor who is not logged in
sees it, per language and query (search, Landkreis, municipality, page), with a
placeholder for the CSRF token of the language switch, filled in per request.

An entry is keyed by the newest `OutreachDay.changed_at`, set in the transaction of every
change a card shows (seats, status, times, coaches: wherever a day's version is raised,
and on every save of a day), so any such change is a new key. What changes with the clock
alone (a day ending, a slot's booking window opening or closing) ends an entry at the
next such moment. Names of municipalities, villages, venues and specialisms, and a
municipality made active or inactive, raise no day's version: they show within MAX_AGE.

A stale entry can never overbook: the booking path locks the day and re-checks the seat.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min, Q

from appointments.models import Slot

KEY_PREFIX = "start-page"
MAX_AGE = timedelta(minutes=10)
# changed_at is the time of the changing statement, which commits a moment later: a page
# rendered while such a transaction is still open would miss it under the same marker.
# Entries rendered that close to the newest change are kept no longer than this.
SETTLE = timedelta(seconds=5)
# Only the search form's and the pager's parameters are cached, each once: any other
# query string would make a key per request for the same page.
PARAMETERS = {"q", "landkreis", "gemeinde", "seite"}
MAX_PATH = 200


@dataclass(frozen=True)
class StartPage:
    html: str
    until: datetime  # the next moment the clock alone changes what the page shows


def cache_key(request, *, language: str, marker: datetime | None) -> str | None:
    """The entry's key, or None for a page that is rendered but never stored."""
    parameters = dict(request.GET.lists())
    if not set(parameters) <= PARAMETERS or any(len(v) > 1 for v in parameters.values()):
        return None
    path = request.get_full_path()
    if len(path) > MAX_PATH:
        return None
    # The whole path: the form shows the raw values back, the language switch returns to it.
    path_hash = hashlib.sha256(path.encode()).hexdigest()[:16]
    stamp = marker.isoformat() if marker else "-"
    return f"{KEY_PREFIX}:{language}:{stamp}:{path_hash}"


def valid_until(days, *, now: datetime, marker: datetime | None) -> datetime:
    """The first moment after `now` at which the clock alone changes the page: a shown day
    ends (the next one takes its place), booking opens for it, or one of its slots enters
    or leaves the booking window (its free count changes)."""
    moments = [now + MAX_AGE]
    if marker is not None and now < marker + SETTLE:
        moments.append(marker + SETTLE)
    # A day's booking opens with its first slot's window, among the slot moments.
    moments += [day.ends_at for day in days]
    if days:
        moments += _slot_moments([day.pk for day in days], now)
    return min(moment for moment in moments if moment > now)


def _slot_moments(day_ids: list[int], now: datetime) -> list[datetime]:
    """The next opening and closing of a booking window among the days' slots (one query)."""
    opens = timedelta(days=settings.BOOKING_OPENS_DAYS)
    closes = timedelta(hours=settings.BOOKING_CLOSES_HOURS)
    found = Slot.objects.filter(day__in=day_ids).aggregate(
        opening=Min("starts_at", filter=Q(starts_at__gt=now + opens)),
        closing=Min("starts_at", filter=Q(starts_at__gte=now + closes)),
    )
    moments = []
    if found["opening"]:
        moments.append(found["opening"] - opens)
    if found["closing"]:
        # A slot stays bookable up to and including its closing moment.
        moments.append(found["closing"] - closes + timedelta(microseconds=1))
    return moments
