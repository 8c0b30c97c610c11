"""Invariant 8: no cohort takes more participants than it has places.

Real concurrent enrolments race for the last place, each thread on its own database
connection, lined up by a barrier. The companion test swaps the guard for a naive
read-check-write and shows the same race then overbooks: the guard is what holds.
"""

import threading
import time

import pytest
from django.db import connection

from appointments.models import Cohort, Enrolment
from appointments.services import CohortFull, enrol_person
from appointments.services import programmes as programme_services
from tests import factories
from tests.coaches import programme_world as world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]

ATTEMPTS = 24


def full_but_one(capacity=3):
    lead = factories.coach()
    team = factories.team(lead)
    place = factories.municipality()
    cohort = world.cohort(world.programme(team, factories.site(place), capacity=capacity))
    for _ in range(capacity - 1):
        enrol_person(person=world.person(team, place), cohort=cohort, coach=lead)
    persons = [world.person(team, place) for _ in range(ATTEMPTS)]
    return cohort, persons, lead


def race_for(cohort, persons, coach):
    """Enrol `ATTEMPTS` persons from as many threads at once."""
    barrier = threading.Barrier(len(persons))
    results = [None] * len(persons)

    def attempt(n):
        try:
            connection.ensure_connection()  # connect before the start line, not after it
            barrier.wait(timeout=60)
            enrol_person(person=persons[n], cohort=cohort, coach=coach)
            results[n] = "enrolled"
        except CohortFull:
            results[n] = "full"
        except Exception as error:  # reported by the assertions below
            results[n] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(persons))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_exactly_one_of_many_gets_the_last_place():
    cohort, persons, lead = full_but_one()

    results = race_for(cohort, persons, lead)

    assert results.count("enrolled") == 1, results
    assert results.count("full") == ATTEMPTS - 1, results
    cohort.refresh_from_db()
    assert cohort.places_taken == cohort.capacity == 3
    assert Enrolment.objects.filter(cohort=cohort).count() == 3


def test_without_the_guard_the_same_race_overbooks(monkeypatch):
    """The lock and the conditional update are what hold."""

    def naive_lock(cohort_id):
        return Cohort.objects.get(pk=cohort_id)

    def naive_claim(cohort):
        current = Cohort.objects.get(pk=cohort.pk)
        if current.places_taken >= current.capacity:
            return False
        time.sleep(0.05)  # the gap every read-check-write has, made wide enough to see
        Cohort.objects.filter(pk=cohort.pk).update(places_taken=current.places_taken + 1)
        return True

    monkeypatch.setattr(programme_services, "lock_cohort", naive_lock)
    monkeypatch.setattr(programme_services, "claim_place", naive_claim)
    cohort, persons, lead = full_but_one()

    results = race_for(cohort, persons, lead)

    cohort.refresh_from_db()
    print(f"without the guard: {results.count('enrolled')} of {ATTEMPTS} enrolled")
    assert results.count("enrolled") > 1, results
    assert Enrolment.objects.filter(cohort=cohort).count() > cohort.capacity
    # The counter never passed capacity, so its CHECK constraint could not notice.
    assert cohort.places_taken == cohort.capacity
