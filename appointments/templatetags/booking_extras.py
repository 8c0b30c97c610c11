"""Template helpers of the client's booking path."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext

from appointments.models import OutreachDay, Slot

register = template.Library()
STEP_FREE_ALTERNATIVES = 3


@register.simple_tag
def step_free_days(day: OutreachDay) -> list[OutreachDay]:
    """The next days with a free slot at step-free venues of the day's Landkreis."""
    if day.site.step_free:
        return []
    municipality = day.site.municipality
    free = Slot.objects.bookable(timezone.now()).filter(
        day__site__step_free=True, day__site__municipality__district=municipality.district
    )
    return list(
        OutreachDay.objects.filter(pk__in=free.values("day_id"))
        .select_related("site__municipality")
        .order_by("starts_at")[:STEP_FREE_ALTERNATIVES]
    )


@register.filter
def recorded_needs(booking) -> list[str]:
    """The needs a client told us, as short phrases for pages and mail."""
    needs = []
    if booking.need_step_free:
        needs.append(gettext("Zugang ohne Stufen"))
    if booking.need_child:
        needs.append(gettext("Sie bringen ein Kind mit."))
    if booking.interpreter_language:
        needs.append(
            gettext("Eine Person, die übersetzt: %(language)s")
            % {"language": booking.interpreter_language}
        )
    if booking.needs_other:
        needs.append(booking.needs_other)
    return needs
