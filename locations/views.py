import difflib
import hashlib
from collections import defaultdict

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Prefetch, Window, prefetch_related_objects
from django.db.models.functions import RowNumber
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from appointments.models import OutreachDay, Slot
from coaches.models import Coach
from joblokal import cache as kept
from locations import start_page
from locations.forms import MunicipalitySearchForm
from locations.models import District, Municipality, fold, split_list

DAYS_PER_MUNICIPALITY = 3
# What a card shows of a day; the rest of the row is never read.
DAY_FIELDS = ["date", "starts_at", "ends_at", "status", "version", "site__name"]
DAY_FIELDS += ["site__municipality"]
CARD = "locations/includes/municipality_card.html"
# Municipality names and villages, and specialism names, do not raise a day's version;
# an edit of them shows within this time.
CARD_SECONDS = 600
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
    days: venue, specialisms, free slots. The query count does not grow with the data.
    Visitors who are not logged in share one copy per language and query (start_page),
    kept until a day changes or the clock changes what it shows."""
    now = timezone.now()
    if not _shared_page_fits(request):
        return render(request, "locations/start.html", _start_context(request, now))
    marker = OutreachDay.objects.last_change()
    key = start_page.cache_key(request, language=get_language() or "de", marker=marker)
    page = kept.read_current(key, now)
    if page is None:
        context = _start_context(request, now)
        days = [day for m in context["municipalities"] for day in m.next_days]
        context["csrf_token"] = kept.CSRF_MARK
        page = start_page.StartPage(
            html=render_to_string("locations/start.html", context, request=request),
            until=start_page.valid_until(days, now=now, marker=marker),
        )
        kept.write_until(key, page, now)
    return HttpResponse(kept.with_csrf_token(request, page.html))


def _shared_page_fits(request) -> bool:
    """Whether this visitor sees the page every anonymous visitor sees (no coach's menu,
    no message waiting)."""
    return not (request.user.is_authenticated or len(messages.get_messages(request)))


def _start_context(request, now) -> dict:
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
        OutreachDay.objects.published()
        .upcoming(now)
        .with_free_slots(now)
        .filter(site__municipality__in=[m.pk for m in page])
        .select_related("site")
        .only(*DAY_FIELDS),
        partition_by=F("site__municipality"),
        limit=DAYS_PER_MUNICIPALITY,
    )
    by_municipality = defaultdict(list)
    for day in days:
        by_municipality[day.site.municipality_id].append(day)
    for municipality in page:
        municipality.next_days = by_municipality[municipality.pk]
    return {
        "page": page,
        "municipalities": page.object_list,
        "cards": _cards(page.object_list, now),
        **_district_select(search),
        "search": search,
        "no_match": no_match,
        "now": now,
    }


def _district_select(search) -> dict:
    """The Landkreise for the search form's select, as (value, label) pairs and as ready
    <option> markup: across the country there are hundreds, too many to read through the
    ORM and render through the template on every visit. The list is kept for minutes
    (a Landkreis gets its first active municipality rarely), already escaped."""
    key = f"start-districts:{get_language()}"
    choices = kept.read(key)
    if choices is None:
        choices = [
            (escape(str(v)), escape(str(label))) for v, label in search.fields["landkreis"].choices
        ]
        kept.write(key, choices, CARD_SECONDS)
    chosen = search["landkreis"].value()
    chosen = None if chosen is None else escape(str(chosen))
    options = "".join(
        f'<option value="{v}"{" selected" if v == chosen else ""}>{label}</option>'
        for v, label in choices
    )
    # Every value and label was escaped above.
    return {"district_choices": choices, "district_options": mark_safe(options)}  # noqa: S308


def _card_key(municipality, now) -> str:
    """What a card shows that can change: its days' versions (raised by every seat,
    status, time or coach change), free counts and whether booking has opened."""
    days = [
        (d.pk, d.version, d.free_slots, d.booking_opens_at > now) for d in municipality.next_days
    ]
    state = hashlib.sha256(repr(days).encode()).hexdigest()[:24]
    return f"start-card:{get_language()}:{municipality.pk}:{state}"


def _cards(municipalities, now) -> list[str]:
    """The rendered card of each municipality, from the cache where its days are unchanged.
    Only the cards rendered anew read the days' coaches and specialisms."""
    keys = {m.pk: _card_key(m, now) for m in municipalities}
    cached = kept.read_many(keys.values())
    missing = [m for m in municipalities if keys[m.pk] not in cached]
    prefetch_related_objects(
        [day for m in missing for day in m.next_days],
        Prefetch("coaches", queryset=Coach.objects.only("pk").prefetch_related("specialisms")),
    )
    fresh = {keys[m.pk]: render_to_string(CARD, {"municipality": m, "now": now}) for m in missing}
    kept.write_many(fresh, CARD_SECONDS)
    cards = cached | fresh
    return [mark_safe(cards[keys[m.pk]]) for m in municipalities]  # noqa: S308 - rendered here


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
