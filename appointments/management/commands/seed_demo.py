"""Demo data for the Landkreis Celle. Safe to run twice: the second run changes nothing."""

from dataclasses import replace
from datetime import date, time, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from appointments.models import OutreachDay
from appointments.services import ClientDetails, book_slot, create_day, publish_day
from coaches.models import Coach, Specialism, Team
from locations.models import Municipality, Site

DEMO_PASSWORD = "joblokal-demo"  # noqa: S105 (printed for the demo)

SPECIALISMS = [
    (
        "familie-und-beruf",
        "Familie und Beruf",
        "Für Frauen, die Familie und Arbeit zusammenbringen wollen.",
    ),
    (
        "langzeitarbeitslosigkeit",
        "Wieder in Arbeit",
        "Für Menschen, die schon lange eine Arbeit suchen.",
    ),
    (
        "gesundheit-und-arbeit",
        "Gesundheit und Arbeit",
        "Für Menschen, die wegen ihrer Gesundheit eine passende Arbeit suchen.",
    ),
]

COACHES = [
    ("anna", "Anna Becker", "familie-und-beruf"),
    ("bernd", "Bernd Kowalski", "langzeitarbeitslosigkeit"),
    ("clara", "Clara Yilmaz", "gesundheit-und-arbeit"),
]

# (slug, name, site name, address, room, step free, weekday, week of month)
SITES = [
    (
        "wathlingen",
        "Samtgemeinde Wathlingen",
        "Rathaus Wathlingen",
        "Am Schmiedberg 1, 29339 Wathlingen",
        "Großer Sitzungssaal",
        True,
        1,
        2,
    ),
    (
        "bergen",
        "Stadt Bergen",
        "Rathaus Bergen",
        "Deichend 3–5, 29303 Bergen",
        "Sitzungszimmer 1",
        True,
        2,
        2,
    ),
    (
        "hambuehren",
        "Gemeinde Hambühren",
        "Rathaus Hambühren",
        "Celler Straße 14, 29313 Hambühren",
        "Ratssaal",
        False,
        3,
        2,
    ),
]

DEMO_CLIENTS = [
    ClientDetails(
        name="Maria Schulz",
        email="maria.schulz@example.org",
        need_child=True,
        note="Ich kann erst ab 9 Uhr, weil ich mein Kind in die Kita bringe.",
    ),
    ClientDetails(name="Jan Peters", phone="05144 123456"),
    ClientDetails(
        name="Olena Kovalenko", email="olena@example.org", interpreter_language="Ukrainisch"
    ),
]


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def next_dates(weekday: int, n: int, count: int, after: date) -> list[date]:
    dates, year, month = [], after.year, after.month
    while len(dates) < count:
        candidate = nth_weekday(year, month, weekday, n)
        if candidate > after:
            dates.append(candidate)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dates


class Command(BaseCommand):
    help = "Create demo data for the Landkreis Celle (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        specialisms = self.specialisms()
        coaches = self.coaches(specialisms)
        team, _ = Team.objects.get_or_create(name="Team Celle Nord", defaults={"lead": coaches[0]})
        team.members.add(*coaches)
        self.admin()
        today = timezone.localdate()
        for slug, name, site_name, address, room, step_free, weekday, n in SITES:
            municipality, _ = Municipality.objects.get_or_create(
                slug=slug, defaults={"name": name, "district": "Landkreis Celle"}
            )
            site, _ = Site.objects.get_or_create(
                municipality=municipality,
                name=site_name,
                defaults={
                    "address": address,
                    "room": room,
                    "step_free": step_free,
                    "directions": "Bus bis Haltestelle Rathaus, dann 2 Minuten zu Fuß.",
                },
            )
            for on in next_dates(weekday, n, 3, today):
                self.day(site, on, team, specialisms)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Logins (password: {DEMO_PASSWORD}):")
        )
        self.stdout.write("  admin  – administrator")
        for username, name, _slug in COACHES:
            self.stdout.write(f"  {username:6} – {name} (Jobcoach)")

    def specialisms(self):
        return {
            slug: Specialism.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )[0]
            for slug, name, description in SPECIALISMS
        }

    def coaches(self, specialisms):
        coaches = []
        for username, name, slug in COACHES:
            user = self.user(username, name, is_staff=False)
            coach, created = Coach.objects.get_or_create(user=user, defaults={"name": name})
            if created:
                coach.specialisms.add(specialisms[slug])
            coaches.append(coach)
        return coaches

    def admin(self):
        self.user("admin", "Verwaltung", is_staff=True, is_superuser=True)

    def user(self, username, name, **flags):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": name, "email": f"{username}@joblokal.example", **flags},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    def day(self, site, on, team, specialisms):
        if OutreachDay.objects.filter(site=site, date=on).exists():
            return
        day = create_day(site=site, on=on, start=time(9), end=time(12), team=team)
        publish_day(day=day)
        # Only days inside the booking window take bookings.
        slots = list(day.slots.bookable().order_by("starts_at"))
        for slot, client in zip(slots[1::2], DEMO_CLIENTS, strict=False):
            topics = [specialisms["familie-und-beruf"]] if client.need_child else []
            book_slot(slot_id=slot.pk, client=replace(client, topics=topics), now=timezone.now())
