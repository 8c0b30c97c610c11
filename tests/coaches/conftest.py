"""A small casework world: Anna's team serves Wathlingen, Bob's team serves Bergen."""

from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from django.utils import timezone

from appointments.models import Booking, BookingStatus
from appointments.services import book_slot
from coaches import casework
from coaches.models import Employer, Opening
from tests import factories


@dataclass
class Case:
    anna: object
    bob: object
    team: object
    other_team: object
    wathlingen: object
    bergen: object
    hambuehren: object
    day: object
    booking: Booking
    laundry: Opening
    employer: Employer


def attended(slot, **fields) -> Booking:
    """An attended booking, booked three days before the slot as the client did then."""
    then = slot.starts_at - timedelta(days=3)
    booking = book_slot(
        slot_id=slot.pk, client=factories.client_details(**fields), now=then
    ).booking
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.ATTENDED)
    booking.refresh_from_db()
    return booking


def constraints(**fields) -> casework.WorkConstraints:
    fields.setdefault("earliest_start", time(8, 30))
    fields.setdefault("hours_per_week", 25)
    fields.setdefault("has_qualification", False)
    return casework.WorkConstraints(**fields)


@pytest.fixture
def case(db) -> Case:
    anna = factories.coach("Anna Becker", "anna")
    bob = factories.coach("Bob Brandt", "bob")
    team = factories.team(anna, name="Team Wathlingen")
    other_team = factories.team(bob, name="Team Bergen")
    wathlingen = factories.municipality("Wathlingen")
    bergen = factories.municipality("Bergen")
    hambuehren = factories.municipality("Hambühren")
    # The booking is made a week ahead, then the day is moved to today.
    day = factories.day(factories.site(wathlingen), team_=team, coaches=[anna])
    factories.day(factories.site(bergen), team_=other_team, coaches=[bob])
    booking = attended(day.slots.first(), name="Maria Schulz", phone="0151 1234567")
    employer = Employer.objects.create(
        team=team,
        municipality=wathlingen,
        name="Pflegeheim Am Park",
        sector="Pflege",
        notes="Frau Lang kennt unser Programm.",
        flexible_start=True,
        part_time=True,
        no_qualification=True,
        by_bus=True,
    )
    laundry = Opening.objects.create(
        employer=employer,
        title="Wäscherei",
        hours_per_week=25,
        earliest_start=time(8),
        latest_start=time(10),
        needs_qualification=False,
        starts_on=timezone.localdate() + timedelta(days=30),
    )
    return Case(
        anna,
        bob,
        team,
        other_team,
        wathlingen,
        bergen,
        hambuehren,
        day,
        booking,
        laundry,
        employer,
    )


@pytest.fixture
def person(case):
    return casework.start_accompaniment(
        booking=case.booking, coach=case.anna, consent=True, constraints=constraints()
    )
