"""The booking form's fields, rendered once and shared.

crispy-forms takes most of a booking form request to render. An empty form of a day
looks the same for everyone but its submission key, so its markup is rendered by crispy
once (the exact markup the accessibility and HTML checks pass), kept in the cache under
the topics it offers, and given a fresh submission key per request. A form with input
or errors is rendered by crispy as before. For visitors who are not logged in and have
no message waiting, the whole page is kept the same way, per slot and what of it can
change (page_stamp), the CSRF token put in per request as on the day page.
"""

import hashlib
from datetime import timedelta

from crispy_forms.utils import render_crispy_form
from django.conf import settings
from django.db import connection
from django.db.models import CharField, OuterRef, StringAgg, Subquery, Value
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from appointments.forms import BookingForm, new_submission_key
from appointments.models import DayStatus, OutreachDay, Slot
from joblokal import cache as kept

# Matches the submission key pattern, so the form renders it like a real key.
KEY_MARK = "jl-submission-key-mark-7c2d"
# The step-free days a page lists elsewhere do not raise this day's version; a newly
# published one shows within this time.
MAX_AGE = timedelta(minutes=10)


def _fields_digest(form) -> str:
    # The field names are part of the key: a deploy that adds a field renders anew.
    return hashlib.sha256(",".join(form.fields).encode()).hexdigest()[:12]


# The same for the whole page, known without building a form.
FORM_SHAPE = hashlib.sha256(",".join(BookingForm.base_fields).encode()).hexdigest()[:12]


def cache_key(*, day, language: str, form) -> str:
    """The form's markup depends on the day only through the topics it offers: keyed by
    those (one small query), a booking, which raises the day's version, keeps it."""
    topics = list(form.fields["topics"].queryset.values_list("pk", "name", "translations"))
    offered = hashlib.sha256(repr(topics).encode()).hexdigest()[:16]
    return f"book-form:{language}:{_fields_digest(form)}:{offered}"


def cached_render(key: str, render, max_age: timedelta = MAX_AGE) -> str:
    """The markup kept under key, or render() kept there for max_age. An unreachable
    cache is a miss and a dropped write."""
    html = kept.read(key)
    if html is None:
        html = render()
        kept.write(key, html, max_age.total_seconds())
    return html


def _form_markup(*, form, day, language: str) -> str:
    key = cache_key(day=day, language=language, form=form)
    return cached_render(key, lambda: render_crispy_form(form, helper=form.helper))


def empty_form_html(*, form, day, language: str) -> SafeString:
    """The markup of `form` (unbound, its submission_key initial set to KEY_MARK) with a
    new submission key."""
    html = _form_markup(form=form, day=day, language=language)
    # The key is URL-safe base64: nothing in it needs escaping.
    return mark_safe(html.replace(KEY_MARK, new_submission_key()))  # noqa: S308


def _page_key(slot_id: int, stamp: str, language: str) -> str:
    return f"book-page:{slot_id}:{stamp}:{language}:{FORM_SHAPE}"


def _coach_ids():
    """The ids of the slot's day's coaches, in order, as one string (they decide the
    topics the form offers)."""
    through = OutreachDay.coaches.through.objects.filter(day_id=OuterRef("day_id"))
    # In order where the database can (PostgreSQL, SQLite from 3.44); elsewhere an order
    # that changes only costs a cache miss.
    order = "coach_id" if connection.features.supports_aggregate_order_by_clause else None
    ids = StringAgg(Cast("coach_id", CharField()), Value(","), order_by=order)
    return Subquery(through.order_by().values("day_id").annotate(ids=ids).values("ids"))


def page_stamp(slot_id: int, now) -> str | None:
    """What can change on the slot's booking page, as a short digest, if the slot can
    be booked now; else None. Not the day's version: every booking raises it, yet the
    page shows no seat counts, so on a busy day each visitor would find the page gone.
    The slot's times, the venue and the day's coaches (its topics) are what a day edit
    or a coach change alters; venue texts and the step-free days listed show within
    MAX_AGE, as before."""
    if connection.vendor == "postgresql":
        row = _stamp_row_sql(slot_id, now)
    else:
        bookable = Slot.objects.bookable(now).filter(pk=slot_id).annotate(coach_ids=_coach_ids())
        row = bookable.values_list("starts_at", "ends_at", "day__site_id", "coach_ids").first()
    return hashlib.sha256(repr(tuple(row)).encode()).hexdigest()[:16] if row else None


# page_stamp's query in plain SQL: every booking form GET runs it, and building it with
# the ORM took three times as long as running it (about 2.5 ms against 0.5 ms here). The
# WHERE clause is Slot.objects.bookable(); a test holds the two to the same answers.
STAMP_SQL = """
SELECT s.starts_at, s.ends_at, d.site_id,
    (SELECT string_agg(c.coach_id::text, ',' ORDER BY c.coach_id) FROM {through} c
     WHERE c.day_id = d.id)
FROM appointments_slot s JOIN appointments_outreachday d ON d.id = s.day_id
WHERE s.id = %s AND d.status = %s AND s.starts_at >= %s AND s.starts_at <= %s
    AND s.seats_taken < s.capacity
"""


def _stamp_row_sql(slot_id: int, now):
    through = connection.ops.quote_name(OutreachDay.coaches.through._meta.db_table)
    earliest = now + timedelta(hours=settings.BOOKING_CLOSES_HOURS)
    latest = now + timedelta(days=settings.BOOKING_OPENS_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            STAMP_SQL.format(through=through), [slot_id, DayStatus.PUBLISHED, earliest, latest]
        )
        return cursor.fetchone()


def cached_page(slot_id: int, stamp: str, language: str) -> str | None:
    return kept.read(_page_key(slot_id, stamp, language))


def personalise(request, page: str) -> str:
    """A shared page with this visitor's CSRF token and a new submission key."""
    return kept.with_csrf_token(request, page).replace(KEY_MARK, new_submission_key())


def shared_page(request, *, slot, form, language: str, now) -> str:
    """The whole booking page of a slot as every visitor who is not logged in sees it,
    with this visitor's CSRF token and a new submission key put in. Kept per slot and
    page_stamp; the step-free days it lists elsewhere show within MAX_AGE."""
    key = _page_key(slot.pk, page_stamp(slot.pk, now), language)

    def render():
        markup = mark_safe(_form_markup(form=form, day=slot.day, language=language))  # noqa: S308
        context = {"slot": slot, "form": form, "form_html": markup, "csrf_token": kept.CSRF_MARK}
        return render_to_string("appointments/book.html", context, request=request)

    return personalise(request, cached_render(key, render))
