"""Demo programme: "Durchstarten" with one running cohort that began three weeks ago, its
participants and their attendance so far, and one participant who left for a job. Safe to
run twice: the second run changes nothing. seed_demo calls it after seed_casework, as
`call_command("seed_programmes")`, so the demo team and its persons exist."""

from datetime import time, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from appointments.models import Attendance, Cohort, Mark, Programme
from appointments.services import enrol_person, generate_sessions, leave_programme, publish_cohort
from coaches.models import Team
from coaches.models_casework import CONSENT_TEXT_VERSION, Person
from locations.models import Site

NAME = "Durchstarten"
PARTICIPANTS = ["Aylin Demir", "Kevin Hoffmann", "Sandra Wolf", "Tomasz Nowak", "Lena Krüger"]
# Per participant, the marks of the past sessions in turn: Kevin misses twice in a row.
PATTERNS = [
    [Mark.PRESENT],
    [Mark.PRESENT, Mark.PRESENT, Mark.ABSENT, Mark.ABSENT],
    [Mark.PRESENT, Mark.EXCUSED, Mark.PRESENT],
    [Mark.PRESENT],
    [Mark.PRESENT, Mark.ABSENT, Mark.PRESENT],
]


def _participant(team, site, name: str) -> Person:
    now = timezone.now()
    email = name.lower().replace(" ", ".").replace("ü", "ue") + "@example.org"
    person, _created = Person.objects.get_or_create(
        name=name,
        team=team,
        defaults={
            "municipality": site.municipality,
            "email": email,
            "consent_at": now,
            "consent_by": team.lead,
            "consent_text_version": CONSENT_TEXT_VERSION,
            "last_contact_at": now,
        },
    )
    return person


@transaction.atomic
def seed_programmes() -> bool:
    """Create the demo programme and its running cohort once; False if it exists."""
    if Programme.objects.filter(name=NAME).exists():
        return False
    team = Team.objects.order_by("pk").first()
    site = Site.objects.filter(municipality__persons__team=team).first() or Site.objects.first()
    if team is None or site is None:
        return False
    programme = Programme.objects.create(
        name=NAME,
        site=site,
        weekdays="0,2,4",
        start_time=time(9),
        end_time=time(12),
        capacity=12,
        team=team,
        lead=team.lead,
    )
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday(), weeks=3)
    cohort = Cohort.objects.create(programme=programme, starts_on=monday)
    generate_sessions(cohort=cohort)
    persons = [_participant(team, site, name) for name in PARTICIPANTS]
    enrolments = [
        enrol_person(person=person, cohort=cohort, coach=team.lead, today=monday)
        for person in persons
    ]
    publish_cohort(cohort=cohort)
    past = list(cohort.sessions.filter(on__lt=today).order_by("on"))
    # History, not today's events: written directly, so no missed-session mail goes out.
    Attendance.objects.bulk_create(
        Attendance(
            enrolment=enrolment,
            session=session,
            mark=pattern[n % len(pattern)],
            marked_by=team.lead,
        )
        for enrolment, pattern in zip(enrolments, PATTERNS, strict=True)
        for n, session in enumerate(past)
    )
    left_on = monday + timedelta(days=11)
    if left_on <= today:
        leave_programme(enrolment=enrolments[3], reason="job_start", on=left_on, today=today)
    return True


class Command(BaseCommand):
    help = "Add the demo programme with one running cohort and its attendance (idempotent)."

    def handle(self, *args, **options):
        if seed_programmes():
            self.stdout.write(self.style.SUCCESS("Demo programme is ready."))
        else:
            self.stdout.write("Demo programme: nothing to add.")
