"""Small hand-written factories and named personas.

Personas: `alice` coaches at Wathlingen (the day under test), `bob` coaches at Bergen
(another site), `admin` is an administrator.
"""

import itertools
from datetime import date, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from appointments.models import DayStatus
from appointments.services import ClientDetails, book_slot, create_day
from coaches.models import Coach, Specialism, Team
from locations.models import District, Municipality, Site

_seq = itertools.count(1)


def municipality(name=None, **fields):
    n = next(_seq)
    name = name or f"Gemeinde {n}"
    return Municipality.objects.create(
        name=name,
        slug=fields.pop("slug", f"gemeinde-{n}"),
        district=district(fields.pop("district", "Landkreis Celle")),
        **fields,
    )


def district(name="Landkreis Celle", state="NI"):
    """A Landkreis by name (an existing row is reused); a District passes through."""
    if isinstance(name, District):
        return name
    return District.objects.get_or_create(name=name, defaults={"state": state})[0]


def site(municipality_=None, **fields):
    municipality_ = municipality_ or municipality()
    fields.setdefault("name", "Rathaus")
    fields.setdefault("address", "Marktplatz 1")
    fields.setdefault("room", "Sitzungssaal")
    return Site.objects.create(municipality=municipality_, **fields)


def specialism(name=None):
    n = next(_seq)
    return Specialism.objects.create(
        name=name or f"Thema {n}", slug=f"thema-{n}", description="Ein Satz in einfacher Sprache."
    )


def user(username=None, **fields):
    username = username or f"user{next(_seq)}"
    u = get_user_model().objects.create_user(
        username=username, password="pw-" + username, email=f"{username}@example.org", **fields
    )
    return u


def coach(name=None, username=None, specialisms=()):
    u = user(username)
    c = Coach.objects.create(user=u, name=name or u.username.title())
    c.specialisms.set(specialisms)
    return c


def team(*coaches, name=None):
    coaches = coaches or (coach(),)
    t = Team.objects.create(name=name or f"Team {next(_seq)}", lead=coaches[0])
    t.members.set(coaches)
    return t


def future_date(days=7) -> date:
    return timezone.localdate() + timedelta(days=days)


def day(
    site_=None,
    on=None,
    start=time(9),
    end=time(12),
    slot_minutes=30,
    seats=1,
    team_=None,
    coaches=None,
    status=DayStatus.PUBLISHED,
):
    d = create_day(
        site=site_ or site(),
        on=on or future_date(),
        start=start,
        end=end,
        slot_minutes=slot_minutes,
        seats_per_slot=seats,
        team=team_,
        coaches=coaches,
        status=status,
    )
    if status == DayStatus.PUBLISHED:
        d.published_at = timezone.now()
        d.save(update_fields=["published_at"])
    return d


def client_details(**fields):
    n = next(_seq)
    fields.setdefault("name", f"Kundin {n}")
    fields.setdefault("email", f"kundin{n}@example.org")
    return ClientDetails(**fields)


def booking(slot, **fields):
    """Book through the real domain function; returns (booking, raw token)."""
    result = book_slot(slot_id=slot.pk, client=client_details(**fields))
    return result.booking, result.token
