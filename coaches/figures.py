"""Figures per person, not per visit: persons accompanied, persons into work and how
fast, and the referral funnel; per municipality or Landkreis and per month of the first
visit, with charts, tables and CSV.

Counted from anonymous facts that stay after erasure (municipality, first visit, job
start, referral steps), so the figures are the same before and after. Two queries,
whatever the number of persons.
"""

import csv
from dataclasses import dataclass, field
from datetime import date
from statistics import median

from django import forms
from django.conf import settings
from django.db.models import Count
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appointments import charts
from appointments.statistics import MonthField, add_months
from coaches.models_casework import Person
from coaches.models_employers import ReferralStatus, ReferralStep


@dataclass
class PersonRow:
    place: str
    month: date | None
    persons: int = 0
    into_work: int = 0
    into_work_within: int = 0
    days_to_job: list = field(default_factory=list)

    @property
    def share_within(self) -> float | None:
        return self.into_work_within / self.persons if self.persons else None

    @property
    def share_display(self) -> str:
        return _percent(self.share_within)

    @property
    def median_days(self) -> float | None:
        return median(self.days_to_job) if self.days_to_job else None

    def count(self, first_visit: date, job_start: date | None, weeks: int) -> None:
        self.persons += 1
        if job_start is None:
            return
        self.into_work += 1
        days = (job_start - first_visit).days
        self.days_to_job.append(days)
        if days <= weeks * 7:
            self.into_work_within += 1


@dataclass
class PersonReport:
    rows: list[PersonRow]
    total: PersonRow
    places: list[PersonRow]
    funnel: list[tuple[str, int]]
    weeks: int


def collect(*, start: date, end: date, by: str = "municipality", weeks: int | None = None):
    """Persons whose first visit lies from `start` up to (not including) `end`, grouped
    by municipality or Landkreis (`by="district"`) and month of the first visit."""
    weeks = weeks or settings.JOB_START_WEEKS
    place = "municipality__district" if by == "district" else "municipality__name"
    persons = Person.objects.filter(first_visit_on__gte=start, first_visit_on__lt=end)
    rows: dict = {}
    total = PersonRow(place="", month=None)
    places: dict = {}
    for name, first, job in persons.values_list(place, "first_visit_on", "job_start_on"):
        month = first.replace(day=1)
        rows.setdefault((name, month), PersonRow(name, month)).count(first, job, weeks)
        places.setdefault(name, PersonRow(name, None)).count(first, job, weeks)
        total.count(first, job, weeks)
    reached = dict(
        ReferralStep.objects.filter(referral__person__in=persons)
        .values("status")
        .annotate(n=Count("referral", distinct=True))
        .values_list("status", "n")
    )
    return PersonReport(
        rows=[rows[key] for key in sorted(rows)],
        total=total,
        places=[places[key] for key in sorted(places)],
        funnel=[(label, reached.get(value, 0)) for value, label in ReferralStatus.choices],
        weeks=weeks,
    )


class PersonFiguresForm(forms.Form):
    start = MonthField(label=_("von Monat"), required=False)
    end = MonthField(label=_("bis Monat"), required=False)
    by = forms.ChoiceField(
        label=_("Gruppiert nach"),
        choices=[("municipality", _("Gemeinde")), ("district", _("Landkreis"))],
        required=False,
    )
    weeks = forms.IntegerField(
        label=_("Arbeit innerhalb von … Wochen"), min_value=1, max_value=104, required=False
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("„bis“ muss nach „von“ liegen."))
        return data

    def options(self, today: date) -> dict:
        """start, end (exclusive), by and weeks; the last 12 months by default."""
        this_month = today.replace(day=1)
        start, end = add_months(this_month, -11), this_month
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        start = data.get("start") or start
        end = data.get("end") or max(end, start)
        return {
            "start": start,
            "end": add_months(end, 1),
            "by": data.get("by") or "municipality",
            "weeks": data.get("weeks") or settings.JOB_START_WEEKS,
        }


def _percent(value) -> str:
    return "–" if value is None else formats.number_format(value * 100, 1) + " %"


def charts_for(report: PersonReport) -> list:
    return [
        charts.bar_chart(
            slug="persons",
            title=gettext("Begleitete Personen"),
            description=gettext("Personen je Ort, gezählt nach dem ersten Besuch."),
            items=[(r.place, r.persons, r.persons) for r in report.places],
        ),
        charts.bar_chart(
            slug="into-work",
            title=gettext("Anteil in Arbeit innerhalb von %(weeks)s Wochen")
            % {"weeks": report.weeks},
            description=gettext("Anteil der Personen mit Arbeitsbeginn nach dem ersten Besuch."),
            items=[(r.place, r.share_within or 0, _percent(r.share_within)) for r in report.places],
            maximum=1,
        ),
        charts.bar_chart(
            slug="funnel",
            title=gettext("Vermittlungsvorschläge nach Stand"),
            description=gettext("Wie viele Vorschläge jeden Stand erreicht haben."),
            items=[(label, n, n) for label, n in report.funnel],
        ),
    ]


def write_csv(response, report: PersonReport) -> None:
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            gettext("Ort"),
            gettext("Monat"),
            gettext("Personen"),
            gettext("mit Arbeitsbeginn"),
            gettext("in Arbeit innerhalb von %(weeks)s Wochen") % {"weeks": report.weeks},
            gettext("Anteil in %"),
            gettext("Median Tage bis Arbeitsbeginn"),
        ]
    )
    for row in [*report.rows, report.total]:
        share = row.share_within
        writer.writerow(
            [
                row.place or gettext("Summe"),
                f"{row.month:%Y-%m}" if row.month else "",
                row.persons,
                row.into_work,
                row.into_work_within,
                "" if share is None else formats.number_format(share * 100, 1),
                "" if row.median_days is None else row.median_days,
            ]
        )
