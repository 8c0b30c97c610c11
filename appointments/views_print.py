"""Printed material for the notice board and the letter box: a poster per municipality
and an invitation letter, each one A4 page with a QR code (no external service)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from appointments import links
from appointments.forms import new_submission_key
from appointments.forms_print import LetterForm, LetterMode
from appointments.models import AuditAction, Booking, OutreachDay
from appointments.services.letters import (
    NoSlotFree,
    poster_days,
    poster_topics,
    reserve_for_letter,
)
from appointments.services.seats import (
    AlreadyBooked,
    BookingError,
    ClientDetails,
    SlotNotBookable,
)
from coaches import casework
from coaches.models import Coach, FrontDesk, sees_every_day
from joblokal.qr import qr_svg
from locations.models import Municipality

MAX_ID = 2**63 - 1
# CSS pixels per QR module: about 1.3 mm on the poster (read from a step away) and
# 0.8 mm on the letter (read from the hand).
POSTER_QR_SCALE = 5
LETTER_QR_SCALE = 3


def may_print_for(user, municipality: Municipality) -> bool:
    """Whether this user may print a municipality's poster: an administrator, an active
    coach, or an active front desk that serves the municipality."""
    if not user.is_active:
        return False
    if sees_every_day(user) or Coach.objects.active().filter(user=user).exists():
        return True
    return FrontDesk.objects.filter(user=user, active=True, municipalities=municipality).exists()


def municipality_booking_url(municipality: Municipality) -> str:
    """The start page showing only this municipality: a stable address for a QR code."""
    query = urlencode({"gemeinde": municipality.slug})
    return f"{settings.SITE_URL}{reverse('locations:start')}?{query}"


@login_required
@never_cache
@require_GET
def poster(request, municipality_id: int):
    municipality = Municipality.objects.filter(pk=min(municipality_id, MAX_ID)).first()
    if municipality is None:
        raise Http404
    if not may_print_for(request.user, municipality):
        raise PermissionDenied
    days = poster_days(municipality=municipality)
    url = municipality_booking_url(municipality)
    context = {
        "municipality": municipality,
        "days": days,
        "topics": poster_topics(days),
        "booking_url": url,
        "qr": qr_svg(
            url,
            title=_("QR-Code: Termine in %(place)s") % {"place": municipality.name},
            scale=POSTER_QR_SCALE,
        ),
        "operator": settings.OPERATOR,
    }
    return render(request, "print/poster.html", context)


def _letter_scope(user):
    """The persons and days this user may write a letter for (invariant 3): all to an
    administrator, the coach's own persons and days to a coach, the days of its
    municipalities and no accompanied person to a front desk; anyone else is refused."""
    now = timezone.now()
    days = (
        OutreachDay.objects.published()
        .upcoming(now)
        .select_related("site__municipality")
        .order_by("starts_at")
    )
    persons = casework.persons_visible_to(user).active().kept()
    if sees_every_day(user):
        return persons, days
    coach = Coach.objects.active().filter(user=user).first()
    if coach is not None:
        return persons, days.served_by(coach)
    desk = FrontDesk.objects.filter(user=user, active=True).first()
    if desk is None:
        raise PermissionDenied
    return persons.none(), days.filter(site__municipality__in=desk.municipalities.all())


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def letter(request):
    persons, days = _letter_scope(request.user)
    if request.method != "POST":
        initial = {"submission_key": new_submission_key()}
        # Opened from a day on "Mein Tag": that day is chosen already.
        if request.GET.get("tag", "").isdigit() and len(request.GET["tag"]) < 19:
            initial["day"] = int(request.GET["tag"])
        form = LetterForm(persons=persons, days=days, initial=initial)
        return render(request, "print/letter_form.html", {"form": form})
    form = LetterForm(request.POST, persons=persons, days=days)
    if not form.is_valid():
        return render(request, "print/letter_form.html", {"form": form}, status=400)
    try:
        context = _letter_context(request, form.cleaned_data)
    except BookingError as refusal:
        form.add_error(None, _refusal_message(refusal))
        return render(request, "print/letter_form.html", {"form": form}, status=409)
    return render(request, "print/letter.html", context)


def _letter_context(request, data) -> dict:
    person, day = data["person"], data["day"]
    language = data["language"] or (_last_language(person) if person else "")
    name = person.name if person else data["name"]
    context = {"name": name, "address": data["address"], "day": day, "reservation": None}
    if person:
        casework.audit_person(
            user=request.user, person=person, action=AuditAction.VIEW_PERSON, detail="letter"
        )
    if data["mode"] == LetterMode.RESERVE:
        client = ClientDetails(
            name=name,
            email=person.email if person else "",
            phone=person.phone if person else "",
            language=language or "de",
        )
        reservation = reserve_for_letter(
            day=day,
            client=client,
            from_time=data["from_time"],
            submission_key=data["submission_key"],
        )
        url = links.short_manage_url(reservation.short_token)
        context.update(reservation=reservation, booking=reservation.booking)
    else:
        url = settings.SITE_URL + reverse("appointments:day", args=[day.pk])
    return {
        **context,
        "url": url,
        "qr": qr_svg(url, title=_("QR-Code: %(url)s") % {"url": url}, scale=LETTER_QR_SCALE),
        "second_language": language if language not in ("", "de") else "",
        "operator": settings.OPERATOR,
        "today": timezone.localdate(),
    }


def _last_language(person) -> str:
    booking = Booking.objects.filter(person_visit__person=person).order_by("-created_at").first()
    return booking.language if booking else ""


def _refusal_message(refusal: BookingError) -> str:
    if isinstance(refusal, NoSlotFree):
        return _(
            "An diesem Tag ist (ab dieser Uhrzeit) kein Termin mehr frei. Wählen Sie einen "
            "anderen Tag, oder lassen Sie den Termin offen."
        )
    if isinstance(refusal, AlreadyBooked):
        return _("Diese Person hat an diesem Tag schon einen Termin.")
    if isinstance(refusal, SlotNotBookable):
        return _("Für diesen Tag kann man nicht mehr buchen.")
    return _("Der Termin konnte nicht reserviert werden. Bitte versuchen Sie es noch einmal.")
