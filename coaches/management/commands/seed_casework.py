"""Demo casework on top of the demo days: employers with openings, accompanied persons
with constraints and contacts, and referrals in every status. Safe to run twice: the
second run changes nothing. seed_demo calls it after its days and bookings exist."""

from datetime import time, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from appointments.models import Booking
from coaches import casework, employers
from coaches.models import Employer, Opening, OpeningStatus, PersonVisit
from locations.models import Municipality

CARE_HOME = "Pflegeheim Am Park"

# name: (earliest start, hours, childcare, mobility, qualification)
PERSONS = {
    "Maria Schulz": (time(8, 30), 25, "partly", "bus", ""),
    "Jan Peters": (time(7), 40, "not_needed", "car", "Fachkraft für Lagerlogistik"),
    "Olena Kovalenko": (time(9), 20, "not_needed", "bus", ""),
}


def _place(slug: str, fallback):
    return Municipality.objects.filter(slug=slug).first() or fallback


def _employers(team, home):
    hambuehren, bergen = _place("hambuehren", home), _place("bergen", home)
    care_home = Employer.objects.create(
        team=team,
        municipality=home,
        name=CARE_HOME,
        sector="Pflege",
        address="Am Park 3",
        contact_name="Frau Lang",
        phone="05144 9876",
        notes="Hauswirtschaft sucht oft. Anfangszeiten sind flexibel.",
        flexible_start=True,
        part_time=True,
        no_qualification=True,
        step_free=True,
        by_bus=True,
    )
    bakery = Employer.objects.create(
        team=team,
        municipality=hambuehren,
        name="Bäckerei Sonnenschein",
        sector="Handel",
        part_time=True,
        no_qualification=True,
        by_bus=True,
    )
    plant = Employer.objects.create(
        team=team, municipality=bergen, name="Metallbau Nord", sector="Industrie"
    )
    start = timezone.localdate() + timedelta(days=30)
    openings = {
        "laundry": Opening.objects.create(
            employer=care_home,
            title="Mitarbeit in der Wäscherei",
            hours_per_week=25,
            earliest_start=time(8),
            latest_start=time(10),
            starts_on=start,
        ),
        "care": Opening.objects.create(
            employer=care_home,
            title="Pflegehilfskraft",
            hours_per_week=30,
            earliest_start=time(6),
            latest_start=time(6),
            needs_qualification=True,
            starts_on=start,
        ),
        "sales": Opening.objects.create(
            employer=bakery,
            title="Verkauf",
            hours_per_week=20,
            earliest_start=time(9),
            latest_start=time(11),
        ),
        "shift": Opening.objects.create(
            employer=plant,
            title="Schichtarbeit",
            hours_per_week=40,
            earliest_start=time(6),
            latest_start=time(6),
            needs_qualification=True,
            status=OpeningStatus.FILLED,
        ),
    }
    return {"care_home": care_home, "plant": plant, **openings}


def _persons(coach):
    persons = {}
    today = timezone.localdate()
    for name, (start, hours, childcare, mobility, qualification) in PERSONS.items():
        bookings = list(
            Booking.objects.filter(name=name, anonymised_at=None, day__team__isnull=False)
            .exclude(pk__in=PersonVisit.objects.values("booking_id"))
            .select_related("day__site__municipality")
            .order_by("slot__starts_at")
        )
        if not bookings:
            continue
        person = casework.start_accompaniment(
            booking=bookings[0],
            coach=coach,
            consent=True,
            constraints=casework.WorkConstraints(
                earliest_start=start,
                hours_per_week=hours,
                childcare=childcare,
                mobility=mobility,
                reachable=list(Municipality.objects.filter(slug="hambuehren")),
                has_qualification=bool(qualification),
                qualification=qualification,
            ),
        )
        for later in bookings[1:]:
            if later.day.site.municipality_id == person.municipality_id:
                casework.link_visit(person=person, booking=later, coach=coach)
        casework.log_contact(
            person=person, kind="call", on=today, note="Bewerbung besprochen", coach=coach
        )
        persons[name] = person
    return persons


# (person, opening or employer key, the steps after "proposed")
REFERRALS = [
    ("Maria Schulz", "laundry", ["applied", "interview", "hired"]),
    ("Maria Schulz", "sales", []),
    ("Olena Kovalenko", "sales", ["applied"]),
    ("Olena Kovalenko", "care_home", ["interview"]),
    ("Jan Peters", "care", ["applied", "internship"]),
    ("Jan Peters", "plant", ["applied", "not_hired"]),
    ("Olena Kovalenko", "laundry", ["withdrawn"]),
]


def seed_casework() -> bool:
    """Add the demo casework once; False if it is there already or no demo day exists."""
    if Employer.objects.filter(name=CARE_HOME).exists():
        return False
    booking = Booking.objects.filter(day__team__isnull=False).select_related("day__team").first()
    if booking is None:
        return False
    team = booking.day.team
    coach = team.lead
    with transaction.atomic():
        places = _employers(team, booking.day.site.municipality)
        persons = _persons(coach)
        today = timezone.localdate()
        for name, key, steps in REFERRALS:
            if name not in persons:
                continue
            target = places[key]
            kind = "opening" if isinstance(target, Opening) else "employer"
            referral = employers.refer_person(person=persons[name], coach=coach, **{kind: target})
            for status in steps:
                employers.change_referral_status(
                    referral=referral, status=status, on=today, coach=coach
                )
    return True


class Command(BaseCommand):
    help = "Add demo casework: employers, openings, accompanied persons, referrals (idempotent)."

    def handle(self, *args, **options):
        if seed_casework():
            self.stdout.write(self.style.SUCCESS("Demo casework is ready."))
        else:
            self.stdout.write("Demo casework: nothing to add.")
