"""The front desk: a town-hall or job-centre clerk books callers and visitors into the
days of their municipalities, prints a booking slip, cancels or moves a booking, and
works through call lists.

A clerk sees names, times, contacts and references only: never topics, needs, notes,
outcomes or follow-ups (invariant 3). Every page passes `_desk_days` or `_call_days`;
every look at client data is written to the access log here, every change by the
domain function that makes it.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import services
from appointments.links import short_manage_url
from appointments.models import (
    ACTIVE_STATUSES,
    AuditAction,
    Booking,
    BookingStatus,
    BookingToken,
    Call,
    DayStatus,
    OutreachDay,
)
from coaches.forms_frontdesk import CallDoneForm, DeskBookingForm, DeskCancelForm, DeskMoveForm
from coaches.models import Coach, FrontDesk, sees_every_day
from coaches.views import _back, _first_or_404
from joblokal.qr import qr_svg


class StaffLoginView(auth_views.LoginView):
    """The staff login; a clerk without a coach profile lands on the front desk."""

    def get_default_redirect_url(self):
        user = self.request.user
        desk = FrontDesk.objects.filter(user=user, active=True).exists()
        if desk and not Coach.objects.active().filter(user=user).exists():
            return reverse("coaches:frontdesk")
        return super().get_default_redirect_url()


# How many coming days the start page lists.
START_PAGE_DAYS = 20


def _desk_days(user):
    """The days a user may book callers into: an active clerk's municipalities'
    published and cancelled days, or every day for an administrator. Anyone else, a coach
    too, is refused."""
    if sees_every_day(user):
        return OutreachDay.objects.all()
    desk = FrontDesk.objects.filter(user=user, active=True).first()
    if desk is None:
        raise PermissionDenied
    return OutreachDay.objects.filter(site__municipality__front_desks=desk).exclude(
        status=DayStatus.DRAFT
    )


def _call_days(user):
    """The days whose call lists a user may see: an administrator's, a coach's served
    days, a clerk's municipalities' days."""
    if sees_every_day(user):
        return OutreachDay.objects.all()
    coach = Coach.objects.active().filter(user=user).first()
    if coach is not None:
        return OutreachDay.objects.served_by(coach)
    return _desk_days(user)


def _get_day(allowed, day_id: int) -> OutreachDay:
    day = _first_or_404(OutreachDay.objects.select_related("site__municipality"), day_id)
    if not allowed.filter(pk=day.pk).exists():
        raise PermissionDenied
    return day


def _get_booking(request, booking_id: int) -> Booking:
    booking = _first_or_404(
        Booking.objects.select_related("day__site__municipality", "slot"), booking_id
    )
    if not _desk_days(request.user).filter(pk=booking.day_id).exists():
        raise PermissionDenied
    return booking


def _posted(request):
    # An empty POST is still a submit: it gets the form's messages, not a fresh form.
    return request.POST if request.method == "POST" else None


def _day_url(day_id: int, anchor: str = "") -> str:
    return reverse("coaches:frontdesk_day", args=[day_id]) + (f"#{anchor}" if anchor else "")


@login_required
@never_cache
@require_GET
def start(request):
    days = _desk_days(request.user)
    now = timezone.now()
    coming = list(
        days.published()
        .upcoming(now)
        .select_related("site__municipality")
        .with_free_slots(now)
        .annotate(booked=Count("bookings", filter=Q(bookings__status=BookingStatus.CONFIRMED)))
        .order_by("starts_at", "pk")[:START_PAGE_DAYS]
    )
    calls = list(Call.objects.for_days(days).shown_on(timezone.localdate()).listed())
    services.log_access(
        user=request.user, action=AuditAction.VIEW_BOOKING, bookings=[c.booking for c in calls]
    )
    return render(request, "coaches/frontdesk/start.html", {"days": coming, "calls": calls})


@login_required
@never_cache
@require_GET
def day_detail(request, day_id: int):
    day = _get_day(_desk_days(request.user), day_id)
    bookings = list(
        day.bookings.filter(status__in=ACTIVE_STATUSES)
        .select_related("slot")
        .only("name", "phone", "email", "reference", "channel", "status", "slot", "day_id")
        .order_by("slot__starts_at", "pk")
    )
    services.log_access(user=request.user, action=AuditAction.VIEW_DAY, days=[day])
    context = {"day": day, "bookings": bookings, "now": timezone.now()}
    return render(request, "coaches/frontdesk/day.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def book(request, day_id: int):
    day = _get_day(_desk_days(request.user), day_id)
    if day.status != DayStatus.PUBLISHED:
        raise Http404
    form = DeskBookingForm(_posted(request), day=day)
    if request.method == "POST" and form.is_valid():
        booking = _book(request, form)
        if booking is not None:
            messages.success(
                request,
                _("Gebucht: %(name)s, Buchungsnummer %(reference)s.")
                % {"name": booking.name, "reference": booking.reference},
            )
            return redirect(_day_url(day.pk, f"b{booking.pk}"))
    status = 400 if form.errors else 200
    return render(request, "coaches/frontdesk/book.html", {"day": day, "form": form}, status=status)


def _book(request, form) -> Booking | None:
    """Book through the one booking function; a refusal becomes a message on the form."""
    try:
        result = services.book_slot(
            slot_id=form.cleaned_data["slot"].pk,
            client=form.client(),
            submission_key=form.cleaned_data["submission_key"],
            channel=form.cleaned_data["channel"],
            consent_recorded_by=request.user,
        )
    except services.SlotTaken:
        form.add_error("slot", _("Diese Uhrzeit ist gerade vergeben worden. Bitte eine andere."))
    except services.SlotNotBookable:
        form.add_error("slot", _("Diese Uhrzeit kann man nicht mehr buchen. Bitte eine andere."))
    except services.AlreadyBooked as taken:
        field = "phone" if taken.field == "phone" else "email"
        form.add_error(field, _("Mit diesen Angaben gibt es an diesem Tag schon einen Termin."))
    else:
        return result.booking
    return None


@login_required
@never_cache
@require_GET
def slip(request, booking_id: int):
    booking = _get_booking(request, booking_id)
    if booking.status != BookingStatus.CONFIRMED:
        raise Http404
    # A fresh short link per print: only its hash is stored, so an old slip's link cannot
    # be printed again, and this one exists only on the paper.
    link = short_manage_url(BookingToken.objects.issue(booking=booking, short=True))
    services.log_access(user=request.user, action=AuditAction.VIEW_BOOKING, bookings=[booking])
    # The slip is for the client: printed in the language they chose for their notices.
    with translation.override(booking.language):
        title = _("QR-Code zum Ändern oder Absagen des Termins")
        context = {"booking": booking, "link": link, "qr": qr_svg(link, title=title)}
        return render(request, "coaches/frontdesk/slip.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request, booking_id: int):
    booking = _get_booking(request, booking_id)
    form = DeskCancelForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        done = services.desk_cancel_booking(
            booking=booking, user=request.user, reason=form.cleaned_data["reason"]
        )
        if done:
            messages.success(request, _("Der Termin ist abgesagt."))
        else:
            messages.info(request, _("Dieser Termin war schon abgesagt oder vorbei."))
        return redirect(_day_url(booking.day_id))
    status = 400 if form.errors else 200
    context = {"booking": booking, "form": form}
    return render(request, "coaches/frontdesk/cancel.html", context, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def move(request, booking_id: int):
    booking = _get_booking(request, booking_id)
    days = _desk_days(request.user)
    form = DeskMoveForm(_posted(request), booking=booking, days=days)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["slot"]
        try:
            moved = services.desk_move_booking(
                booking=booking, to_slot_id=target.pk, user=request.user
            )
        except services.AlreadyBooked:
            form.add_error("slot", _("An diesem Tag hat die Person schon einen Termin."))
        except services.BookingClosed:
            form.add_error(None, _("Dieser Termin kann nicht mehr verschoben werden."))
        except (services.SlotTaken, services.SlotNotBookable):
            form.add_error(
                "slot", _("Diese Uhrzeit ist gerade vergeben worden. Bitte eine andere.")
            )
        else:
            messages.success(request, _("Der Termin ist verschoben."))
            return redirect(_day_url(moved.day_id, f"b{moved.pk}"))
    status = 400 if form.errors else 200
    context = {"booking": booking, "form": form}
    return render(request, "coaches/frontdesk/move.html", context, status=status)


@login_required
@never_cache
@require_GET
def call_list(request, day_id: int):
    """The printable call list of one day: everyone reached by neither mail nor SMS."""
    day = _get_day(_call_days(request.user), day_id)
    calls = list(Call.objects.filter(booking__day=day).listed())
    services.log_access(
        user=request.user, action=AuditAction.VIEW_BOOKING, bookings=[c.booking for c in calls]
    )
    back = (
        _day_url(day.pk)
        if FrontDesk.objects.filter(user=request.user, active=True).exists()
        else f"{reverse('coaches:my_day')}?date={day.date.isoformat()}"
    )
    context = {"day": day, "calls": calls, "printed_at": timezone.now(), "back": back}
    return render(request, "coaches/frontdesk/call_list.html", context)


@login_required
@require_POST
def call_done(request, call_id: int):
    call = _first_or_404(Call.objects.select_related("booking__day"), call_id)
    if not _call_days(request.user).filter(pk=call.booking.day_id).exists():
        raise PermissionDenied
    form = CallDoneForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if services.mark_call_done(call=call, user=request.user, note=note):
        messages.success(request, _("Der Anruf ist abgehakt."))
    else:
        messages.info(request, _("Dieser Anruf war schon abgehakt."))
    return _back(request, reverse("coaches:call_list", args=[call.booking.day_id]))
