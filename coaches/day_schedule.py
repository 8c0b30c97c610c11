"""The schedule of a counselling day as the coaches' pages show it, rendered once per
version of the day and kept in the cache.

The day's version is raised in the transaction of every change the schedule shows
(seats, attendance, walk-ins, outcomes and follow-ups, cancelling and moving, day edits,
the coaches present, erasure of client data; `appointments.services.seats.touch_day`),
so a new version is a new key and no entry is ever invalidated by hand.

Who may see a day is decided on every request before any entry is read (invariant 3),
and an entry holds nothing of the viewer's: the markup is the same for every coach and
administrator who may see the day. The two things that do differ per request, the CSRF
token and the page's own address in the forms' `next` field, are rendered as marks and
put in per request. What the date alone changes (the buttons that work only from the
day on) is in the key as today's date.

An entry also ends after MAX_AGE, so an edit that does not raise the version (a venue's
name, a coach's name, a topic's name) shows within minutes, and no client data outlives
its erasure by more than that even if an entry were missed. The cache only saves work:
when it cannot be reached the schedule is rendered from the database, as before.
"""

import hashlib
import re
from datetime import date, timedelta

from django.db.models import Prefetch
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from appointments.models import Booking, DayCoach, OutreachDay, Slot
from joblokal import cache as kept

MAX_AGE = timedelta(minutes=10)
KEY_PREFIX = "coach-day"
# Rendered in place of the page's address (and kept.CSRF_MARK in place of the CSRF
# token), replaced per request.
CSRF_MARK = kept.CSRF_MARK
NEXT_MARK = "jl-next-mark-27af"
_MARKS = re.compile(f"{CSRF_MARK}|{NEXT_MARK}")


def with_schedule(days):
    """Days with their slots in time order, each slot's active bookings, topics and
    outcomes, and the coaches present: a fixed number of queries however many bookings."""
    bookings = Booking.objects.active().prefetch_related("topics", "outcomes").order_by("pk")
    slots = Slot.objects.order_by("starts_at").prefetch_related(
        Prefetch("bookings", queryset=bookings, to_attr="active_bookings")
    )
    return days.select_related("site__municipality").prefetch_related(
        Prefetch("slots", queryset=slots),
        Prefetch("day_coaches", queryset=DayCoach.objects.select_related("coach")),
    )


# The views of a day's schedule: the coach's day (with its forms) and the print view.
TEMPLATES = {
    "day": "coaches/includes/day_schedule.html",
    "print": "coaches/includes/print_schedule.html",
}


def cache_key(*, pk: int, version: int, language: str, today: date, view: str = "day") -> str:
    return f"{KEY_PREFIX}:{view}:{pk}:{version}:{language}:{today.isoformat()}"


def sections(days, *, today: date, view: str = "day") -> SafeString:
    """The rendered schedule of each day (which needs `pk` and `version` only), in the
    order given, with the marks still in (see personalise). Call it only with days the
    user may see."""
    language = get_language()
    keys = [
        cache_key(pk=d.pk, version=d.version, language=language, today=today, view=view)
        for d in days
    ]
    found = _read(keys)
    missing = {d.pk: key for d, key in zip(days, keys, strict=True) if key not in found}
    if missing:
        fresh = _render(missing, today=today, template=TEMPLATES[view])
        _write(fresh)
        found.update(fresh)
    return mark_safe("".join(found.get(key, "") for key in keys))  # noqa: S308


def page_key(request, days, *, today: date) -> str:
    """The key of a whole coach's day as one user sees it: everything the page shows
    follows from the user, the language, the address, today's date and the days of the
    week around the date (their versions, dates, states and counts). Calls, messages and
    form errors are per request: a page with any of them is not stored."""
    rows = [(d.pk, d.version, d.date.isoformat(), d.status, d.active) for d in days]
    user = request.user
    seed = repr((user.pk, user.is_staff, get_language(), request.get_full_path(), rows))
    digest = hashlib.sha256(seed.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:page:{today.isoformat()}:{digest}"


def cached_page(key: str | None) -> str | None:
    return _read([key]).get(key) if key else None


def store_page(key: str | None, html: str) -> None:
    if key:
        _write({key: html})


def personalise(request, html: str) -> SafeString:
    """Put this request's CSRF token and address in place of the marks, in one pass so
    that neither value is ever read as a mark itself."""
    values = {CSRF_MARK: get_token(request), NEXT_MARK: escape(request.get_full_path())}
    # Both marks sit in attribute values the template escapes; the values put in are
    # escaped the same way (a token is letters and digits only).
    return mark_safe(_MARKS.sub(lambda match: values[match.group()], html))  # noqa: S308


def _render(keys_by_pk: dict[int, str], *, today: date, template: str) -> dict[str, str]:
    """Render the days' schedules without a request: nothing of the viewer's goes in."""
    context = {"today": today, "csrf_token": CSRF_MARK, "next_path": NEXT_MARK}
    rendered = {}
    for day in with_schedule(OutreachDay.objects.filter(pk__in=keys_by_pk)):
        html = render_to_string(template, {**context, "day": day})
        rendered[keys_by_pk[day.pk]] = html
    return rendered


def _read(keys: list[str]) -> dict[str, str]:
    return kept.read_many(keys)


def _write(entries: dict[str, str]) -> None:
    kept.write_many(entries, MAX_AGE.total_seconds())
