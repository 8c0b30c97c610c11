"""The client's booking path: day page, booking form, confirmation and the waiting list.
The pages behind a booking's secret link are in views_manage."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac
from django.utils.http import parse_etags
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from appointments import booking_page, confirmation_page, day_page, links, services
from appointments.forms import (
    BookingForm,
    TimeFilterForm,
    WaitlistForm,
    new_submission_key,
)
from appointments.models import (
    Booking,
    DayStatus,
    OutreachDay,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
)
from joblokal import cache as kept
from joblokal.client_address import address_key
from joblokal.ratelimits import rate_limit
from joblokal.views import ratelimited

# Per client address, over all public forms. Generous enough for a family or a shared
# library computer, low enough that a script cannot book a day out.
PUBLIC_POST_RATE = "20/h"
# The session that made a booking remembers its id and slot (never its manage
# token), for the confirmation page, for Back after booking, and for the per-session cap;
# a few recent ones are kept for a parent who books for two people.
CONFIRMATIONS = "confirmations"
KEEP_CONFIRMATIONS = 5
# The raw manage token reaches the confirmation page in a signed cookie that lives one
# hour and is sent to that page only; the server keeps nothing but the token's hash.
MANAGE_COOKIE = "jl_manage"
MANAGE_COOKIE_SALT = "appointments.confirmation"
MANAGE_COOKIE_SECONDS = 3600
WAITLIST_JOINED = "waitlist_joined"
ALTERNATIVES = 5

post_rate_limit = rate_limit(group="public-post", rate=PUBLIC_POST_RATE)


def request_language() -> str:
    # LocaleMiddleware activates only codes from LANGUAGES, "de-ls" included.
    return get_language() or "de"


def next_free_slots(now, *, near_day_id=None, exclude_pk=None):
    """The earliest bookable slots, those of `near_day_id` first."""
    slots = Slot.objects.bookable(now).select_related("day__site__municipality")
    if exclude_pk:
        slots = slots.exclude(pk=exclude_pk)
    same_day = Case(When(day_id=near_day_id, then=Value(0)), default=1, output_field=IntegerField())
    return list(slots.annotate(same_day=same_day).order_by("same_day", "starts_at")[:ALTERNATIVES])


def _slot_unavailable(request, slot, now, *, taken):
    context = {
        "slot": slot,
        "taken": taken,
        "alternatives": next_free_slots(now, near_day_id=slot.day_id, exclude_pk=slot.pk),
    }
    return render(request, "appointments/slot_unavailable.html", context, status=409)


@require_GET
def day(request, pk):
    """The day page. Its content comes from the shared cache (see day_page); a browser
    that already holds this version gets 304."""
    now = timezone.now()
    version = day_page.current_version(pk)
    if version is None:
        raise Http404
    times = TimeFilterForm(request.GET or None)
    key = day_page.cache_key(
        pk=pk, version=version, language=request_language(), request=request, times=times
    )
    page = kept.read_current(key, now)
    if page is None:
        page = day_page.render_page(pk=pk, times=times, now=now)
        if page is None:
            raise Http404
        kept.write_until(key, page, now)
    etag = page.etag(pk=pk, version=version, visitor=day_page.visitor(request, request_language()))
    # A pending message must be shown: that visitor gets neither a 304 nor a shared page.
    pending = len(messages.get_messages(request))
    if etag in parse_etags(request.headers.get("If-None-Match", "")) and not pending:
        response = HttpResponseNotModified()
    elif request.user.is_authenticated or pending or key is None:
        response = render(request, "appointments/day.html", {"page": page})
    else:
        response = HttpResponse(day_page.shared_page(request, key, page, now))
    response["ETag"] = etag
    # Browsers keep the page but ask each time; no shared cache keeps it at all.
    patch_cache_control(response, private=True, no_cache=True)
    return response


# Contact details and notes never appear in error reports.
@sensitive_post_parameters()
@never_cache
@post_rate_limit
@require_http_methods(["GET", "POST"])
def book(request, pk):
    now = timezone.now()
    if request.method == "POST":
        return _post_booking(request, pk, now)
    shared = _shared_form_page(request, pk, now)
    if shared is not None:
        return shared
    slot = _public_slot_or_404(pk)
    if not Slot.objects.bookable(now).filter(pk=slot.pk).exists():
        # Back after booking the last seat: the seat is this client's own.
        own = _own_booking_in(request, slot)
        if own:
            return redirect("appointments:confirmation", reference=own)
        return _slot_unavailable(request, slot, now, taken=slot.is_full())
    form = BookingForm(day=slot.day, initial={"submission_key": booking_page.KEY_MARK})
    if _shared_page_fits(request):
        shared = {"slot": slot, "form": form, "language": request_language(), "now": now}
        return HttpResponse(booking_page.shared_page(request, **shared))
    html = booking_page.empty_form_html(form=form, day=slot.day, language=request_language())
    context = {"slot": slot, "form": form, "form_html": html}
    return render(request, "appointments/book.html", context)


def _public_slot_or_404(pk) -> Slot:
    return get_object_or_404(
        Slot.objects.select_related("day__site__municipality__district").exclude(
            day__status=DayStatus.DRAFT
        ),
        pk=pk,
    )


def _post_booking(request, pk, now) -> HttpResponse:
    """A posted booking form. The slot itself is read only where a page shows it: a
    booking that succeeds needs its topics' choices (by the slot's day, in the query
    that checks them) and book_slot, which locks and checks the slot."""
    if request.limited:
        return ratelimited(request)
    form = BookingForm(request.POST, day=OutreachDay.objects.filter(slots=pk).values("pk")[:1])
    if form.is_valid():
        try:
            # No availability check before this call: a resubmit of a form that already
            # took the last seat must still find its booking (by submission key).
            result = services.book_slot(
                slot_id=pk,
                client=form.client_details(language=request_language()),
                submission_key=form.cleaned_data["submission_key"],
                origin=_origin(request),
            )
        except services.SlotTaken:
            return _slot_unavailable(request, _public_slot_or_404(pk), now, taken=True)
        except services.SlotNotBookable:
            return _slot_unavailable(request, _public_slot_or_404(pk), now, taken=False)
        except services.AlreadyBooked as taken:
            if taken.field == "phone":
                form.add_error(
                    "phone",
                    _(
                        "Mit dieser Telefonnummer gibt es an diesem Tag schon einen Termin. "
                        "Den Link zum Ändern finden Sie in Ihrer Bestätigung."
                    ),
                )
            else:
                form.add_error(
                    "email",
                    _(
                        "Mit dieser E-Mail gibt es an diesem Tag schon einen Termin. "
                        "Den Link zum Ändern finden Sie in Ihrer Bestätigung."
                    ),
                )
        except services.TooManyBookings:
            form.add_error(
                None,
                _(
                    "Von hier wurden für diesen Tag schon genug Termine gebucht. "
                    "Bitte rufen Sie uns an, wenn Sie noch einen Termin brauchen."
                ),
            )
        else:
            response = redirect("appointments:confirmation", reference=result.booking.reference)
            _remember_confirmation(request, response, result)
            if result.day_version is not None and _shared_page_fits(request):
                confirmation_page.prime(
                    request,
                    result.booking,
                    topics=form.cleaned_data["topics"],
                    day_version=result.day_version,
                    language=request_language(),
                )
            return response
    # Keep the key of the first attempt: nothing was booked, and a resubmit stays one form.
    form.data = form.data.copy()
    form.data["submission_key"] = form.cleaned_data.get("submission_key") or new_submission_key()
    context = {"slot": _public_slot_or_404(pk), "form": form}
    return render(request, "appointments/book.html", context)


def _shared_form_page(request, pk, now) -> HttpResponse | None:
    """The booking page from the shared cache, in one query, when this visitor sees what
    every anonymous visitor sees and the slot is bookable now; else None."""
    if not _shared_page_fits(request):
        return None
    stamp = booking_page.page_stamp(pk, now)
    page = booking_page.cached_page(pk, stamp, request_language()) if stamp else None
    return HttpResponse(booking_page.personalise(request, page)) if page else None


def _shared_page_fits(request) -> bool:
    """Whether the page this visitor sees is the one every anonymous visitor sees."""
    return not (request.GET or request.user.is_authenticated or len(messages.get_messages(request)))


def _origin(request) -> services.BookingOrigin | None:
    """Where a public booking comes from, for the per-address and per-session caps.
    Staff accounts (made by an administrator) book callers in and are not capped."""
    if request.user.is_authenticated:
        return None
    return services.BookingOrigin(
        address_key=address_key(request),
        session_key=salted_hmac(
            "joblokal.session", _session_key(request.session), algorithm="sha256"
        ).hexdigest()[:32],
    )


def _session_key(session) -> str:
    """The session's key, which the cap counts by; a new session keeps it from now on.
    Our session store gives it out without a write (the booking's response writes the
    session once); another engine saves the session first."""
    if hasattr(session, "reserve_key"):
        return session.reserve_key()
    if not session.session_key:
        session.save()
    return session.session_key


def _remember_confirmation(request, response, result) -> None:
    kept = request.session.get(CONFIRMATIONS, {})
    kept[result.booking.reference] = {"id": result.booking.pk, "slot": result.booking.slot_id}
    request.session[CONFIRMATIONS] = dict(list(kept.items())[-KEEP_CONFIRMATIONS:])
    # A duplicate submit has no token of its own; the cookie of the first response stays.
    if result.token:
        response.set_signed_cookie(
            MANAGE_COOKIE,
            result.token,
            salt=MANAGE_COOKIE_SALT + result.booking.reference,
            max_age=MANAGE_COOKIE_SECONDS,
            path=reverse("appointments:confirmation", args=[result.booking.reference]),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Strict",
        )


def _own_booking_in(request, slot) -> str | None:
    """The reference of this session's confirmed booking in the slot, if it has one."""
    kept = request.session.get(CONFIRMATIONS, {})
    ids = {item["id"]: ref for ref, item in kept.items() if item.get("slot") == slot.pk}
    booking = Booking.objects.filter(pk__in=ids, slot=slot).confirmed().first() if ids else None
    return ids[booking.pk] if booking else None


@never_cache
@require_GET
def confirmation(request, reference):
    remembered = request.session.get(CONFIRMATIONS, {}).get(reference)
    if not remembered:
        raise Http404
    token = request.get_signed_cookie(
        MANAGE_COOKIE,
        default=None,
        salt=MANAGE_COOKIE_SALT + reference,
        max_age=MANAGE_COOKIE_SECONDS,
    )
    if _shared_page_fits(request):
        ids = {"booking_id": remembered["id"], "reference": reference}
        page = confirmation_page.shared_page(
            request, **ids, token=token, language=request_language()
        )
        if page is None:
            raise Http404
        return HttpResponse(page)
    booking = confirmation_page.load_booking(remembered["id"], reference)
    if booking is None:
        raise Http404
    manage = confirmation_page.manage_html(request, token=token)
    context = {"booking": booking, "manage_html": manage}
    return render(request, "appointments/confirmation.html", context)


@sensitive_post_parameters()
@never_cache
@post_rate_limit
@require_http_methods(["GET", "POST"])
def waitlist(request, pk):
    now = timezone.now()
    day = get_object_or_404(OutreachDay.objects.for_clients(now), pk=pk)
    form = WaitlistForm(
        initial={
            "submission_key": new_submission_key(),
            "earliest": request.GET.get("von"),
            "latest": request.GET.get("bis"),
        }
    )
    if request.method == "POST":
        if request.limited:
            return ratelimited(request)
        form = WaitlistForm(request.POST)
        if form.is_valid():
            response = _join_waitlist(request, day, form, now)
            if response:
                return response
    context = {
        "day": day,
        "form": form,
        "open_day": day.takes_waitlist(now),
        "opens_later": day.is_published and now < day.booking_opens_at,
    }
    return render(request, "appointments/waitlist.html", context)


def _join_waitlist(request, day, form, now):
    data = form.cleaned_data
    try:
        entry = services.join_waitlist(
            day=day,
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            sms_consent=data["sms_consent"],
            earliest=data["earliest"],
            latest=data["latest"],
            language=request_language(),
            now=now,
        )
    except services.SlotsStillFree:
        form.add_error(None, _("In dieser Zeit sind noch Termine frei. Sie können direkt buchen."))
    except services.SlotNotBookable:
        form.add_error(None, _("Für diesen Tag gibt es keine Warteliste mehr."))
    else:
        request.session[WAITLIST_JOINED] = entry.pk
        return redirect("appointments:waitlist_joined", pk=day.pk)
    return None


@never_cache
@require_GET
def waitlist_joined(request, pk):
    entry_id = request.session.get(WAITLIST_JOINED)
    day = get_object_or_404(OutreachDay.objects.for_clients(), pk=pk)
    entry = get_object_or_404(day.waitlist.all(), pk=entry_id) if entry_id else None
    if entry is None:
        raise Http404
    return render(request, "appointments/waitlist_joined.html", {"day": day, "entry": entry})


# --- Waiting-list offer (notifications, issue 4) --------------------------------------


@never_cache
@post_rate_limit
@require_http_methods(["GET", "POST"])
def waitlist_offer(request, token):
    """The seat held for a waiting-list entry: shown on GET, booked only on POST, so a
    mail scanner that opens the link books nothing."""
    ids = links.read_offer_token(token) if len(token) <= 200 else None
    entry = WaitlistEntry.objects.filter(pk=ids[0], anonymised_at=None).first() if ids else None
    if entry is None:
        raise Http404
    slot_id = ids[1]
    result, problem = None, ""
    if request.method == "POST":
        if request.limited:
            return ratelimited(request)
        try:
            result = services.accept_waitlist_offer(entry_id=entry.pk, slot_id=slot_id)
        except services.AlreadyBooked:
            problem = "already_booked"
        except services.BookingClosed:
            problem = "closed"
        if result and result.duplicate:
            result, problem = None, "booked"
        entry.refresh_from_db()
    is_open = entry.offer_is_open(slot_id=slot_id, now=timezone.now())
    if not (is_open or result or problem):
        booked = entry.status == WaitlistStatus.BOOKED and entry.offered_slot_id == slot_id
        problem = "booked" if booked else "closed"
    context = {
        "entry": entry,
        "slot": entry.offered_slot if entry.offered_slot_id == slot_id else None,
        "is_open": is_open,
        "result": result,
        "manage_url": links.manage_url(result.token) if result and result.token else "",
        "problem": problem,
    }
    return render(request, "appointments/waitlist_offer.html", context)
