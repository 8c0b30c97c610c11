"""Demo data for the Landkreis Celle, relative to the day it runs.

A day today (bookings, attended clients, a walk-in), six months of past days with
outcomes and follow-ups (so the statistics show curves), and future days inside and
beyond the booking window. The days come from each site's series through the domain's
own functions (generate_days skips public holidays), never from a copy of its rules.
Safe to run twice: the second run changes nothing.
"""

import random
from dataclasses import replace
from datetime import time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from appointments.management.commands.seed_programmes import seed_programmes
from appointments.models import OutcomeCode, OutreachDay, OutreachSeries, Recurrence
from appointments.services import (
    BookingError,
    ClientDetails,
    add_walk_in,
    book_slot,
    create_day,
    generate_days,
    mark_attendance,
    publish_day,
    publish_days,
    record_outcome,
)
from coaches.management.commands.seed_casework import seed_casework
from coaches.models import Coach, FrontDesk, FrontDeskKind, Specialism, Team
from locations.models import District, Municipality, Site, State

DEMO_PASSWORD = "joblokal-demo"  # noqa: S105 (printed for the demo)
PAST_DAYS = 183
FUTURE_DAYS = 150
# Days further ahead stay drafts, so the administrator has something to publish.
PUBLISH_AHEAD_DAYS = 100

SPECIALISMS = [
    (
        "familie-und-beruf",
        "Familie und Beruf – für Mütter und Väter",
        "Für Eltern, die Familie und Arbeit zusammenbringen wollen.",
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

# Two teams, so the coaches serve different days: anna never sees Bergen, bernd never
# Wathlingen or Hambühren. Clara, the health specialist, is in both.
TEAMS = [
    ("Team Celle Nord", ["anna", "clara"]),
    ("Team Celle Süd", ["bernd", "clara"]),
]

# (slug, name, site name, address, room, step free, team, weekday, week of month);
# Wathlingen also holds today's day.
SITES = [
    (
        "wathlingen",
        "Samtgemeinde Wathlingen",
        "Rathaus Wathlingen",
        "Am Schmiedberg 1, 29339 Wathlingen",
        "Großer Sitzungssaal",
        True,
        "Team Celle Nord",
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
        "Team Celle Süd",
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
        "Team Celle Nord",
        3,
        3,
    ),
]

# Postcodes, member villages (Ortsteile) and approximate coordinates, for the place search
# and the map link.
PLACES = {
    "wathlingen": {
        "postcodes": "29339",
        "member_villages": "Adelheidsdorf, Nienhagen, Wathlingen",
        "latitude": "52.537",
        "longitude": "10.149",
    },
    "bergen": {"postcodes": "29303", "latitude": "52.809", "longitude": "9.963"},
    "hambuehren": {
        "postcodes": "29313",
        "member_villages": "Oldau, Ovelgönne",
        "latitude": "52.630",
        "longitude": "9.980",
    },
}

# Most upcoming bookings have mail addresses, so their confirmations show in var/mail/;
# Jan has only a landline (he is on the call lists), Aylin gets her notices by SMS in
# Turkish (var/sms/).
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
    ClientDetails(name="Stefan Wolf", email="stefan.wolf@example.org", need_step_free=True),
    ClientDetails(name="Aylin Demir", phone="0170 1234567", sms_consent=True, language="tr"),
]

# Past clients gave no mail address: their (long past) confirmations are not sent.
FIRST_NAMES = ["Sabine", "Mehmet", "Katrin", "Dirk", "Aylin", "Tobias", "Irina", "Lars"]
LAST_NAMES = ["Meyer", "Demir", "Hoffmann", "Krüger", "Nowak", "Schröder", "Lange", "Brandt"]
OUTCOMES = [
    [OutcomeCode.ADVICE],
    [OutcomeCode.APPLICATION],
    [OutcomeCode.ADVICE, OutcomeCode.CHILDCARE],
    [OutcomeCode.EMPLOYER],
    [OutcomeCode.TRAINING],
    [OutcomeCode.HEALTH, OutcomeCode.ADVICE],
    [OutcomeCode.JOB_START],
]


class Command(BaseCommand):
    help = "Create demo data for the Landkreis Celle around today (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        specialisms = self.specialisms()
        coaches = self.coaches(specialisms)
        teams = self.teams(coaches)
        self.admin()
        today = timezone.localdate()
        celle, _ = District.objects.get_or_create(
            name="Landkreis Celle", defaults={"state": State.NI}
        )
        for slug, name, site_name, address, room, step_free, team, weekday, n in SITES:
            municipality, _ = Municipality.objects.get_or_create(
                slug=slug, defaults={"name": name, "district": celle, **PLACES[slug]}
            )
            site, _ = Site.objects.get_or_create(
                municipality=municipality,
                name=site_name,
                defaults={
                    "address": address,
                    "room": room,
                    "step_free": step_free,
                    "directions": "Bus bis Haltestelle Rathaus, dann 2 Minuten zu Fuß.",
                    "bus_stop": f"{name.split()[-1]}, Rathaus",
                },
            )
            if slug == "wathlingen":
                self.today(site, today, teams[team], specialisms)
            self.series(site, teams[team], weekday, n, today, specialisms)
        self.front_desk()
        # Accompanied persons, employers, openings and referrals, on these bookings.
        seed_casework()
        # A running programme cohort with attendance history, on those persons.
        seed_programmes()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Logins (password: {DEMO_PASSWORD}):")
        )
        self.stdout.write("  admin  – administrator")
        for username, name, _slug in COACHES:
            self.stdout.write(f"  {username:6} – {name} (Jobcoach)")
        self.stdout.write("  frida  – Empfang im Rathaus Wathlingen")

    def specialisms(self):
        return {
            slug: Specialism.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )[0]
            for slug, name, description in SPECIALISMS
        }

    def coaches(self, specialisms):
        coaches = {}
        for username, name, slug in COACHES:
            user = self.user(username, name, is_staff=False)
            coach, created = Coach.objects.get_or_create(user=user, defaults={"name": name})
            if created:
                coach.specialisms.add(specialisms[slug])
            coaches[username] = coach
        return coaches

    def teams(self, coaches):
        teams = {}
        for name, members in TEAMS:
            team, created = Team.objects.get_or_create(
                name=name, defaults={"lead": coaches[members[0]]}
            )
            if created:
                team.members.set([coaches[username] for username in members])
            teams[name] = team
        return teams

    def front_desk(self):
        """Frida at Wathlingen's town-hall desk books callers into Wathlingen's days."""
        desk, _ = FrontDesk.objects.get_or_create(
            user=self.user("frida", "Frida Vogt", is_staff=False),
            defaults={"kind": FrontDeskKind.TOWN_HALL},
        )
        desk.municipalities.add(Municipality.objects.get(slug="wathlingen"))

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

    def today(self, site, today, team, specialisms):
        """Today's day: booked clients (the first two have come) and a walk-in."""
        if OutreachDay.objects.filter(site=site, date=today).exists():
            return
        day = create_day(site=site, on=today, start=time(9), end=time(15), team=team)
        publish_day(day=day)
        slots = list(day.slots.order_by("starts_at"))
        user = day.day_coaches.select_related("coach__user").first().coach.user
        bookings = self.book(slots[::2], DEMO_CLIENTS, specialisms, now=day.starts_at)
        for booking in bookings[:2]:
            mark_attendance(booking=booking, attended=True, user=user, now=booking.slot.starts_at)
        walk_in = ClientDetails(name="Petra Lindner", phone="0151 2345678", need_child=True)
        add_walk_in(slot=slots[1], client=walk_in, user=user, now=slots[1].starts_at)

    def series(self, site, team, weekday, n, today, specialisms):
        series, _ = OutreachSeries.objects.get_or_create(
            site=site,
            team=team,
            defaults={
                "recurrence": Recurrence.MONTHLY,
                "weekday": weekday,
                "week_of_month": n,
                "start_time": time(9),
                "end_time": time(12),
                "starts_on": today - timedelta(days=PAST_DAYS),
                "ends_on": today + timedelta(days=FUTURE_DAYS),
            },
        )
        created = generate_days(series=series).created
        for day in created:
            if day.date < today:
                publish_day(day=day)
                self.past(day)
        now = timezone.now()
        upcoming = [d for d in created if d.date > today]
        publish_days(days=[d for d in upcoming if (d.date - today).days <= PUBLISH_AHEAD_DAYS])
        for day in upcoming:
            slots = list(day.slots.bookable(now).order_by("starts_at"))
            self.book(slots[1::2], DEMO_CLIENTS[:2], specialisms, now=now)

    def book(self, slots, clients, specialisms, *, now):
        bookings = []
        for slot, client in zip(slots, clients, strict=False):
            topics = [specialisms["familie-und-beruf"]] if client.need_child else []
            # Booked a week ahead, when the slot was still open.
            booked_at = min(now, slot.starts_at - timedelta(days=7))
            result = book_slot(
                slot_id=slot.pk, client=replace(client, topics=topics), now=booked_at
            )
            bookings.append(result.booking)
        return bookings

    def past(self, day):
        """A held day: most clients came, each with an outcome; some follow-ups are open."""
        rng = random.Random(day.date.toordinal())
        users = [row.coach.user for row in day.day_coaches.select_related("coach__user")]
        slots = list(day.slots.order_by("starts_at"))
        for i, slot in enumerate(rng.sample(slots, k=min(len(slots), rng.randint(3, 5)))):
            client = ClientDetails(
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                phone=f"05141 {rng.randint(100000, 999999)}",
            )
            try:
                (booking,) = self.book([slot], [client], {}, now=slot.starts_at)
            except BookingError:
                continue
            user = users[i % len(users)] if users else None
            came = rng.random() < 0.8
            mark_attendance(booking=booking, attended=came, user=user, now=slot.starts_at)
            if came:
                self.outcome(booking, user, rng)
        if users and slots:
            walk_in = ClientDetails(name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
            booking = add_walk_in(slot=slots[-1], client=walk_in, user=users[0], now=day.ends_at)
            self.outcome(booking, users[0], rng)

    def outcome(self, booking, user, rng):
        follow_up = None
        # Recent clients get a follow-up within the retention period, some due already.
        age = (timezone.localdate() - booking.day.date).days
        if age < 70 and rng.random() < 0.6:
            follow_up = booking.day.date + timedelta(days=rng.randint(14, 60))
            follow_up = min(follow_up, booking.day.date + timedelta(settings.RETENTION_DAYS - 1))
        record_outcome(
            booking=booking,
            codes=rng.choice(OUTCOMES),
            follow_up_on=follow_up,
            user=user,
            now=booking.day.ends_at,
        )
