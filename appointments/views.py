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
