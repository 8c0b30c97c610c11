"""Named personas for the coach pages (healthchecks' alice/bob/charlie, here five):

- alice: a coach on the day under test (Wathlingen, today);
- bob: a coach at another site (Bergen, the same date);
- carla: a client who holds the manage link of her booking, but no account;
- anonymous: a visitor who is not logged in;
- admin: an administrator (is_staff, superuser);
- stefan: a staff account with only the permission to view municipalities, as a town
  hall's IT contact might have: he may enter the admin, but sees no client data;
- frida: the town hall's front desk in Wathlingen: she books callers into Wathlingen's
  days and sees their names, times and contacts, nothing of Bergen, and no coach page.
"""

from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from appointments.models import Booking
from appointments.services import book_slot
from coaches.models import FrontDesk, FrontDeskKind
from tests import factories

PERSONAS = ["alice", "bob", "carla", "anonymous", "admin", "stefan", "frida"]


def book(slot, **fields) -> tuple[Booking, str]:
    """Book through the real domain function as if it happened a week ago, so slots of
    today's day are still inside the booking window."""
    result = book_slot(
        slot_id=slot.pk,
        client=factories.client_details(**fields),
        now=timezone.now() - timedelta(days=7),
    )
    return result.booking, result.token


@dataclass
class World:
    day: object
    other_day: object
    alice: object
    bob: object
    admin: object
    stefan: object
    frida: object
    booking: Booking
    token: str
    other_booking: Booking


@pytest.fixture
def world(db) -> World:
    today = timezone.localdate()
    alice = factories.coach("Alice Adler", "alice")
    bob = factories.coach("Bob Brandt", "bob")
    wathlingen = factories.site(factories.municipality("Wathlingen"), name="Rathaus Wathlingen")
    bergen = factories.site(factories.municipality("Bergen"), name="Rathaus Bergen")
    day = factories.day(wathlingen, on=today, coaches=[alice])
    # Afternoon, so one coach may serve both days (overlapping days are refused).
    other_day = factories.day(bergen, on=today, start=time(13), end=time(16), coaches=[bob])
    topic = factories.specialism("Familie und Beruf")
    slots = list(day.slots.order_by("starts_at"))
    booking, token = book(
        slots[0],
        name="Maria Schulz",
        topics=[topic],
        need_child=True,
        need_step_free=True,
        interpreter_language="Ukrainisch",
        note="Ich kann erst ab 9 Uhr.",
    )
    other_booking, _ = book(other_day.slots.order_by("starts_at")[0], name="Olaf Otto")
    admin = factories.user("admin", is_staff=True, is_superuser=True)
    stefan = factories.user("stefan", is_staff=True)
    stefan.user_permissions.add(Permission.objects.get(codename="view_municipality"))
    frida = FrontDesk.objects.create(user=factories.user("frida"), kind=FrontDeskKind.TOWN_HALL)
    frida.municipalities.set([wathlingen.municipality])
    return World(day, other_day, alice, bob, admin, stefan, frida, booking, token, other_booking)


@pytest.fixture
def as_persona(world):
    def login(name: str) -> Client:
        client = Client()
        if name in ("alice", "bob"):
            client.force_login(getattr(world, name).user)
        elif name in ("admin", "stefan"):
            client.force_login(getattr(world, name))
        elif name == "frida":
            client.force_login(world.frida.user)
        elif name == "carla":
            # Carla opens her manage link first: it must give her nothing on staff pages.
            assert client.get(f"/termin/{world.token}/").status_code == 200
        return client

    return login
