"""Notices to the venue (the town hall): days published or cancelled there, and a day
list two working days before each day. They go to the venue's contact address through
the outbox and name no client."""

from datetime import date, datetime, timedelta
from itertools import groupby

import holidays
from django.utils import timezone

from appointments import outbox
from appointments.models import DayStatus, MailKind, OutreachDay

# The day list goes out this many working days (Mon–Fri, not a public holiday) before.
DAY_LIST_WORKING_DAYS = 2
# Looked at each run: far enough to span two working days around Christmas and Easter.
DAY_LIST_HORIZON_DAYS = 14


def queue_days_published(*, days) -> int:
    """Queue one notice per venue for days published together; returns how many."""
    queued = 0
    days = sorted(days, key=lambda d: (d.site_id, d.starts_at))
    for _site_id, group in groupby(days, key=lambda d: d.site_id):
        group = list(group)
        first = min(group, key=lambda d: d.pk)
        # A day is published once, so its id names the action that published it.
        mail = outbox.queue_mail(
            kind=MailKind.VENUE_PUBLISHED,
            day=first,
            key=f"{MailKind.VENUE_PUBLISHED}:{first.pk}",
            context={"day_ids": [d.pk for d in group]},
        )
        queued += mail is not None
    return queued


def queue_day_cancelled(*, day: OutreachDay) -> bool:
    """Queue the notice that a day at the venue is cancelled (once per day)."""
    mail = outbox.queue_mail(
        kind=MailKind.VENUE_CANCELLED, day=day, key=f"{MailKind.VENUE_CANCELLED}:{day.pk}"
    )
    return mail is not None


def day_list_date(*, on: date, state: str) -> date:
    """The working day DAY_LIST_WORKING_DAYS before `on`, weekends and the state's public
    holidays skipped."""
    public = holidays.country_holidays("DE", subdiv=state, years={on.year - 1, on.year})
    sends_on, counted = on, 0
    while counted < DAY_LIST_WORKING_DAYS:
        sends_on -= timedelta(days=1)
        if sends_on.weekday() < 5 and sends_on not in public:
            counted += 1
    return sends_on


def queue_day_lists(*, now: datetime | None = None) -> int:
    """Queue the day list of every published day whose list is due and not yet queued;
    the outbox key makes a second run queue nothing twice. Returns how many were new."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = (
        OutreachDay.objects.filter(
            status=DayStatus.PUBLISHED,
            starts_at__gt=now,
            date__lte=today + timedelta(days=DAY_LIST_HORIZON_DAYS),
        )
        .exclude(venue_mails__kind=MailKind.VENUE_DAY_LIST)
        .select_related("site__municipality__district")
    )
    queued = 0
    for day in days:
        state = day.site.municipality.district.state
        if today < day_list_date(on=day.date, state=state) or not day.site.notice_email:
            continue
        mail = outbox.queue_mail(
            kind=MailKind.VENUE_DAY_LIST, day=day, key=f"{MailKind.VENUE_DAY_LIST}:{day.pk}"
        )
        queued += mail is not None
    return queued
