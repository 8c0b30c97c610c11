"""Figures for staff: per municipality and month, counted in the database, and the
statistics page's form, charts and CSV.

The page reads one stored row per day (DayFigures, rebuilt from the bookings when the
day's version moves on), so its cost grows with the days shown, not with the bookings.
collect_from_bookings() counts the same from the bookings directly, for the tests.

What counts where (months are the months of the counselling day):
- days held: published days whose end has passed; slots and seats offered are theirs;
- bookings: online bookings on held days that were not cancelled;
- utilisation: seats used (bookings and walk-ins that take a seat) / seats offered;
- attended, no-shows and walk-ins: on held days; the no-show rate is no-shows / bookings;
- cancellations: cancelled bookings on any day of the month, by the client or the office;
- outcomes: outcome codes of bookings on held days; the job-start share is bookings with
  a job start / attended.
"""

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta

from django import forms
from django.db import connection
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appointments import charts
from appointments.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingOutcome,
    BookingStatus,
    Channel,
    DayFigures,
    DayStatus,
    OutcomeCode,
    OutreachDay,
    Slot,
)
from appointments.services.figures import refresh_day_figures
from joblokal import cache as kept
from locations.models import District, Municipality, Site

COUNTS = [
    "days_held",
    "slots_offered",
    "seats_offered",
    "bookings",
    "seats_used",
    "attended",
    "no_shows",
    "cancellations",
    "walk_ins",
]


@dataclass
class Row:
    municipality: str
    month: date | None
    days_held: int = 0
    slots_offered: int = 0
    seats_offered: int = 0
    bookings: int = 0
    seats_used: int = 0
    attended: int = 0
    no_shows: int = 0
    cancellations: int = 0
    walk_ins: int = 0
    outcomes: dict = field(default_factory=dict)

    @property
    def utilisation(self) -> float | None:
        return _share(self.seats_used, self.seats_offered)

    @property
    def no_show_rate(self) -> float | None:
        return _share(self.no_shows, self.bookings)

    @property
    def outcome_counts(self) -> list[int]:
        """Counts in the order of OutcomeCode, for tables and CSV columns."""
        return [self.outcomes.get(code, 0) for code in OutcomeCode.values]

    @property
    def job_starts(self) -> int:
        return self.outcomes.get(OutcomeCode.JOB_START, 0)

    @property
    def job_start_share(self) -> float | None:
        return _share(self.job_starts, self.attended)

    def add(self, other: "Row") -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, n in other.outcomes.items():
            self.outcomes[code] = self.outcomes.get(code, 0) + n


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Report:
    rows: list[Row]
    total: Row
    months: list[Row]  # all municipalities together, per month
    municipalities: list[Row]  # all months together, per municipality

    def digest(self, language: str) -> str:
        """A key for the rendered tables and charts: equal figures render alike."""
        figures = [
            (r.municipality, r.month, *(getattr(r, n) for n in COUNTS), sorted(r.outcomes.items()))
            for r in [*self.rows, self.total]
        ]
        return hashlib.sha256(repr((language, figures)).encode()).hexdigest()


def _days(start: date, end: date, site=None, district=None):
    days = OutreachDay.objects.filter(date__gte=start, date__lt=end)
    if district:
        days = days.filter(site__municipality__district=district)
    return days.filter(site=site) if site is not None else days


def _held(days, now):
    return days.filter(status=DayStatus.PUBLISHED, ends_at__lte=now)


def collect(
    *, start: date, end: date, site=None, district=None, now=None, by_district=False
) -> Report:
    """The figures for days from `start` up to (not including) `end`, optionally of one
    Landkreis or one site, per municipality and month (or per Landkreis over the period
    with `by_district`): summed in the database from one stored row per day (DayFigures),
    the stale ones of the scope rebuilt first, so the figures are exact and the page
    never reads bookings of days that did not change."""
    now = now or timezone.now()
    refresh_day_figures(days=_days(start, end, site, district))
    figures = DayFigures.objects.filter(month__gte=start, month__lt=end)
    if district:
        figures = figures.filter(district=district)
    if site is not None:
        figures = figures.filter(day__site=site)
    held = Q(held_from__lte=now)
    # A day to come without any booking has no figure yet.
    any_count = Q(**{f"{count}__gt": 0 for count in DAY_COUNTS}, _connector=Q.OR)
    counted = figures.filter(held | any_count)
    name = "district__name" if by_district else "municipality__name"
    rows = {}
    for v in _sums(counted, name, held):
        key = (v.pop("name"), v.pop("month"))
        rows[key] = Row(municipality=key[0], month=key[1], **v)
    # Most days record no outcome: only the others are opened up.
    with_outcomes = counted.filter(held).exclude(outcomes={})
    for place, month, code, n in _outcome_sums(with_outcomes, name):
        rows[(place, month)].outcomes[code] = n
    report = _report(sorted(rows.values(), key=lambda r: (r.municipality, r.month)))
    if by_district:
        # Hundreds of Landkreise times the months would be thousands of rows (megabytes
        # of table): one row per Landkreis over the period; the months stay in `months`.
        report.rows = report.municipalities
    return report


# The per-day counts of DayFigures that count only once the day is held.
HELD_COUNTS = ["slots_offered", "seats_offered", "bookings", "seats_used", "attended"]
HELD_COUNTS += ["no_shows", "walk_ins"]
DAY_COUNTS = [*HELD_COUNTS, "cancellations"]


def _sums(figures, name: str, held: Q):
    """Per place and month: days held, the held days' counts, and all cancellations."""
    sums = {count: Sum(count, filter=held, default=0) for count in HELD_COUNTS}
    return (
        figures.values("month", name=F(name))
        .annotate(
            days_held=Count("pk", filter=held),
            cancellations=Sum("cancellations", default=0),
            **sums,
        )
        .order_by()
    )


def _outcome_sums(figures, name: str):
    """(place, month, outcome code, bookings) summed over the days' outcome counts."""
    days = figures.values(place=F(name), f_month=F("month"), f_outcomes=F("outcomes"))
    sql, params = days.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        # The ORM's own SQL, its values as parameters.
        query = "SELECT d.place, d.f_month, o.key, SUM(o.value::integer)"
        query += f" FROM ({sql}) d, jsonb_each_text(d.f_outcomes) o GROUP BY 1, 2, 3"  # noqa: S608
        cursor.execute(query, params)
        return cursor.fetchall()


def collect_from_bookings(*, start: date, end: date, site=None, district=None, now=None) -> Report:
    """The same figures counted from the bookings themselves: the reference that the
    stored day figures are tested against."""
    now = now or timezone.now()
    days = _days(start, end, site, district)
    held = _held(days, now)
    key = {"municipality": F("site__municipality__name"), "month": TruncMonth("date")}
    rows: dict = {}

    def row(values) -> Row:
        k = (values["municipality"], values["month"])
        return rows.setdefault(k, Row(municipality=k[0], month=k[1]))

    for v in held.values(**key).annotate(n=Count("pk")).order_by():
        row(v).days_held = v["n"]
    slot_key = {
        "municipality": F("day__site__municipality__name"),
        "month": TruncMonth("day__date"),
    }
    slots = Slot.objects.filter(day__in=held.values("pk"))
    for v in slots.values(**slot_key).annotate(n=Count("pk"), seats=Sum("capacity")).order_by():
        r = row(v)
        r.slots_offered, r.seats_offered = v["n"], v["seats"] or 0
    _collect_bookings(days, slot_key, row, now)
    outcomes = BookingOutcome.objects.filter(booking__day__in=held.values("pk"))
    outcome_key = {
        "municipality": F("booking__day__site__municipality__name"),
        "month": TruncMonth("booking__day__date"),
    }
    for v in outcomes.values("code", **outcome_key).annotate(n=Count("booking", distinct=True)):
        row(v).outcomes[v["code"]] = v["n"]
    return _report(sorted(rows.values(), key=lambda r: (r.municipality, r.month)))


def _collect_bookings(days, slot_key, row, now) -> None:
    held_day = Q(day__status=DayStatus.PUBLISHED, day__ends_at__lte=now)
    active = Q(status__in=ACTIVE_STATUSES)
    online = Q(channel=Channel.ONLINE)
    bookings = Booking.objects.filter(day__in=days.values("pk"))
    grouped = bookings.values(**slot_key).annotate(
        bookings=Count("pk", filter=held_day & active & online),
        seats_used=Count("pk", filter=held_day & active & Q(takes_seat=True)),
        attended=Count("pk", filter=held_day & Q(status=BookingStatus.ATTENDED)),
        no_shows=Count("pk", filter=held_day & Q(status=BookingStatus.NO_SHOW)),
        walk_ins=Count("pk", filter=held_day & active & Q(channel=Channel.WALK_IN)),
        cancellations=Count("pk", filter=Q(status=BookingStatus.CANCELLED)),
    )
    for v in grouped.order_by():
        r = row(v)
        for name in ["bookings", "seats_used", "attended", "no_shows", "walk_ins", "cancellations"]:
            setattr(r, name, v[name])


def _report(rows: list[Row]) -> Report:
    total = Row(municipality="", month=None)
    months: dict = {}
    municipalities: dict = {}
    for r in rows:
        total.add(r)
        months.setdefault(r.month, Row(municipality="", month=r.month)).add(r)
        municipalities.setdefault(r.municipality, Row(municipality=r.municipality, month=None))
        municipalities[r.municipality].add(r)
    return Report(
        rows=rows,
        total=total,
        months=[months[m] for m in sorted(months)],
        municipalities=[municipalities[m] for m in sorted(municipalities)],
    )


# --- The statistics page: its form, charts and CSV ---------------------------------


def _month_start(value: date) -> date:
    return value.replace(day=1)


def add_months(value: date, months: int) -> date:
    index = value.year * 12 + value.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:
            year, month = (int(part) for part in value.split("-"))
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(
                _("Bitte geben Sie einen Monat an, z. B. 2026-03."), code="invalid"
            ) from None


class StatisticsForm(forms.Form):
    start = MonthField(label=_("von Monat"), required=False)
    end = MonthField(label=_("bis Monat"), required=False)
    district = forms.ModelChoiceField(
        label=_("Landkreis"), required=False, queryset=District.objects.none()
    )
    site = forms.ModelChoiceField(
        queryset=Site.objects.select_related("municipality"),
        required=False,
        label=_("Ort"),
        empty_label=_("alle Orte"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # EXISTS, not a join with DISTINCT: the first two Landkreise are found by the
        # name index (0.2 ms at 8,000 municipalities, where the join took 9 ms).
        towns = Municipality.objects.filter(district=OuterRef("pk"))
        districts = District.objects.filter(Exists(towns))
        self.fields["district"].queryset = districts
        # Across the whole country a table per municipality would have thousands of rows:
        # with several Landkreise, the page shows the first by default, and for "all" one
        # row per Landkreis and month.
        # The first two tell "several" and the default; hundreds are never loaded here.
        first = list(districts[:2])
        self.several_districts = len(first) > 1
        self.default_district = first[0] if self.several_districts else None
        self.fields["district"].empty_label = (
            _("alle Landkreise") if self.several_districts else _("alle")
        )
        self.fields["district"].initial = self.default_district and self.default_district.pk
        district = self.chosen_district()
        if district:
            self.fields["site"].queryset = self.fields["site"].queryset.filter(
                municipality__district=district
            )
        start, end, _site = self.period()
        self.fields["start"].initial = f"{start:%Y-%m}"
        self.fields["end"].initial = f"{add_months(end, -1):%Y-%m}"

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("„bis“ muss nach „von“ liegen."))
        elif start and end and add_months(start, 36) <= end:
            self.add_error("end", _("Bitte wählen Sie höchstens drei Jahre."))
        return data

    def chosen_district(self) -> District | None:
        """The Landkreis whose figures are shown (None for all: chosen, or the only one)."""
        if self.is_bound and self.is_valid() and "district" in self.data:
            return self.cleaned_data["district"]
        return self.default_district

    def by_district(self) -> bool:
        """Whether the rows are Landkreise (the whole country) rather than municipalities."""
        return self.several_districts and self.chosen_district() is None

    def period(self) -> tuple[date, date, Site | None]:
        """(first day, day after the last month, site); the last 12 months by default."""
        this_month = _month_start(timezone.localdate())
        start, end = add_months(this_month, -11), this_month
        site = None
        if self.is_bound and self.is_valid():
            start = self.cleaned_data["start"] or start
            end = self.cleaned_data["end"] or max(end, start)
            site = self.cleaned_data["site"]
        return start, add_months(end, 1), site


def report_for(form: StatisticsForm) -> tuple[Report, bool]:
    """The report the form asks for, and whether its rows are Landkreise."""
    options = _options(form)
    return collect(**options), options["by_district"]


def _options(form: StatisticsForm) -> dict:
    start, end, site = form.period()
    district, by_district = form.chosen_district(), form.by_district()
    return {
        "start": start,
        "end": end,
        "site": site,
        "district": district,
        "by_district": by_district,
    }


def page_report(form: StatisticsForm, *, language: str) -> tuple[Report, bool, str]:
    """The report for the page, whether its rows are Landkreise, and its digest (the key
    of the cached tables and charts). While no day changed since the digest was stored
    (and no day of the period was held meanwhile), the digest comes from the cache and
    the report is only counted if the cached tables are missing too."""
    options = _options(form)
    now = timezone.now()
    marker = OutreachDay.objects.last_change()
    key = _digest_key(options, language, marker)
    digest = _cache_get(key, now)
    if digest is not None:
        return SimpleLazyObject(lambda: collect(**options, now=now)), options["by_district"], digest
    report = collect(**options, now=now)
    digest = report.digest(language)
    _cache_set(key, (digest, _digest_until(options, now, marker)), now)
    return report, options["by_district"], digest


# Figures only change with a day (its version and changed_at raised) or with the clock
# (a day becoming held); names of places show within this time.
DIGEST_MAX_AGE = timedelta(minutes=10)
# changed_at is stamped before its transaction commits; see locations/start_page.py.
DIGEST_SETTLE = timedelta(seconds=5)


def _digest_key(options: dict, language: str, marker) -> str:
    scope = [options[name] for name in ("start", "end", "by_district")]
    scope += [getattr(options[name], "pk", None) for name in ("site", "district")]
    seed = repr((scope, language, marker and marker.isoformat()))
    return "statistics-digest:" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def _digest_until(options: dict, now, marker):
    """The first moment a day of the scope becomes held, or the entry's maximum age."""
    moments = [now + DIGEST_MAX_AGE]
    if marker is not None and now < marker + DIGEST_SETTLE:
        moments.append(marker + DIGEST_SETTLE)
    figures = DayFigures.objects.filter(month__gte=options["start"], month__lt=options["end"])
    if options["district"]:
        figures = figures.filter(district=options["district"])
    if options["site"] is not None:
        figures = figures.filter(day__site=options["site"])
    upcoming = figures.filter(held_from__gt=now).aggregate(first=Min("held_from"))["first"]
    return min([*moments, upcoming] if upcoming else moments)


def _cache_get(key: str, now):
    entry = kept.read(key)
    return entry[0] if entry is not None and now < entry[1] else None


def _cache_set(key: str, entry, now) -> None:
    kept.write(key, entry, (entry[1] - now).total_seconds())


def _percent(value) -> str:
    if value is None:
        return "–"
    return formats.number_format(value * 100, 1) + " %"


def _month_label(value: date) -> str:
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def charts_for(report, *, by_district: bool = False) -> list:
    outcome_names = dict(OutcomeCode.choices)
    if by_district:
        utilisation = gettext("Auslastung je Landkreis")
    else:
        utilisation = gettext("Auslastung je Gemeinde")
    return [
        charts.bar_chart(
            slug="bookings",
            title=gettext("Gebuchte Termine je Monat"),
            description=gettext(
                "Online gebuchte Termine an Tagen, die stattgefunden haben, je Monat."
            ),
            items=[(_month_label(r.month), r.bookings, r.bookings) for r in report.months],
        ),
        charts.bar_chart(
            slug="utilisation",
            title=utilisation,
            description=gettext("Anteil der belegten Plätze an allen angebotenen Plätzen."),
            items=[
                (r.municipality, r.utilisation or 0, _percent(r.utilisation))
                for r in report.municipalities
            ],
            maximum=1,
        ),
        charts.bar_chart(
            slug="outcomes",
            title=gettext("Ergebnisse der Beratung"),
            description=gettext("Wie oft jedes Ergebnis erfasst wurde."),
            items=[
                (
                    outcome_names[code],
                    report.total.outcomes.get(code, 0),
                    report.total.outcomes.get(code, 0),
                )
                for code, _label in OutcomeCode.choices
            ],
        ),
    ]


# A spreadsheet reads a cell starting with one of these as a formula (CSV injection): a
# municipality named "=HYPERLINK(...)" must arrive as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """The value, with a leading ' if a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, writer):
        self.writer = writer

    def writerow(self, row):
        self.writer.writerow([spreadsheet_safe(value) for value in row])


def write_csv(response, report, *, by_district: bool = False) -> None:
    writer = _SafeWriter(csv.writer(response, delimiter=";"))
    codes = OutcomeCode.choices
    writer.writerow(
        [
            gettext("Landkreis") if by_district else gettext("Gemeinde"),
            gettext("Monat"),
            gettext("Tage"),
            gettext("Zeitfenster"),
            gettext("Plätze"),
            gettext("Buchungen"),
            gettext("belegte Plätze"),
            gettext("Auslastung in %"),
            gettext("erschienen"),
            gettext("nicht erschienen"),
            gettext("Anteil nicht erschienen in %"),
            gettext("Absagen"),
            gettext("ohne Termin"),
            *[str(label) for _code, label in codes],
            gettext("Anteil mit Arbeitsaufnahme in %"),
        ]
    )
    for row in [*report.rows, report.total]:
        writer.writerow(
            [
                row.municipality or gettext("Summe"),
                f"{row.month:%Y-%m}" if row.month else "",
                row.days_held,
                row.slots_offered,
                row.seats_offered,
                row.bookings,
                row.seats_used,
                _csv_percent(row.utilisation),
                row.attended,
                row.no_shows,
                _csv_percent(row.no_show_rate),
                row.cancellations,
                row.walk_ins,
                *[row.outcomes.get(code, 0) for code, _label in codes],
                _csv_percent(row.job_start_share),
            ]
        )


def _csv_percent(value) -> str:
    return "" if value is None else formats.number_format(value * 100, 1)
