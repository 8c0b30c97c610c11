"""The coach's day: schedule, print view, attendance, walk-ins, outcomes and follow-ups.

Every page and action that touches client data passes `_allowed_days` (invariant 3): a
coach sees only the days they serve, a user with the permission to view bookings sees
every day, anyone else (a staff account without that permission, too) is refused. The
coach's day asks the same of the database for a coach in its one statement
(coaches/week.py), on every request, before any kept copy is read.
Every look at client data is written to the audit log here; every change is logged by
the domain function that makes it.
"""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import services
from appointments.models import (
    AuditAction,
    Booking,
    BookingStatus,
    Call,
    DayStatus,
    OutreachDay,
)
from coaches import casework, day_schedule, week
from coaches.forms import DayPickerForm, OutcomeForm, WalkInForm
from coaches.models import Coach, sees_every_day

# Larger ids cannot exist in a bigint column, and the database would reject the query.
MAX_ID = 2**63 - 1


def _allowed_days(user):
    """The days whose client data this user may see. Whoever holds the explicit
    permission to view bookings (administrators) sees every day, an active coach the
    days they serve; everyone else is refused. `is_staff` alone only opens the admin's
    door, it grants no client data."""
    if sees_every_day(user):
        return OutreachDay.objects.all()
    coach = Coach.objects.active().filter(user=user).first()
    if coach is None:
        raise PermissionDenied
    return OutreachDay.objects.served_by(coach)


def _first_or_404(queryset, pk: int):
    found = queryset.filter(pk=pk).first() if pk <= MAX_ID else None
    if found is None:
        raise Http404
    return found


def _get_day(request, day_id: int) -> OutreachDay:
    allowed = _allowed_days(request.user)
    day = _first_or_404(OutreachDay.objects.select_related("site__municipality"), day_id)
    if not allowed.filter(pk=day.pk).exists():
        raise PermissionDenied
    return day


def _get_booking(request, booking_id: int) -> Booking:
    allowed = _allowed_days(request.user)
    booking = _first_or_404(
        Booking.objects.select_related("day__site__municipality", "slot"), booking_id
    )
    if not allowed.filter(pk=booking.day_id).exists():
        raise PermissionDenied
    return booking


def _day_url(on: date, anchor: str = "") -> str:
    return f"{reverse('coaches:my_day')}?date={on.isoformat()}" + (f"#{anchor}" if anchor else "")


def _back(request, fallback: str):
    """Return to the page the action was posted from, if that is a page of this site."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        # Never redirect(): it would read a bare word such as "0" as a view name.
        return HttpResponseRedirect(target)
    return redirect(fallback)


def _nearest(rows: list[week.Day], on: date) -> dict:
    held = [day.date for day in rows if day.status != DayStatus.CANCELLED]
    return {
        "previous": max((d for d in held if d < on), default=None),
        "next": min((d for d in held if d > on), default=None),
    }


def _week(rows: list[week.Day], on: date) -> list[dict]:
    monday = on - timedelta(days=on.weekday())
    counts = {}
    for day in rows:
        # The nearest days before and after may lie outside the week: not counted.
        if day.status != DayStatus.CANCELLED:
            counts[day.date] = counts.get(day.date, 0) + day.active
    dates = [monday + timedelta(days=i) for i in range(7)]
    return [{"date": d, "count": counts.get(d), "current": d == on} for d in dates]


def _look_at_week(request, on: date, today: date) -> week.CoachWeek:
    """The week around `on` as this user may see it, the look at the day `on` written to
    the audit log. A coach's answer comes in one statement where the database allows."""
    user = request.user
    # Only staff can hold the permission that opens every day (sees_every_day).
    if not user.is_staff and week.in_one_statement():
        found = week.look_at_coach_week(user_id=user.pk, on=on, today=today)
        if found is None:
            raise PermissionDenied
        return found
    days = _allowed_days(user)
    rows = week.days_around(days, on)
    shown = [day for day in rows if day.date == on]
    services.log_access(user=user, action=AuditAction.VIEW_DAY, days=shown)
    calls_open = Call.objects.for_days(days).shown_on(today).exists()
    return week.CoachWeek(rows=rows, calls_open=calls_open)


def _open_calls(request, today: date) -> list[Call]:
    """The calls the user's call list shows today, their look logged."""
    days = _allowed_days(request.user)
    calls = list(Call.objects.for_days(days).shown_on(today).listed())
    bookings = [call.booking for call in calls]
    services.log_access(user=request.user, action=AuditAction.VIEW_DAY, bookings=bookings)
    return calls


@login_required
@never_cache
@require_GET
def my_day(request):
    today = timezone.localdate()
    picker = DayPickerForm(request.GET if "date" in request.GET else {"date": today})
    on = picker.cleaned_data["date"] if picker.is_valid() else today
    looked = _look_at_week(request, on, today)
    rows = looked.rows
    shown = [day for day in rows if day.date == on]
    # Most coaches have no call to make: the list's wide query runs only when there is.
    calls = _open_calls(request, today) if looked.calls_open else []
    # A page without calls, messages or errors is kept whole for this user; the access
    # check above has already decided which days it may show.
    plain = not (calls or picker.errors or len(get_messages(request)))
    key = day_schedule.page_key(request, rows, today=today) if plain else None
    html = day_schedule.cached_page(key)
    if html is None:
        context = {
            "calls": calls,
            "on": on,
            "today": today,
            "picker": picker,
            # Shared by everyone who may see the day, rendered once per version of it.
            "schedule": day_schedule.sections(shown, today=today),
            "has_days": bool(shown),
            **_nearest(rows, on),
            "week": _week(rows, on),
            # Marks, put in per request by personalise().
            "csrf_token": day_schedule.CSRF_MARK,
            "next_path": day_schedule.NEXT_MARK,
        }
        html = render_to_string("coaches/my_day.html", context, request=request)
        day_schedule.store_page(key, html)
    body = day_schedule.personalise(request, html)
    return HttpResponse(body, status=400 if picker.errors else 200)


@login_required
@never_cache
@require_GET
def print_day(request, day_id: int):
    day = _get_day(request, day_id)
    services.log_access(user=request.user, action=AuditAction.PRINT_DAY, days=[day])
    today = timezone.localdate()
    context = {
        "day": day,
        "schedule": day_schedule.personalise(
            request, day_schedule.sections([day], today=today, view="print")
        ),
        "printed_at": timezone.now(),
    }
    return render(request, "coaches/print_day.html", context)


@login_required
@never_cache
@require_GET
def booking_detail(request, booking_id: int):
    booking = _get_booking(request, booking_id)
    return _render_booking(request, booking, _outcome_form(booking))


def _outcome_form(booking: Booking, data=None) -> OutcomeForm:
    initial = {
        "codes": [outcome.code for outcome in booking.outcomes.all()],
        "note": booking.outcome_note,
        "follow_up_on": booking.follow_up_on,
    }
    return OutcomeForm(data, booking=booking, initial=initial)


def _render_booking(request, booking: Booking, form: OutcomeForm, status: int = 200):
    services.log_access(user=request.user, action=AuditAction.VIEW_BOOKING, bookings=[booking])
    context = {
        "booking": booking,
        "form": form,
        "accompaniment": casework.booking_panel(booking=booking, user=request.user),
        "today": timezone.localdate(),
        "back": _day_url(booking.day.date, f"b{booking.pk}"),
        "next_path": request.get_full_path(),
    }
    return render(request, "coaches/booking.html", context, status=status)


@login_required
@require_POST
def record_outcome(request, booking_id: int):
    booking = _get_booking(request, booking_id)
    form = _outcome_form(booking, request.POST)
    if not form.is_valid():
        return _render_booking(request, booking, form, status=400)
    try:
        services.record_outcome(
            booking=booking,
            codes=form.cleaned_data["codes"],
            note=form.cleaned_data["note"],
            follow_up_on=form.cleaned_data["follow_up_on"],
            user=request.user,
        )
    except services.StaffActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Das Ergebnis ist gespeichert."))
    return _back(request, _day_url(booking.day.date, f"b{booking.pk}"))


def _booking_action(request, booking_id: int, action, done_message: str):
    booking = _get_booking(request, booking_id)
    try:
        changed = action(booking=booking, user=request.user)
    except services.StaffActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, done_message if changed else _("Das war schon gespeichert."))
    return _back(request, _day_url(booking.day.date, f"b{booking.pk}"))


@login_required
@require_POST
def mark_attended(request, booking_id: int):
    return _booking_action(
        request,
        booking_id,
        lambda **kw: services.mark_attendance(attended=True, **kw),
        _("Gespeichert: erschienen."),
    )


@login_required
@require_POST
def mark_no_show(request, booking_id: int):
    return _booking_action(
        request,
        booking_id,
        lambda **kw: services.mark_attendance(attended=False, **kw),
        _("Gespeichert: nicht erschienen."),
    )


@login_required
@require_POST
def undo_attendance(request, booking_id: int):
    return _booking_action(
        request, booking_id, services.undo_attendance, _("Zurückgesetzt: wieder gebucht.")
    )


@login_required
@require_POST
def complete_follow_up(request, booking_id: int):
    return _booking_action(
        request, booking_id, services.complete_follow_up, _("Nachfassen ist erledigt.")
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def add_walk_in(request, day_id: int):
    day = _get_day(request, day_id)
    form = WalkInForm(request.POST or None, day=day, now=timezone.now())
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.add_walk_in(
                slot=form.cleaned_data["slot"],
                client=form.client(),
                user=request.user,
                submission_key=form.cleaned_data["submission_key"],
            )
        except services.StaffActionRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(_day_url(day.date, f"d{day.pk}"))
        if booking.takes_seat:
            messages.success(request, _("Die Person ist erfasst."))
        else:
            messages.success(request, _("Die Person ist erfasst, zusätzlich zu den Plätzen."))
        return redirect(_day_url(day.date, f"b{booking.pk}"))
    status = 400 if form.errors else 200
    context = {"day": day, "form": form, "back": _day_url(day.date, f"d{day.pk}")}
    return render(request, "coaches/walk_in.html", context, status=status)


@login_required
@never_cache
@require_GET
def follow_ups(request):
    """The follow-ups this user set ("mine", the default), or those of every coach on the
    days this user serves ("team")."""
    today = timezone.localdate()
    whose = "team" if request.GET.get("wer") == "team" else "mine"
    open_follow_ups = Booking.objects.filter(
        day__in=_allowed_days(request.user),
        status=BookingStatus.ATTENDED,
        follow_up_done_at=None,
        follow_up_on__isnull=False,
    )
    if whose == "mine":
        open_follow_ups = open_follow_ups.filter(follow_up_by=request.user)
    open_follow_ups = list(
        open_follow_ups.select_related("day__site__municipality", "slot", "follow_up_by__coach")
        .prefetch_related("outcomes")
        .order_by("follow_up_on", "slot__starts_at")
    )
    services.log_access(
        user=request.user, action=AuditAction.VIEW_BOOKING, bookings=open_follow_ups
    )
    context = {
        "today": today,
        "whose": whose,
        "due": [b for b in open_follow_ups if b.follow_up_on <= today],
        "later": [b for b in open_follow_ups if b.follow_up_on > today],
    }
    return render(request, "coaches/follow_ups.html", context)
