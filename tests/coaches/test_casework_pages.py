"""The casework pages: start at the table, the person's page, matches, referrals,
employers and figures; bad input gets a message and a 400, never a 500."""

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import AuditAction, AuditEntry, Booking, BookingStatus
from coaches import casework, employers
from coaches.models import ContactEntry, Opening, Person, Referral, ReferralStatus
from tests import factories
from tests.coaches.conftest import attended


def login(coach) -> Client:
    client = Client()
    client.force_login(coach.user)
    return client


CONSENT = {
    "consent": "on",
    "earliest_start": "08:30",
    "hours_per_week": "25",
    "childcare": "partly",
    "mobility": "bus",
    "health": "none",
}


def test_a_coach_records_consent_and_constraints_at_the_table(case):
    client = login(case.anna)
    url = reverse("coaches:start_accompaniment", args=[case.booking.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, CONSENT)
    person = Person.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/team/personen/{person.pk}/"
    assert f"{person.earliest_start:%H:%M}" == "08:30" and person.hours_per_week == 25
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Maria Schulz" in page.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_PERSON).exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"consent": ""}, "Ohne Einwilligung"),
        ({"earliest_start": "25:00"}, "zwischen 00:00 und 23:59"),
        ({"hours_per_week": "80"}, "von 1 bis 60"),
    ],
)
def test_bad_input_at_the_table_gets_a_message(case, change, message):
    response = login(case.anna).post(
        reverse("coaches:start_accompaniment", args=[case.booking.pk]), {**CONSENT, **change}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Person.objects.exists()


def test_a_person_from_another_teams_municipality_is_refused(case):
    # Bob stands in on a day in Wathlingen, but his team does not serve Wathlingen.
    stand_in = factories.day(
        factories.site(case.wathlingen), on=case.day.date + timedelta(days=3), coaches=[case.bob]
    )
    booking = attended(stand_in.slots.first(), name="Olga")
    response = login(case.bob).post(
        reverse("coaches:start_accompaniment", args=[booking.pk]), CONSENT
    )
    assert response.status_code == 400
    assert "betreut Wathlingen nicht" in response.content.decode()
    assert not Person.objects.exists()


def test_the_booking_page_offers_the_match_and_the_coach_confirms(case, person):
    later_day = factories.day(
        factories.site(case.wathlingen),
        on=case.day.date + timedelta(days=1),
        team_=case.team,
        coaches=[case.anna],
    )
    later, _ = factories.booking(later_day.slots.first(), name="M. S.", phone="0151 1234567")
    client = login(case.anna)
    page = client.get(reverse("coaches:booking", args=[later.pk])).content.decode()
    assert "Ist das dieselbe Person?" in page
    assert not person.visits.filter(booking=later).exists()
    client.post(reverse("coaches:link_visit", args=[person.pk, later.pk]))
    assert person.visits.filter(booking=later).exists()


def test_contact_log_and_end(case, person):
    client = login(case.anna)
    response = client.post(
        reverse("coaches:add_contact", args=[person.pk]),
        {"kind": "call", "on": timezone.localdate().isoformat(), "note": "Bewerbung geschickt"},
    )
    assert response.status_code == 302
    assert ContactEntry.objects.get().note == "Bewerbung geschickt"
    bad = client.post(reverse("coaches:add_contact", args=[person.pk]), {"kind": "call", "on": "x"})
    assert bad.status_code == 400
    client.post(reverse("coaches:end_accompaniment", args=[person.pk]), {"withdrawn": "on"})
    person.refresh_from_db()
    assert person.status == "withdrawn"


def test_matches_refer_and_move_the_referral(case, person):
    client = login(case.anna)
    page = client.get(reverse("coaches:person_matches", args=[person.pk])).content.decode()
    assert "Wäscherei" in page and "Beginn 08:30" in page
    client.post(reverse("coaches:refer", args=[person.pk]), {"opening": case.laundry.pk})
    referral = Referral.objects.get()
    url = reverse("coaches:change_referral", args=[referral.pk])
    on = timezone.localdate().isoformat()
    assert client.post(url, {"status": "interview", "on": on}).status_code == 302
    back = client.post(url, {"status": "proposed", "on": on})
    assert back.status_code == 400 and "Grund" in back.content.decode()
    assert client.post(url, {"status": "hired", "on": on}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.HIRED


def test_a_referral_to_a_filled_opening_gets_a_message(case, person):
    employers.set_opening_status(opening=case.laundry, status="filled", user=case.anna.user)
    client = login(case.anna)
    response = client.post(
        reverse("coaches:refer", args=[person.pk]), {"opening": case.laundry.pk}, follow=True
    )
    assert "schon besetzt" in response.content.decode()
    assert not Referral.objects.exists()


def test_employer_pages_and_figures(case, person):
    client = login(case.anna)
    assert "Pflegeheim" in client.get(reverse("coaches:employers")).content.decode()
    page = client.get(reverse("coaches:employer", args=[case.employer.pk])).content.decode()
    assert "Frau Lang" in page
    assert (
        login(case.bob).get(reverse("coaches:employer", args=[case.employer.pk])).status_code == 403
    )
    figures = client.get(reverse("coaches:person_figures"))
    assert figures.status_code == 200
    assert client.get(reverse("coaches:person_figures") + "?start=2026-13").status_code == 400
    csv = client.get(reverse("coaches:person_figures_csv")).content.decode()
    assert csv.startswith("Ort;Monat;Personen")


# --- Query budgets ---------------------------------------------------------------------


def _grow(case, person, n, first=0):
    """n visits, contacts, openings and referrals for the person."""
    on = timezone.localdate()
    for i in range(first, first + n):
        day = factories.day(
            factories.site(case.wathlingen),
            on=case.day.date + timedelta(days=1 + i),
            team_=case.team,
        )
        booking = attended(day.slots.first(), name="Maria Schulz")
        casework.link_visit(person=person, booking=booking, coach=case.anna)
        casework.log_contact(person=person, kind="call", on=on, note=f"{i}", coach=case.anna)
        opening = Opening.objects.create(
            employer=case.employer,
            title=f"Stelle {i}",
            hours_per_week=20,
            earliest_start=time(9),
            latest_start=time(9),
        )
        referral = employers.refer_person(person=person, opening=opening, coach=case.anna)
        employers.change_referral_status(
            referral=referral, status="applied", on=on, coach=case.anna
        )


# Session, user and coach, the access check, the page's loads (with the person's programme
# places) and the audit entry.
@pytest.mark.parametrize("name, budget", [("coaches:person", 14), ("coaches:person_matches", 9)])
def test_the_person_page_and_matches_run_a_fixed_number_of_queries(
    case, person, name, budget, django_assert_num_queries
):
    client = login(case.anna)
    url = reverse(name, args=[person.pk])
    client.get(url)  # warm the session and caches
    _grow(case, person, 1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    assert len(one) == budget
    _grow(case, person, 99, first=1)
    assert Booking.objects.filter(person_visit__person=person).count() == 101
    with django_assert_num_queries(len(one)):
        assert client.get(url).status_code == 200
    assert Booking.objects.filter(status=BookingStatus.ATTENDED).count() >= 100
