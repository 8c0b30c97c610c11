from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from appointments.models import Booking


def _booking_for_token(token: str) -> Booking:
    """The booking behind a secret link, or 404 for anything else."""
    if len(token) > 64:
        raise Http404
    booking = (
        Booking.objects.by_token(token)
        .select_related("slot__day__site__municipality")
        .filter(anonymised_at=None)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


@never_cache
def manage(request, token):
    booking = _booking_for_token(token)
    return render(request, "appointments/manage.html", {"booking": booking})


# --- Waiting-list offer (notifications, issue 4) --------------------------------------


@never_cache
def waitlist_offer(request, token):
    """The seat held for a waiting-list entry: shown on GET, booked only on POST, so a
    mail scanner that opens the link books nothing."""
    from django.utils import timezone

    from appointments import emails, services
    from appointments.models import WaitlistEntry, WaitlistStatus

    ids = emails.read_offer_token(token) if len(token) <= 200 else None
    entry = WaitlistEntry.objects.filter(pk=ids[0], anonymised_at=None).first() if ids else None
    if entry is None:
        raise Http404
    slot_id = ids[1]
    result, problem = None, ""
    if request.method == "POST":
        try:
            result = services.accept_waitlist_offer(entry_id=entry.pk, slot_id=slot_id)
        except services.AlreadyBooked:
            problem = "already_booked"
        except services.BookingClosed:
            problem = "closed"
        if result and result.duplicate:
            result, problem = None, "booked"
        entry.refresh_from_db()
    is_open = (
        entry.status == WaitlistStatus.OFFERED
        and entry.offered_slot_id == slot_id
        and entry.offer_expires_at > timezone.now()
    )
    if not (is_open or result or problem):
        booked = entry.status == WaitlistStatus.BOOKED and entry.offered_slot_id == slot_id
        problem = "booked" if booked else "closed"
    context = {
        "entry": entry,
        "slot": entry.offered_slot if entry.offered_slot_id == slot_id else None,
        "is_open": is_open,
        "result": result,
        "manage_url": emails.manage_url(result.token) if result and result.token else "",
        "problem": problem,
    }
    return render(request, "appointments/waitlist_offer.html", context)
