"""The confirmation page, rendered once per booking state and kept.

Every booking ends on this page, so it is on the booking flow's path. What it shows of
the booking (time, venue, topics, needs, notices) changes only when the booking or its
day changes, so that part of the page is kept in the cache under the booking's id and
reference, its last change, its day's version and the language; a page seen a second
time reads one narrow row (the key's parts) and renders nothing. The manage link and the CSRF
token differ per visitor and per request: they are put in per request and never kept.
The view serves the page only to the session that made the booking (it checks the
session first), so a cached page never reaches another visitor.
"""

import copy
import logging
from datetime import timedelta

from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from appointments.booking_page import cached_render
from appointments.models import Booking
from joblokal import cache as kept

logger = logging.getLogger(__name__)

MANAGE_MARK = "jl-manage-link-mark-3f9a"
# A venue edit does not raise the day's version; the page shows it within this time.
MAX_AGE = timedelta(minutes=10)


def _key(booking_id: int, reference: str, changed, version: int, language: str) -> str:
    return f"confirmation:{booking_id}:{reference}:{changed.timestamp()}:{version}:{language}"


def _state(booking_id: int, reference: str) -> tuple | None:
    """The booking's last change and its day's version, or None if it is gone."""
    return (
        Booking.objects.filter(pk=booking_id, reference=reference)
        .values_list("updated_at", "slot__day__version")
        .first()
    )


def load_booking(booking_id: int, reference: str) -> Booking | None:
    return (
        Booking.objects.select_related("slot__day__site__municipality")
        .filter(pk=booking_id, reference=reference)
        .first()
    )


def manage_html(request, *, token) -> str:
    """This visitor's part of the page: the manage link and calendar file, if the signed
    cookie with the token came along."""
    context = {"token": token, "manage_url": _manage_url(request, token)}
    return render_to_string("appointments/includes/confirmation_manage.html", context)


def _manage_url(request, token) -> str | None:
    if not token:
        return None
    return request.build_absolute_uri(reverse("appointments:manage", args=[token]))


def shared_page(request, *, booking_id: int, reference: str, token, language: str) -> str | None:
    """The page as the booking's session sees it when not logged in, from the cache
    (rendered on a miss), with this request's manage link and CSRF token put in; None if
    the booking is gone."""
    # A narrow row for the key; the whole booking is loaded only to render a miss.
    state = _state(booking_id, reference)
    if state is None:
        return None

    def render():
        booking = load_booking(booking_id, reference)
        if booking is None:  # erased since its state was read
            raise Http404
        return _render_page(request, booking)

    page = cached_render(_key(booking_id, reference, *state, language), render, MAX_AGE)
    link = manage_html(request, token=token)
    return kept.with_csrf_token(request, page.replace(MANAGE_MARK, link))


def _render_page(request, booking: Booking, **extra) -> str:
    context = {
        "booking": booking,
        "manage_html": mark_safe(MANAGE_MARK),  # noqa: S308 - a constant
        "csrf_token": kept.CSRF_MARK,
        **extra,
    }
    return render_to_string("appointments/confirmation.html", context, request=request)


def prime(request, booking: Booking, *, topics: list, day_version: int, language: str) -> None:
    """Keep the page a new booking's first view shows, rendered from what the booking was
    just made with (its slot, day, venue and topics, all in memory): that view then reads
    the narrow row only and renders nothing, where it would load the booking and its
    topics again. Call it after the booking's transaction, with the day's version that
    transaction left; the entry is keyed by that state like any other, so a state that
    moved on in between only makes the entry unused. The booking has committed: nothing
    here may turn its success into an error page, so a failure is logged and the first
    view renders the page itself."""
    try:
        _prime(request, booking, topics=topics, day_version=day_version, language=language)
    except Exception as error:  # noqa: BLE001 - see the docstring
        logger.warning("Confirmation page not kept ahead (%s).", type(error).__name__)


def _prime(request, booking: Booking, *, topics: list, day_version: int, language: str):
    page_request = copy.copy(request)
    # The page as the visitor's browser will ask for it after the redirect.
    page_request.method = "GET"
    page_request.path = page_request.path_info = reverse(
        "appointments:confirmation", args=[booking.reference]
    )
    page_request.META = {**request.META, "REQUEST_METHOD": "GET", "QUERY_STRING": ""}
    page_request.resolver_match = None
    html = _render_page(page_request, booking, booking_topics=topics)
    key = _key(booking.pk, booking.reference, booking.updated_at, day_version, language)
    kept.write(key, html, MAX_AGE.total_seconds())
