import difflib
from collections import defaultdict

from django.core.paginator import Paginator
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from appointments.models import OutreachDay, Slot
from locations.forms import MunicipalitySearchForm
from locations.models import District, Municipality, fold, split_list

DAYS_PER_MUNICIPALITY = 3
SLOTS_PER_SITE = 3
# A page of municipalities: the whole country has thousands, a Landkreis a few dozen.
MUNICIPALITIES_PER_PAGE = 24
# The earliest free slots are looked for among this many, then grouped by site.
FIRST_FREE_SLOTS = 60
# When a search finds nothing, the places with the most similar names are shown instead.
SIMILAR_PLACES = 6


def _first_rows(queryset, *, partition_by, limit):
    """The first `limit` rows of each partition by start time, in one query."""
    rank = Window(RowNumber(), partition_by=partition_by, order_by=F("starts_at").asc())
    return queryset.annotate(rank=rank).filter(rank__lte=limit).order_by("starts_at")


@require_GET
def start(request):
    """A page of municipalities (found by name or Landkreis), each with its next published
    days: venue, specialisms, free slots. The query count does not grow with the data."""
    now = timezone.now()
    municipalities = Municipality.objects.active()
    districts = District.objects.filter(municipalities__active=True).distinct()
    search = MunicipalitySearchForm(request.GET or None, districts=districts)
    found = search.filter(municipalities)
    if request.GET.get("gemeinde"):
        # One municipality by its slug: the stable address a poster's QR code carries.
        found = found.filter(slug=request.GET["gemeinde"][:120])
    no_match = bool(search.is_valid() and search.cleaned_data["q"] and not found.exists())
    if no_match:
        found = _similar_places(search.filter_district(municipalities), search.cleaned_data["q"])
    page = Paginator(found, MUNICIPALITIES_PER_PAGE).get_page(request.GET.get("seite"))
    days = _first_rows(
        OutreachDay.objects.for_clients(now)
        .published()
        .upcoming(now)
        .filter(site__municipality__in=[m.pk for m in page]),
        partition_by=F("site__municipality"),
        limit=DAYS_PER_MUNICIPALITY,
    )
    by_municipality = defaultdict(list)
    for day in days:
        by_municipality[day.site.municipality_id].append(day)
    for municipality in page:
        municipality.next_days = by_municipality[municipality.pk]
    context = {
        "page": page,
        "municipalities": page.object_list,
        "search": search,
        "no_match": no_match,
        "now": now,
    }
    return render(request, "locations/start.html", context)


def _similar_places(municipalities, query: str):
    """The places whose name or village is spelled most like the query, else all."""
    names = {}
    for pk, name, villages in municipalities.values_list("pk", "name", "member_villages"):
        for place in [name, *split_list(villages)]:
            names.setdefault(fold(place), set()).add(pk)
    close = difflib.get_close_matches(fold(query), names, n=SIMILAR_PLACES, cutoff=0.75)
    if not close:
        return municipalities
    return municipalities.filter(pk__in={pk for name in close for pk in names[name]})


@require_GET
def first_free(request):
    """The earliest free slots of every site, the site with the earliest one first."""
    now = timezone.now()
    # The earliest free slots overall, then at most SLOTS_PER_SITE of each site: reading
    # a bounded number keeps the page fast however many sites there are.
    slots = (
        Slot.objects.bookable(now)
        .filter(day__site__municipality__active=True)
        .select_related("day__site__municipality")
        .order_by("starts_at")[:FIRST_FREE_SLOTS]
    )
    by_site = {}
    for slot in slots:
        site_slots = by_site.setdefault(slot.day.site_id, [])
        if len(site_slots) < SLOTS_PER_SITE:
            site_slots.append(slot)
    return render(request, "locations/first_free.html", {"sites": list(by_site.values())})
