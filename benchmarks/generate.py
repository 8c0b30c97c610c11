"""Fill PostgreSQL with national-scale JobLokal data, fast, through COPY.

    python benchmarks/generate.py --bookings 1000000

400 districts, 8,000 municipalities, 10,000 sites, 800 teams of 3 coaches, one day per
site and month over two years (240,000 days, 1.44M slots), and N background bookings
with realistic shares of cancellations, no-shows, attendance, walk-ins and outcomes.

Every table the generator touches is emptied first (TRUNCATE ... CASCADE), so run it
only against a benchmark database. Every invariant the app keeps holds afterwards:
Slot.seats_taken equals the seat-taking bookings and never exceeds capacity, one
confirmed booking per email and day, unique references and token hashes, one day per
site and date, and no coach on two overlapping days.

On top of the background data come fixed "bench" days, the same at every scale, that
the HTTP benchmarks use (written to benchmarks/var/fixture.json):
  coach_day  today, the known coach's schedule (coach0000)
  book_day   in 7 days, 16 of 24 seats booked: day page and booking form
  race_day   in 8 days, exactly 10 free seats left: the race
  flow_day   in 9 days, large slots: the full booking flow books here
"""

import argparse
import hashlib
import json
import os
import random
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "joblokal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402

from appointments.models import (  # noqa: E402
    Booking,
    BookingOutcome,
    BookingToken,
    DayCoach,
    OutreachDay,
    OutreachSeries,
    Slot,
)
from appointments.services.seats import REFERENCE_ALPHABET  # noqa: E402
from coaches.models import Coach, Specialism, Team  # noqa: E402
from locations.models import District, Municipality, Site  # noqa: E402

User = get_user_model()
BERLIN = ZoneInfo("Europe/Berlin")
VAR = Path(__file__).resolve().parent / "var"

DISTRICTS = 400
MUNICIPALITIES_PER_DISTRICT = 20
SITES_PER_DISTRICT = 25  # the first five municipalities have a second venue
TEAMS_PER_DISTRICT = 2
COACHES_PER_TEAM = 3
MONTHS_BACK, MONTHS_AHEAD = 20, 3  # 24 months of days including the current one
DAY_START, DAY_END, SLOT_MINUTES, SEATS = time(9), time(12), 30, 2
BOOKING_OPENS_DAYS = 60
RETENTION_DAYS = 90
CLIENTS = 400_000  # distinct people behind the bookings; many come more than once

COACH_PASSWORD = "bench-coach-password"
ADMIN_USERNAME, ADMIN_PASSWORD = "benchadmin", "bench-admin-password"

SPECIALISMS = [
    ("familie-und-beruf", "Familie und Beruf", "Für Eltern, die Familie und Arbeit verbinden."),
    ("langzeitarbeitslosigkeit", "Wieder in Arbeit", "Für Menschen, die lange Arbeit suchen."),
    ("gesundheit-und-arbeit", "Gesundheit und Arbeit", "Für Menschen mit Einschränkungen."),
    ("bewerbung", "Bewerbung", "Hilfe beim Schreiben von Bewerbungen."),
    ("ausbildung", "Ausbildung", "Für junge Menschen auf dem Weg in eine Ausbildung."),
    ("weiterbildung", "Weiterbildung", "Neue Kenntnisse für einen neuen Beruf."),
    ("sprache", "Sprache und Arbeit", "Deutsch lernen und dabei Arbeit finden."),
    ("selbststaendig", "Selbstständig", "Für Menschen, die sich selbstständig machen wollen."),
]
FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hamid",
    "Ida",
    "Jonas",
    "Lea",
    "Mehmet",
    "Nina",
    "Olena",
    "Paul",
]
LAST = [
    "Becker",
    "Schulz",
    "Yilmaz",
    "Peters",
    "Kowalski",
    "Meyer",
    "Wagner",
    "Schmidt",
    "Nowak",
    "Hoffmann",
    "Koch",
]
OUTCOMES = [  # code, share of attended bookings that get it
    ("advice", 0.55),
    ("application", 0.25),
    ("employer", 0.10),
    ("training", 0.08),
    ("childcare", 0.05),
    ("health", 0.06),
    ("job_start", 0.09),
    ("other", 0.03),
]


def log(message):
    print(message, flush=True)


# --- COPY helpers -----------------------------------------------------------------------


def columns_of(model, given):
    """All concrete columns of a model: the given ones first, then every other column
    filled with the field's default. New fields added by later migrations are therefore
    filled too instead of breaking the COPY. A column with a database default is left
    out: PostgreSQL fills it."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    missing = [c for c in given if c not in fields]
    if missing:
        raise SystemExit(f"{model._meta.db_table} has no column(s) {missing}")
    rest = [c for c in fields if c not in given and fields[c].db_default is models.NOT_PROVIDED]
    defaults = tuple(None if fields[c].null else copy_value(fields[c].get_default()) for c in rest)
    return list(given) + rest, defaults


def copy_value(value):
    """COPY takes JSON columns (e.g. translations) as JSON text."""
    return json.dumps(value) if isinstance(value, dict | list) else value


def copy(cur, model, given, rows):
    table = model._meta.db_table
    cols, defaults = columns_of(model, given)
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row + defaults)
            count += 1
    return count


def copy_m2m(cur, field, left, right, pairs):
    through = field.remote_field.through._meta
    table = through.db_table
    left_col = through.get_field(left).column
    right_col = through.get_field(right).column
    with cur.copy(f"COPY {table} ({left_col}, {right_col}) FROM STDIN") as cp:
        n = 0
        for pair in pairs:
            cp.write_row(pair)
            n += 1
    return n


def reset_sequences(cur, models):
    for model in models:
        table = model._meta.db_table
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
        )


# --- the national structure --------------------------------------------------------------


def month_starts(today):
    first = today.replace(day=1)
    months = []
    for offset in range(-MONTHS_BACK, MONTHS_AHEAD + 1):
        y, m = divmod(first.month - 1 + offset, 12)
        months.append(date(first.year + y, m + 1, 1))
    return months


def nth_weekday(month_start, weekday, n):
    return month_start + timedelta(days=(weekday - month_start.weekday()) % 7 + 7 * (n - 1))


def utc(on, at):
    return datetime.combine(on, at, BERLIN).astimezone(UTC)


class Plan:
    """Ids and in-memory facts about the rows, so bookings can be placed without
    reading anything back from the database."""

    def __init__(self, today, now, districts=DISTRICTS):
        self.today, self.now, self.districts = today, now, districts
        self.day_date = []  # index = day id - 1
        self.day_status = []
        self.day_first_slot = []  # slot id of the first slot
        self.day_slots = []  # number of slots
        self.slot_start = []  # index = slot id - 1 (UTC datetimes)
        self.slot_capacity = []
        self.slot_taken = []
        self.day_specialisms = []  # index into team specialisms


def write_structure(cur, plan, rng):
    t = clock.monotonic()
    now = plan.now
    copy(
        cur,
        Specialism,
        ["id", "slug", "name", "description"],
        ((i + 1, s, n, d) for i, (s, n, d) in enumerate(SPECIALISMS)),
    )
    n_muni = plan.districts * MUNICIPALITIES_PER_DISTRICT
    copy(
        cur,
        District,
        ["id", "name", "state"],
        ((d + 1, f"Landkreis {d + 1:03d}", "NI") for d in range(plan.districts)),
    )
    copy(
        cur,
        Municipality,
        ["id", "name", "slug", "district_id", "active", "contact_name", "contact_email"],
        (
            (
                m + 1,
                f"Gemeinde {m + 1:05d}",
                f"gemeinde-{m + 1:05d}",
                m // MUNICIPALITIES_PER_DISTRICT + 1,
                True,
                "Frau Rathaus",
                f"rathaus{m + 1}@example.org",
            )
            for m in range(n_muni)
        ),
    )
    sites = []  # (site id, municipality id, district)
    for d in range(plan.districts):
        for j in range(SITES_PER_DISTRICT):
            local = j if j < MUNICIPALITIES_PER_DISTRICT else j - MUNICIPALITIES_PER_DISTRICT
            sites.append((len(sites) + 1, d * MUNICIPALITIES_PER_DISTRICT + local + 1, d, j))
    copy(
        cur,
        Site,
        ["id", "municipality_id", "name", "address", "room", "directions", "step_free"],
        (
            (
                sid,
                mid,
                "Rathaus" if j < MUNICIPALITIES_PER_DISTRICT else "Bürgerhaus",
                f"Marktplatz {j + 1}, {10000 + mid} Ort {mid}",
                "Sitzungssaal",
                "Bus bis Haltestelle Rathaus, dann 2 Minuten zu Fuß.",
                sid % 3 != 0,
            )
            for sid, mid, d, j in sites
        ),
    )

    password = make_password(COACH_PASSWORD)
    n_coaches = plan.districts * TEAMS_PER_DISTRICT * COACHES_PER_TEAM
    users = [
        (u + 1, password, f"coach{u:04d}", f"Coach{u:04d}", "Bench", f"coach{u:04d}@example.org")
        for u in range(n_coaches)
    ]
    admin_row = (n_coaches + 1, make_password(ADMIN_PASSWORD), ADMIN_USERNAME, "Admin", "Bench")
    user_cols = ["id", "password", "username", "first_name", "last_name", "email"]
    user_cols += ["is_staff", "is_superuser", "is_active", "date_joined"]
    copy(
        cur,
        User,
        user_cols,
        [row + (False, False, True, now) for row in users]
        + [admin_row + ("admin@example.org", True, True, True, now)],
    )
    copy(
        cur,
        Coach,
        ["id", "user_id", "name", "active"],
        ((u + 1, u + 1, f"{FIRST[u % 15]} {LAST[u % 11]} {u:04d}", True) for u in range(n_coaches)),
    )
    copy_m2m(
        cur,
        Coach._meta.get_field("specialisms"),
        "coach",
        "specialism",
        ((u + 1, (u + k) % len(SPECIALISMS) + 1) for u in range(n_coaches) for k in (0, 3)),
    )
    n_teams = plan.districts * TEAMS_PER_DISTRICT
    team_coaches = [[t * 3 + 1, t * 3 + 2, t * 3 + 3] for t in range(n_teams)]
    copy(
        cur,
        Team,
        ["id", "name", "lead_id"],
        ((t + 1, f"Team {t + 1:03d}", team_coaches[t][0]) for t in range(n_teams)),
    )
    copy_m2m(
        cur,
        Team._meta.get_field("members"),
        "team",
        "coach",
        ((t + 1, c) for t in range(n_teams) for c in team_coaches[t]),
    )
    log(f"  structure: {len(sites)} sites, {n_coaches} coaches  {clock.monotonic() - t:.1f}s")
    return sites, team_coaches


def site_rule(j):
    """Site j of a team meets on the n-th weekday of each month, distinct per team, so a
    team (and its coaches) is never on two days at once."""
    k = j % (SITES_PER_DISTRICT // TEAMS_PER_DISTRICT + 1)
    return k % 5, k // 5 + 1  # weekday Mon-Fri, week of month 1..3


def team_of(j):
    return 0 if j < 13 else 1


def write_days(cur, plan, sites, team_coaches, fixture_dates):
    t = clock.monotonic()
    months = month_starts(plan.today)
    series_rows, day_rows, coach_rows = [], [], []
    open_until = plan.today + timedelta(days=BOOKING_OPENS_DAYS)
    slot_id = 0
    for sid, _mid, d, j in sites:
        team = d * TEAMS_PER_DISTRICT + team_of(j)
        weekday, n = site_rule(j)
        series_rows.append(
            (sid, sid, team + 1, "monthly", n, weekday, DAY_START, DAY_END, months[0], months[-1])
        )
        for month in months:
            on = nth_weekday(month, weekday, n)
            if team == 0 and on in fixture_dates:
                continue
            day_id = len(plan.day_date) + 1
            starts, ends = utc(on, DAY_START), utc(on, DAY_END)
            if on < plan.today:
                status = "cancelled" if (day_id * 7919) % 50 == 0 else "published"
            else:
                status = "published" if on <= open_until else "draft"
            plan.day_date.append(on)
            plan.day_status.append(status)
            plan.day_first_slot.append(slot_id + 1)
            day_rows.append((day_id, sid, sid, team + 1, on, starts, ends, status))
            start = starts
            count = 0
            while start + timedelta(minutes=SLOT_MINUTES) <= ends:
                slot_id += 1
                count += 1
                plan.slot_start.append(start)
                plan.slot_capacity.append(SEATS)
                plan.slot_taken.append(0)
                start += timedelta(minutes=SLOT_MINUTES)
            plan.day_slots.append(count)
            for c in team_coaches[team]:
                coach_rows.append((len(coach_rows) + 1, day_id, c, starts, ends))
    log(f"  planned {len(day_rows)} days, {slot_id} slots  {clock.monotonic() - t:.1f}s")
    return series_rows, day_rows, coach_rows


def copy_days(cur, plan, series_rows, day_rows, coach_rows):
    t = clock.monotonic()
    copy(
        cur,
        OutreachSeries,
        ["id", "site_id", "team_id", "recurrence", "week_of_month", "weekday"]
        + ["start_time", "end_time", "starts_on", "ends_on", "slot_minutes", "seats_per_slot"],
        (row + (SLOT_MINUTES, SEATS) for row in series_rows),
    )
    copy(
        cur,
        OutreachDay,
        ["id", "site_id", "series_id", "team_id", "date", "starts_at", "ends_at", "status"]
        + ["slot_minutes", "seats_per_slot", "published_at", "cancelled_at", "cancel_reason"],
        (
            row
            + (
                SLOT_MINUTES,
                SEATS,
                None if row[7] == "draft" else row[5] - timedelta(days=70),
                row[5] - timedelta(days=3) if row[7] == "cancelled" else None,
                "Krankheit im Team" if row[7] == "cancelled" else "",
            )
            for row in day_rows
        ),
    )
    copy(cur, DayCoach, ["id", "day_id", "coach_id", "starts_at", "ends_at"], iter(coach_rows))
    log(f"  wrote days, series, day coaches  {clock.monotonic() - t:.1f}s")


# --- bookings -----------------------------------------------------------------------------


class Bookings:
    """Collects booking rows and their dependants, keeping every counter consistent."""

    def __init__(self, plan, rng):
        self.plan, self.rng = plan, rng
        self.rows, self.topics, self.outcomes = [], [], []
        self.references = set()
        self.day_clients = set()

    def reference(self):
        while True:
            raw = "".join(self.rng.choices(REFERENCE_ALPHABET, k=8))
            ref = f"{raw[:4]}-{raw[4:]}"
            if ref not in self.references:
                self.references.add(ref)
                return ref

    def add(self, day_id, slot_id, status, *, channel="online", takes_seat=True, client=None):
        """Add one booking; seat-taking statuses must have been checked for room."""
        plan, rng = self.plan, self.rng
        booking_id = len(self.rows) + 1
        on = plan.day_date[day_id - 1]
        start = plan.slot_start[slot_id - 1]
        if client is None:
            client = rng.randrange(CLIENTS)
            while day_id * CLIENTS + client in self.day_clients:
                client = rng.randrange(CLIENTS)
        self.day_clients.add(day_id * CLIENTS + client)
        if status != "cancelled" and takes_seat:
            plan.slot_taken[slot_id - 1] += 1
        past = on < plan.today
        anonymised = past and (plan.today - on).days > RETENTION_DAYS
        created = min(start - timedelta(days=rng.randint(1, 50)), plan.now - timedelta(hours=1))
        if channel == "walk_in":
            created = start
        has_email = rng.random() < 0.9
        name = f"{FIRST[client % 15]} {LAST[client % 11]}"
        email = f"person{client}@example.org" if has_email else ""
        phone = "" if has_email and rng.random() < 0.5 else f"0514{client % 10} {client:06d}"
        cancelled_at = created + (start - created) / 2 if status == "cancelled" else None
        cancelled_by = ""
        if status == "cancelled":
            office = plan.day_status[day_id - 1] == "cancelled"
            cancelled_by = "office" if office else "client"
        reminded = start - timedelta(hours=24)
        reminded_at = (
            reminded
            if email and status != "cancelled" and channel == "online" and reminded < plan.now
            else None
        )
        outcome_at, follow_up, follow_done, outcome_note = None, None, None, ""
        if status == "attended":
            outcome_at = start + timedelta(minutes=40)
            outcome_note = "Bewerbung besprochen, Unterlagen mitgegeben."
            for code, share in OUTCOMES:
                if rng.random() < share:
                    self.outcomes.append((len(self.outcomes) + 1, booking_id, code))
            if rng.random() < 0.3:
                follow_up = on + timedelta(days=rng.randint(14, 28))
                if follow_up < plan.today and rng.random() < 0.8:
                    follow_done = utc(follow_up, time(10))
        if anonymised:
            name, email, phone, outcome_note = "", "", "", ""
        n_topics = 1 + (rng.random() < 0.35)
        for k in range(n_topics):
            self.topics.append((booking_id, (client + k * 3) % len(SPECIALISMS) + 1))
        r = rng.random()
        self.rows.append(
            (
                booking_id,
                slot_id,
                day_id,
                self.reference(),
                status,
                channel,
                takes_seat,
                name,
                email,
                phone,
                r < 0.10,  # step free
                r > 0.85,  # child
                "Ukrainisch" if 0.4 < r < 0.45 else "",
                "de" if client % 10 else "en",
                created,
                created,
                cancelled_at or outcome_at or created,
                cancelled_at,
                cancelled_by,
                "Termin passt nicht mehr" if cancelled_by == "client" else "",
                reminded_at,
                outcome_note,
                outcome_at,
                follow_up,
                follow_done,
                plan.now if anonymised else None,
                "" if anonymised else ("Ich komme mit meinem Kind." if r > 0.85 else ""),
            )
        )
        return booking_id


BOOKING_COLUMNS = [
    "id",
    "slot_id",
    "day_id",
    "reference",
    "status",
    "channel",
    "takes_seat",
    "name",
    "email",
    "phone",
    "need_step_free",
    "need_child",
    "interpreter_language",
    "language",
    "consent_at",
    "created_at",
    "updated_at",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
    "reminded_at",
    "outcome_note",
    "outcome_recorded_at",
    "follow_up_on",
    "follow_up_done_at",
    "anonymised_at",
    "note",
]


def background_status(plan, day_id, rng):
    if plan.day_status[day_id - 1] == "cancelled":
        return "cancelled"
    r = rng.random()
    if plan.day_date[day_id - 1] < plan.today:
        return "attended" if r < 0.70 else "no_show" if r < 0.85 else "cancelled"
    return "confirmed" if r < 0.88 else "cancelled"


def add_background(bookings, n, rng):
    """n bookings spread over every day that was or is bookable; walk-ins on held days."""
    plan = bookings.plan
    bookable = [i + 1 for i, s in enumerate(plan.day_status) if s != "draft"]
    held = [i + 1 for i in bookable if plan.day_date[i - 1] < plan.today]
    for _attempt in range(n * 20 + 1):
        if len(bookings.rows) >= n:
            break
        walk_in = rng.random() < 0.05
        day_id = rng.choice(held if walk_in else bookable)
        status = "attended" if walk_in else background_status(plan, day_id, rng)
        slot_id = plan.day_first_slot[day_id - 1] + rng.randrange(plan.day_slots[day_id - 1])
        if walk_in and plan.day_status[day_id - 1] == "cancelled":
            continue
        free = plan.slot_taken[slot_id - 1] < plan.slot_capacity[slot_id - 1]
        if status != "cancelled" and not free:
            if not walk_in:
                continue  # full: the client would have picked another time
            bookings.add(day_id, slot_id, status, channel="walk_in", takes_seat=False)
            continue
        bookings.add(day_id, slot_id, status, channel="walk_in" if walk_in else "online")
    else:
        raise SystemExit(f"could only place {len(bookings.rows)} of {n} bookings")


# --- the fixed bench days -------------------------------------------------------------------


def add_fixture_day(plan, day_rows, coach_rows, team_coaches, site_id, on, *, seats, slots):
    day_id = len(plan.day_date) + 1
    starts = utc(on, DAY_START)
    ends = starts + timedelta(minutes=SLOT_MINUTES * slots)
    plan.day_date.append(on)
    plan.day_status.append("published")
    plan.day_first_slot.append(len(plan.slot_start) + 1)
    plan.day_slots.append(slots)
    for k in range(slots):
        plan.slot_start.append(starts + timedelta(minutes=SLOT_MINUTES * k))
        plan.slot_capacity.append(seats)
        plan.slot_taken.append(0)
    day_rows.append((day_id, site_id, None, 1, on, starts, ends, "published"))
    for c in team_coaches[0]:
        coach_rows.append((len(coach_rows) + 1, day_id, c, starts, ends))
    return day_id


def fixture_dates(today):
    return {
        "coach_day": today,
        "book_day": today + timedelta(days=7),
        "race_day": today + timedelta(days=8),
        "flow_day": today + timedelta(days=9),
    }


def add_fixtures(plan, bookings, day_rows, coach_rows, team_coaches, dates):
    """The days the HTTP benchmarks use, identical at every scale. Team 0 (coach0000-2)
    serves them; its regular days skip these dates, so no coach is in two places."""
    shapes = {  # site (of team 0), seats per slot, slots, seats taken per slot
        "coach_day": (1, 2, 6, [2, 2, 1, 2, 2, 1]),
        "book_day": (2, 3, 8, [3, 3, 2, 2, 2, 1, 2, 1]),
        "race_day": (3, 4, 6, [4, 4, 2, 1, 2, 1]),
        "flow_day": (4, 500, 8, [1] * 8),
    }
    fixture = {}
    client = CLIENTS  # fixture clients never collide with background ones
    for key, (site_id, seats, slots, taken) in shapes.items():
        day_id = add_fixture_day(
            plan, day_rows, coach_rows, team_coaches, site_id, dates[key], seats=seats, slots=slots
        )
        first = plan.day_first_slot[day_id - 1]
        for k, n in enumerate(taken):
            for _ in range(n):
                client += 1
                bookings.add(day_id, first + k, "confirmed", client=client)
        slot_ids = list(range(first, first + slots))
        free = [s for s in slot_ids if plan.slot_taken[s - 1] < plan.slot_capacity[s - 1]]
        fixture[key] = {"day": day_id, "date": dates[key].isoformat(), "free_slots": free}
    fixture["race_day"]["free_seats"] = sum(
        plan.slot_capacity[s - 1] - plan.slot_taken[s - 1]
        for s in fixture["race_day"]["free_slots"]
    )
    # A realistic coach's day: some came, one did not, one walk-in, the rest still due.
    coach_day = fixture["coach_day"]["day"]
    first = plan.day_first_slot[coach_day - 1]
    ids = [i for i, row in enumerate(bookings.rows) if row[2] == coach_day]
    for n, i in enumerate(ids[:4]):
        row = list(bookings.rows[i])
        row[4] = "no_show" if n == 3 else "attended"
        bookings.rows[i] = tuple(row)
    client += 1
    bookings.add(coach_day, first + 2, "attended", channel="walk_in", client=client)
    return fixture


def write_bookings(cur, plan, bookings):
    t = clock.monotonic()
    copy(
        cur,
        Slot,
        ["id", "day_id", "starts_at", "ends_at", "capacity", "seats_taken"],
        (
            (
                i + 1,
                day,
                plan.slot_start[i],
                plan.slot_start[i] + timedelta(minutes=SLOT_MINUTES),
                plan.slot_capacity[i],
                plan.slot_taken[i],
            )
            for day in range(1, len(plan.day_date) + 1)
            for i in range(
                plan.day_first_slot[day - 1] - 1,
                plan.day_first_slot[day - 1] - 1 + plan.day_slots[day - 1],
            )
        ),
    )
    log(f"  wrote {len(plan.slot_start)} slots  {clock.monotonic() - t:.1f}s")
    t = clock.monotonic()
    n = copy(cur, Booking, BOOKING_COLUMNS, iter(bookings.rows))
    log(f"  wrote {n} bookings  {clock.monotonic() - t:.1f}s")
    t = clock.monotonic()
    copy(
        cur,
        BookingToken,
        ["id", "booking_id", "token_hash", "created_at"],
        (
            (
                row[0],
                row[0],
                hashlib.sha256(f"bench-{row[0]}-{row[3]}".encode()).hexdigest(),
                row[15],
            )
            for row in bookings.rows
        ),
    )
    topics = copy_m2m(
        cur, Booking._meta.get_field("topics"), "booking", "specialism", iter(bookings.topics)
    )
    outcomes = copy(cur, BookingOutcome, ["id", "booking_id", "code"], iter(bookings.outcomes))
    log(f"  wrote tokens, {topics} topics, {outcomes} outcomes  {clock.monotonic() - t:.1f}s")


def check_invariants(cur):
    """The generator promises what the app promises; prove it on the loaded data."""
    checks = {
        "seats_taken equals seat-taking bookings": """
            SELECT count(*) FROM appointments_slot s LEFT JOIN (
              SELECT slot_id, count(*) n FROM appointments_booking
              WHERE status <> 'cancelled' AND takes_seat GROUP BY slot_id) b ON b.slot_id = s.id
            WHERE s.seats_taken <> COALESCE(b.n, 0)""",
        "no slot over capacity": "SELECT count(*) FROM appointments_slot "
        "WHERE seats_taken > capacity",
        "no coach on two overlapping days": """
            SELECT count(*) FROM appointments_daycoach a JOIN appointments_daycoach b
              ON a.coach_id = b.coach_id AND a.id < b.id
             AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at""",
    }
    for name, sql in checks.items():
        cur.execute(sql)
        bad = cur.fetchone()[0]
        if bad:
            raise SystemExit(f"invariant broken: {name} ({bad} rows)")
    return list(checks)


def loaded_tables():
    tables = [
        m._meta.db_table
        for m in (Municipality, Site, Specialism, User, Coach, Team, OutreachSeries)
        + (OutreachDay, DayCoach, Slot, Booking, BookingToken, BookingOutcome)
    ]
    for field in (
        Coach._meta.get_field("specialisms"),
        Team._meta.get_field("members"),
        Booking._meta.get_field("topics"),
    ):
        tables.append(field.remote_field.through._meta.db_table)
    return tables


def drop_foreign_keys(cur):
    """Foreign keys (and exclusion constraints) of the loaded tables, dropped for the load
    and returned for restore_foreign_keys. Django's keys are deferred, so with them in
    place the commit checks millions of rows one by one; re-adding a key checks them in
    one join, and re-adding an exclusion constraint builds its index once."""
    cur.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype IN ('f', 'x') AND conrelid::regclass::text = ANY(%s) "
        "ORDER BY contype DESC",
        [loaded_tables()],
    )
    keys = cur.fetchall()
    for table, name, _definition in keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return keys


def restore_foreign_keys(cur, keys):
    for table, name, definition in keys:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def truncate(cur):
    tables = [
        m._meta.db_table
        for m in (District, Municipality, Specialism, User, OutreachDay, Slot, Booking)
        + (Coach, Team)
    ]
    # CASCADE empties every table that points at these, including ones added later.
    cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def generate(bookings_wanted, seed=8, districts=DISTRICTS, write_fixture=True):
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.astimezone(BERLIN).date()
    plan = Plan(today, now, districts)
    started = clock.monotonic()
    dates = fixture_dates(today)
    with transaction.atomic():
        connection.ensure_connection()
        cur = connection.connection.cursor()
        cur.execute("SET LOCAL synchronous_commit = off")
        truncate(cur)
        keys = drop_foreign_keys(cur)
        sites, team_coaches = write_structure(cur, plan, rng)
        series_rows, day_rows, coach_rows = write_days(
            cur, plan, sites, team_coaches, set(dates.values())
        )
        bookings = Bookings(plan, rng)
        t = clock.monotonic()
        add_background(bookings, bookings_wanted, rng)
        fixture = add_fixtures(plan, bookings, day_rows, coach_rows, team_coaches, dates)
        log(f"  planned {len(bookings.rows)} bookings  {clock.monotonic() - t:.1f}s")
        copy_days(cur, plan, series_rows, day_rows, coach_rows)
        write_bookings(cur, plan, bookings)
        reset_sequences(
            cur,
            [District, Municipality, Site, Specialism, User, Coach, Team, OutreachSeries]
            + [OutreachDay]
            + [DayCoach, Slot, Booking, BookingToken, BookingOutcome],
        )
        t = clock.monotonic()
        restore_foreign_keys(cur, keys)
        took = clock.monotonic() - t
        log(f"  restored {len(keys)} keys and constraints (checks every row)  {took:.1f}s")
        t = clock.monotonic()
        checked = check_invariants(cur)
        log(f"  checked: {', '.join(checked)}  {clock.monotonic() - t:.1f}s")
        t = clock.monotonic()
    log(f"  commit  {clock.monotonic() - t:.1f}s")
    t = clock.monotonic()
    with connection.cursor() as c:
        c.execute("ANALYZE")
    log(f"  analyze  {clock.monotonic() - t:.1f}s")
    elapsed = clock.monotonic() - started
    background = len(bookings.rows) - sum(
        1 for row in bookings.rows if row[2] in {f["day"] for f in fixture.values()}
    )
    fixture.update(
        {
            "bookings": background,
            "bookings_total": len(bookings.rows),
            "days": len(plan.day_date),
            "slots": len(plan.slot_start),
            "coach": {"username": "coach0000", "password": COACH_PASSWORD, "coach_id": 1},
            "admin": {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
            "generated_at": now.isoformat(),
            "seconds": round(elapsed, 1),
        }
    )
    if write_fixture:
        VAR.mkdir(exist_ok=True)
        (VAR / "fixture.json").write_text(json.dumps(fixture, indent=2))
    return fixture


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=10_000, help="background bookings")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--districts", type=int, default=DISTRICTS, help="25 sites each")
    parser.add_argument("--yes", action="store_true", help="do not ask before emptying tables")
    args = parser.parse_args()
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("The generator needs PostgreSQL: set DATABASE_URL.")
    if not args.yes and not db["NAME"].endswith("bench"):
        raise SystemExit(f"Refusing to empty {db['NAME']!r}: pass --yes or use a *_bench database.")
    log(f"Generating {args.bookings:,} bookings into {db['NAME']} ...")
    fixture = generate(args.bookings, seed=args.seed, districts=args.districts)
    log(
        f"Done in {fixture['seconds']}s: {fixture['days']:,} days, {fixture['slots']:,} slots, "
        f"{fixture['bookings_total']:,} bookings."
    )
    log(f"Coach login: {fixture['coach']['username']} / {fixture['coach']['password']}")
    log(f"Admin login: {fixture['admin']['username']} / {fixture['admin']['password']}")
    for key in ("coach_day", "book_day", "race_day", "flow_day"):
        log(f"  {key}: day {fixture[key]['day']} on {fixture[key]['date']}")
    log(f"Fixture written to {VAR / 'fixture.json'}")


if __name__ == "__main__":
    main()
