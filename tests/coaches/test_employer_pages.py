"""Coaches of an employer's team create and change employers and openings on their own
pages; other coaches are refused; bad input gets a message and a 400."""

from datetime import time

import pytest
from django.test import Client
from django.urls import reverse

from appointments.models import AuditAction, AuditEntry
from coaches import casework, employers
from coaches.models import Employer, Opening


def login(coach) -> Client:
    client = Client()
    client.force_login(coach.user)
    return client


EMPLOYER = {
    "name": "Bäckerei Korn",
    "sector": "Lebensmittel",
    "address": "Hauptstraße 1",
    "contact_name": "Frau Korn",
    "phone": "05144 123",
    "email": "korn@example.org",
    "notes": "Sucht Aushilfen.",
    "part_time": "on",
    "by_bus": "on",
}
OPENING = {
    "title": "Verkauf",
    "hours_per_week": "20",
    "earliest_start": "09:00",
    "latest_start": "11:00",
    "status": "open",
}


def test_a_coach_creates_an_employer_for_their_team(case):
    data = {**EMPLOYER, "team": case.team.pk, "municipality": case.wathlingen.pk}
    response = login(case.anna).post(reverse("coaches:add_employer"), data)
    employer = Employer.objects.get(name="Bäckerei Korn")
    assert response.status_code == 302 and response.url == f"/team/arbeitgeber/{employer.pk}/"
    assert employer.team == case.team and employer.part_time and not employer.step_free
    assert AuditEntry.objects.filter(
        user=case.anna.user,
        action=AuditAction.CHANGE_EMPLOYER,
        detail=f"employer {employer.pk} created",
    ).exists()


def test_a_coach_cannot_create_an_employer_for_another_team(case):
    data = {**EMPLOYER, "team": case.other_team.pk, "municipality": case.wathlingen.pk}
    response = login(case.anna).post(reverse("coaches:add_employer"), data)
    assert response.status_code == 400
    assert not Employer.objects.filter(name="Bäckerei Korn").exists()


def test_a_coach_edits_the_employer_and_adds_and_edits_an_opening(case):
    client = login(case.anna)
    edit = reverse("coaches:edit_employer", args=[case.employer.pk])
    assert "Pflegeheim Am Park" in client.get(edit).content.decode()
    data = {**EMPLOYER, "team": case.team.pk, "municipality": case.wathlingen.pk}
    assert client.post(edit, {**data, "name": "Pflegeheim am Park"}).status_code == 302
    case.employer.refresh_from_db()
    assert case.employer.name == "Pflegeheim am Park"

    add = reverse("coaches:add_opening", args=[case.employer.pk])
    assert client.post(add, OPENING).status_code == 302
    opening = Opening.objects.get(title="Verkauf")
    assert opening.employer == case.employer and opening.earliest_start == time(9)

    edit = reverse("coaches:edit_opening", args=[case.employer.pk, opening.pk])
    assert client.post(edit, {**OPENING, "status": "filled"}).status_code == 302
    opening.refresh_from_db()
    assert not opening.is_open
    page = client.get(reverse("coaches:employer", args=[case.employer.pk])).content.decode()
    assert reverse("coaches:add_opening", args=[case.employer.pk]) in page


@pytest.mark.parametrize(
    "change, message",
    [
        ({"earliest_start": "25:00"}, "zwischen 00:00 und 23:59"),
        ({"latest_start": "08:00"}, "nicht vor dem frühesten"),
        ({"hours_per_week": "80"}, "60"),
        ({"title": ""}, "zwingend erforderlich"),
    ],
)
def test_bad_opening_input_gets_a_message(case, change, message):
    add = reverse("coaches:add_opening", args=[case.employer.pk])
    response = login(case.anna).post(add, {**OPENING, **change})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    # One clear message, not the database constraint's name.
    assert "opening_" not in body
    assert not Opening.objects.filter(title="Verkauf").exists()


def test_another_teams_coach_is_refused(case):
    client = login(case.bob)
    assert client.get(reverse("coaches:edit_employer", args=[case.employer.pk])).status_code == 403
    add = reverse("coaches:add_opening", args=[case.employer.pk])
    assert client.post(add, OPENING).status_code == 403
    assert not Opening.objects.filter(title="Verkauf").exists()


def test_the_domain_refuses_a_coach_outside_the_team(case):
    case.employer.name = "Anders"
    with pytest.raises(casework.CaseworkRefused):
        employers.save_employer(employer=case.employer, user=case.bob.user)
    opening = Opening(
        employer=case.employer,
        title="X",
        hours_per_week=10,
        earliest_start=time(8),
        latest_start=time(9),
    )
    with pytest.raises(casework.CaseworkRefused):
        employers.save_opening(opening=opening, user=case.bob.user)
