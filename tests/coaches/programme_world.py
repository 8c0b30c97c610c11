"""A small programme world: Anna's team runs "Durchstarten" in Wathlingen on Monday,
Wednesday and Friday, 09:00-12:00, for eight weeks."""

from datetime import date, time

from django.utils import timezone

from appointments.models import Cohort, Programme
from appointments.services import generate_sessions
from coaches.models_casework import CONSENT_TEXT_VERSION, Person

# Eight weeks from Monday 26 April 2027: 24 Mondays, Wednesdays and Fridays, of which
# Whit Monday (17 May 2027) is a public holiday in Lower Saxony.
START = date(2027, 4, 26)


def programme(team, site, *, capacity=12, lead=None, **fields) -> Programme:
    return Programme.objects.create(
        name=fields.pop("name", "Durchstarten"),
        site=site,
        weekdays="0,2,4",
        start_time=time(9),
        end_time=time(12),
        capacity=capacity,
        team=team,
        lead=lead or team.lead,
        **fields,
    )


def cohort(programme_, *, starts_on=START, sessions=True) -> Cohort:
    made = Cohort.objects.create(programme=programme_, starts_on=starts_on)
    if sessions:
        generate_sessions(cohort=made)
    return made


def person(team, municipality, *, coach=None, name=None, email=None) -> Person:
    n = Person.objects.count() + 1
    now = timezone.now()
    return Person.objects.create(
        municipality=municipality,
        team=team,
        name=name or f"Teilnehmerin {n}",
        email=email if email is not None else f"teilnehmerin{n}@example.org",
        consent_at=now,
        consent_by=coach or team.lead,
        consent_text_version=CONSENT_TEXT_VERSION,
        last_contact_at=now,
    )
