"""Figures per programme and cohort: participants, attendance rate, persons in work during
the participation and within 8 weeks after it, the share in work, and dropouts by reason.

Counted per person from facts that stay after erasure (enrolment dates and reason, the
person's job start, attendance marks), so the figures are the same before and after.
Two queries, whatever the number of participants.
"""

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count
from django.utils.translation import gettext

from appointments import charts
from appointments.models import Attendance, Cohort, Enrolment, LeaveReason, Mark

WEEKS_AFTER = 8


@dataclass
class CohortRow:
    cohort: Cohort | None
    label: str = ""
    participants: int = 0
    in_work_during: int = 0
    in_work_after: int = 0
    present: int = 0
    absent: int = 0
    dropouts: Counter = field(default_factory=Counter)

    @property
    def in_work(self) -> int:
        return self.in_work_during + self.in_work_after

    @property
    def share_in_work(self) -> float | None:
        return self.in_work / self.participants if self.participants else None

    @property
    def attendance_rate(self) -> float | None:
        counted = self.present + self.absent
        return self.present / counted if counted else None

    def dropouts_by_reason(self) -> list[tuple[str, int]]:
        return [(reason.label, self.dropouts[reason.value]) for reason in LeaveReason]


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)} %"


def collect(*, cohorts) -> list[CohortRow]:
    """One row per cohort of the given queryset, in two queries."""
    enrolments = (
        Enrolment.objects.filter(cohort__in=cohorts)
        .select_related("cohort__programme", "person")
        .order_by("cohort__starts_on", "cohort_id", "pk")
    )
    rows: dict[int, CohortRow] = {}
    for enrolment in enrolments:
        cohort = enrolment.cohort
        label = f"{cohort.programme.name} {cohort.starts_on:%d.%m.%Y}"
        row = rows.setdefault(cohort.pk, CohortRow(cohort=cohort, label=label))
        row.participants += 1
        ended = enrolment.ended_on or cohort.ends_on
        job = enrolment.person.job_start_on
        if job and enrolment.enrolled_on <= job <= ended:
            row.in_work_during += 1
        elif job and ended < job <= ended + timedelta(weeks=WEEKS_AFTER):
            row.in_work_after += 1
        if enrolment.end_reason:
            row.dropouts[enrolment.end_reason] += 1
    marks = (
        Attendance.objects.filter(
            enrolment__cohort__in=cohorts, mark__in=[Mark.PRESENT, Mark.ABSENT]
        )
        .values_list("enrolment__cohort_id", "mark")
        .annotate(n=Count("pk"))
    )
    for cohort_id, mark, n in marks:
        if cohort_id in rows:
            setattr(rows[cohort_id], mark, n)
    return list(rows.values())


def charts_for(rows: list[CohortRow]) -> list:
    """Bar charts of the share in work and the attendance rate, one bar per cohort."""

    return [
        charts.bar_chart(
            slug="programme-in-work",
            title=gettext("Anteil in Arbeit"),
            description=gettext(
                "Anteil der Teilnehmenden mit Arbeitsbeginn während der Teilnahme oder bis "
                "8 Wochen danach."
            ),
            items=[(r.label, r.share_in_work or 0, percent(r.share_in_work)) for r in rows],
            maximum=1,
        ),
        charts.bar_chart(
            slug="programme-attendance",
            title=gettext("Anwesenheit"),
            description=gettext("Anteil der Termine, zu denen die Teilnehmenden da waren."),
            items=[(r.label, r.attendance_rate or 0, percent(r.attendance_rate)) for r in rows],
            maximum=1,
        ),
    ]


def totals(rows: list[CohortRow], *, by: str) -> list[CohortRow]:
    """The cohort rows summed per programme, or per month or year of the cohort's start;
    a person in two cohorts counts in each."""
    keys = {
        "programme": lambda c: c.programme.name,
        "month": lambda c: f"{c.starts_on:%m/%Y}",
        "year": lambda c: f"{c.starts_on:%Y}",
    }
    grouped: dict[str, CohortRow] = {}
    for row in rows:
        label = keys[by](row.cohort)
        total = grouped.setdefault(label, CohortRow(cohort=None, label=label))
        for name in ("participants", "in_work_during", "in_work_after", "present", "absent"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.dropouts.update(row.dropouts)
    return list(grouped.values())


def write_csv(out, rows: list[CohortRow]) -> None:
    """The figures as CSV, one line per cohort."""
    writer = csv.writer(out)
    reasons = list(LeaveReason)
    writer.writerow(
        [
            gettext("Durchgang"),
            gettext("Teilnehmende"),
            gettext("Anwesenheit"),
            gettext("in Arbeit während der Teilnahme"),
            gettext("in Arbeit bis 8 Wochen danach"),
            gettext("Anteil in Arbeit"),
            *[f"{gettext('vorzeitig beendet')}: {reason.label}" for reason in reasons],
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.label,
                row.participants,
                percent(row.attendance_rate),
                row.in_work_during,
                row.in_work_after,
                percent(row.share_in_work),
                *[row.dropouts[reason.value] for reason in reasons],
            ]
        )
