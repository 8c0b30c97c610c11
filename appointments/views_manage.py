"""The pages behind a booking's secret link: the manage page, the short link, the
calendar file, cancelling, moving (a page of its own), the data export and erasure. No
account: the secret link is the only key, checked on every request."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from appointments import ics, links, manage_page, services
from appointments.forms import CancelForm, EraseForm, MoveForm
from appointments.models import Booking, BookingStatus, Slot
from appointments.views import next_free_slots, post_rate_limit, request_language
from joblokal.views import ratelimited

# Days to move to, per page; a Landkreis rarely has more than a few dozen in the window.
MOVE_DAYS_PER_PAGE = 12
MAX_MOVE_OFFSET = 10_000
# The move choices once lived on the manage page; links with them open the move page.
MOVE_PARAMETERS = ("tag", "ab")


def _booking_for_token(token: str, *related: str) -> Booking:
    """The booking behind a secret link, or 404 for anything else."""
    if len(token) > manage_page.MAX_TOKEN_LENGTH:
        raise Http404
    booking = (
        Booking.objects.by_token(token)
        .select_related("slot__day__site__municipality", *related)
        .filter(anonymised_at=None)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


@never_cache
@require_GET
def manage(request, token):
    """The booking, with links to move, cancel, export and erase. One narrow statement
    checks the link on every request; the page itself comes from the cache."""
    now = timezone.now()
    state = manage_page.current_state(token, now)
    if state is None:
        raise Http404
    moving = {k: request.GET[k] for k in MOVE_PARAMETERS if k in request.GET}
    if moving:
        path = reverse("appointments:move", args=[token])
        return redirect(f"{path}?{urlencode(moving)}#move")
    key = state.key(request_language())
    page = manage_page.cached(key)
    if page is None:
        booking = manage_page.for_page(state.booking_id)
        if booking is None:
            raise Http404
        page = manage_page.render_page(booking, now)
        manage_page.store(key, page)
    # A message to show or a logged-in coach's menu: that visitor gets no shared page.
    if request.user.is_authenticated or len(messages.get_messages(request)) or request.GET:
        content = mark_safe(manage_page.personalise(request, page.content, token))  # noqa: S308
        return render(request, "appointments/manage.html", {"content": content})
    if not page.shell:
        page = manage_page.shell_of(request, page, token)
        manage_page.store(key, page)
    return HttpResponse(manage_page.personalise(request, page.shell, token))


@never_cache
@require_GET
def short_link(request, token):
    token = token.strip().upper()
    _booking_for_token(token)  # 404 for an unknown token, before any redirect
    return redirect("appointments:manage", token=token)


@never_cache
@require_GET
def booking_ics(request, token):
    booking = _booking_for_token(token)
    method = "REQUEST" if booking.status == BookingStatus.CONFIRMED else "CANCEL"
    response = HttpResponse(
        ics.booking_ics(booking, method=method, manage_url=links.manage_url(token)),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="termin-{booking.reference}.ics"'
    return response


def _confirm_page(request, template, booking, token, form, status=200):
    context = {
        "booking": booking,
        "token": token,
        "form": form,
        "can_change": booking.can_change(timezone.now()),
    }
    return render(request, f"appointments/{template}.html", context, status=status)


@sensitive_post_parameters()
@never_cache
@post_rate_limit
@require_http_methods(["GET", "POST"])
def cancel(request, token):
    """GET asks "really cancel?"; only the POST from that page cancels."""
    booking = _booking_for_token(token)
    if request.method != "POST":
        return _confirm_page(request, "cancel_confirm", booking, token, CancelForm())
    if request.limited:
        return ratelimited(request)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _confirm_page(request, "cancel_confirm", booking, token, form, status=400)
    try:
        services.cancel_booking(booking=booking, reason=form.cleaned_data["reason"])
    except services.BookingClosed:
        messages.error(request, _("Dieser Termin kann nicht mehr geändert werden."))
    else:
        messages.success(request, _("Ihr Termin ist abgesagt. Danke, dass Sie Bescheid geben."))
    return redirect("appointments:manage", token=token)


@never_cache
@require_GET
def export_data(request, token):
    """Everything stored about the booking, as a JSON download for the client."""
    booking = _booking_for_token(token)
    data = services.export_booking_data(booking=booking)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="joblokal-{booking.reference}.json"'
    return response


@sensitive_post_parameters()
@never_cache
@post_rate_limit
@require_http_methods(["GET", "POST"])
def erase(request, token):
    """GET asks "really erase?"; only the POST from that page erases."""
    booking = _booking_for_token(token)
    if request.method != "POST":
        return _confirm_page(request, "erase_confirm", booking, token, EraseForm())
    if request.limited:
        return ratelimited(request)
    if not EraseForm(request.POST).is_valid():
        messages.error(
            request, _("Bitte bestätigen Sie, dass wir Ihre Daten jetzt löschen sollen.")
        )
        return redirect("appointments:erase", token=token)
    # Read before erasing: the erasure deletes the links the state is found by.
    state = manage_page.current_state(token, timezone.now())
    services.erase_booking(booking=booking)
    if state:
        manage_page.forget(state, [code for code, _name in settings.LANGUAGES])
    messages.success(
        request, _("Ihre Daten sind gelöscht. Der Link funktioniert jetzt nicht mehr.")
    )
    return redirect("locations:start")


@sensitive_post_parameters()
@never_cache
@post_rate_limit
@require_http_methods(["GET", "POST"])
def move(request, token):
    """GET shows the days and times to move to; the POST from that page moves."""
    booking = _booking_for_token(token)
    if request.method != "POST":
        return _render_move(request, booking, token)
    if request.limited:
        return ratelimited(request)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["slot"][0])
        return redirect("appointments:move", token=token)
    now = timezone.now()
    try:
        services.move_booking(booking=booking, to_slot_id=form.cleaned_data["slot"], now=now)
    except services.SlotTaken:
        messages.error(
            request,
            _(
                "Dieser Termin wurde gerade vergeben. Ihr bisheriger Termin bleibt bestehen. "
                "Diese Termine sind noch frei:"
            ),
        )
        alternatives = next_free_slots(now, near_day_id=booking.day_id, exclude_pk=booking.slot_id)
        return _render_move(request, booking, token, alternatives=alternatives, status=409)
    except services.SlotNotBookable:
        messages.error(
            request, _("Diesen Termin kann man nicht buchen. Bitte wählen Sie einen anderen.")
        )
        return redirect("appointments:move", token=token)
    except services.AlreadyBooked:
        messages.error(request, _("An diesem Tag haben Sie schon einen anderen Termin."))
        return redirect("appointments:move", token=token)
    except services.BookingClosed:
        messages.error(request, _("Dieser Termin kann nicht mehr geändert werden."))
    else:
        messages.success(request, _("Ihr Termin ist verschoben. Ihr alter Termin ist frei."))
    return redirect("appointments:manage", token=token)


def _render_move(request, booking, token, *, alternatives=None, status=200):
    now = timezone.now()
    context = {
        "booking": booking,
        "token": token,
        "can_change": booking.can_change(now),
        "alternatives": alternatives,
    }
    if context["can_change"] and alternatives is None:
        context.update(_move_choices(request, booking, now))
    return render(request, "appointments/move.html", context, status=status)


def _move_choices(request, booking, now) -> dict:
    """A page of days to move to, the booking's municipality first and then the rest of
    its Landkreis (never the whole country), and the free slots of the chosen day."""
    days = services.move_targets(booking=booking, now=now)
    offset = _move_offset(request.GET.get("ab"))
    # One row more than shown tells whether there is a next page, without a count.
    shown = list(days[offset : offset + MOVE_DAYS_PER_PAGE + 1])
    more = len(shown) > MOVE_DAYS_PER_PAGE
    shown = shown[:MOVE_DAYS_PER_PAGE]
    wanted = str(request.GET.get("tag", ""))
    chosen = next((d for d in shown if str(d.pk) == wanted), None)
    if chosen is None and wanted.isdigit() and len(wanted) < 19:
        chosen = days.filter(pk=int(wanted)).first()
    chosen = chosen or next((d for d in shown if d.pk == booking.day_id), None)
    chosen = chosen or (shown[0] if shown else None)
    free = Slot.objects.bookable(now).on(chosen).exclude(pk=booking.slot_id) if chosen else []
    return {
        "move_days": shown,
        "move_day": chosen,
        "move_slots": list(free),
        "move_offset": offset,
        "move_next": offset + MOVE_DAYS_PER_PAGE if more else None,
        "move_previous": max(offset - MOVE_DAYS_PER_PAGE, 0) if offset else None,
    }


def _move_offset(raw) -> int:
    try:
        return max(0, min(int(raw), MAX_MOVE_OFFSET))
    except (TypeError, ValueError):
        return 0
