"""The admin's pointer to call lists: after a day is cancelled, the clients reached by
neither mail nor SMS learn of it only by phone (invariant 10)."""

from django.contrib import messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from appointments.models import Call, CallReason


def offer_call_lists(model_admin, request, days) -> None:
    """Link the printable call list of each cancelled day that has one."""
    with_calls = set(
        Call.objects.filter(booking__day__in=days, reason=CallReason.DAY_CANCELLED).values_list(
            "booking__day_id", flat=True
        )
    )
    for day in days:
        if day.pk in with_calls:
            link = format_html(
                '{}: <a href="{}">{}</a>',
                day,
                reverse("coaches:call_list", args=[day.pk]),
                gettext("Anrufliste drucken (Personen ohne E-Mail und SMS)"),
            )
            model_admin.message_user(request, link, messages.WARNING)
