"""The client withdraws consent to be accompanied, through the secret link of a booking
linked to them. The accompaniment ends at once; erasure follows on schedule."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appointments.views import post_rate_limit
from appointments.views_manage import _booking_for_token
from coaches import casework
from joblokal.views import ratelimited


@post_rate_limit
@require_POST
def withdraw_consent(request, token):
    booking = _booking_for_token(token)
    if request.limited:
        return ratelimited(request)
    if casework.withdraw_consent_by_link(booking=booking):
        messages.success(
            request,
            _("Wir begleiten Sie nicht mehr. Ihre Daten löschen wir nach der üblichen Frist."),
        )
    else:
        messages.info(request, _("Es gibt keine laufende Begleitung."))
    return redirect("appointments:manage", token=token)
