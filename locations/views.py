from collections import defaultdict

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from appointments.models import OutreachDay, Slot
from locations.models import Municipality

DAYS_PER_MUNICIPALITY = 3
SLOTS_PER_SITE = 3


def _first_rows(queryset, *, partition_by, limit):
    """The first `limit` rows of each partition by start time, in one query."""
    rank = Window(RowNumber(), partition_by=partition_by, order_by=F("starts_at").asc())
    return queryset.annotate(rank=rank).filter(rank__lte=limit).order_by("starts_at")


@require_GET
def start(request):
    """Each municipality with its next published days: venue, specialisms, free slots."""
    now = timezone.now()
    days = _first_rows(
        OutreachDay.objects.for_clients(now)
        .published()
        .upcoming(now)
        .filter(site__municipality__active=True),
        partition_by=F("site__municipality"),
        limit=DAYS_PER_MUNICIPALITY,
    )
    by_municipality = defaultdict(list)
    for day in days:
        by_municipality[day.site.municipality_id].append(day)
    municipalities = list(Municipality.objects.active())
    for municipality in municipalities:
        municipality.next_days = by_municipality[municipality.pk]
    return render(request, "locations/start.html", {"municipalities": municipalities})


@require_GET
def first_free(request):
    """The earliest free slots of every site, the site with the earliest one first."""
    now = timezone.now()
    slots = _first_rows(
        Slot.objects.bookable(now)
        .filter(day__site__municipality__active=True)
        .select_related("day__site__municipality"),
        partition_by=F("day__site"),
        limit=SLOTS_PER_SITE,
    )
    by_site = {}
    for slot in slots:
        by_site.setdefault(slot.day.site_id, []).append(slot)
    return render(request, "locations/first_free.html", {"sites": list(by_site.values())})
