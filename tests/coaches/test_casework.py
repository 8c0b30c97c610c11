"""Accompaniment in the domain: consent, linking visits, the contact log, the end."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import AuditAction, AuditEntry
from coaches import casework
from coaches.models import ContactEntry, Person, PersonStatus, PersonVisit
from coaches.models_casework import CONSENT_TEXT_VERSION
from tests import factories
from tests.coaches.conftest import attended, constraints


def test_it_records_consent_with_who_when_and_the_text_version(case, person):
    assert person.consent_by == case.anna
    assert person.consent_text_version == CONSENT_TEXT_VERSION
    assert person.consent_at is not None
    assert person.team == case.team and person.municipality == case.wathlingen
    assert person.name == "Maria Schulz"
    assert person.first_visit_on == case.day.date
    assert PersonVisit.objects.get(person=person).booking == case.booking
    assert AuditEntry.objects.filter(
        action=AuditAction.CHANGE_PERSON, detail__startswith=f"person {person.pk}"
    ).exists()


def test_it_stores_the_constraints_as_fields(person):
    assert f"{person.earliest_start:%H:%M}" == "08:30"
    assert person.hours_per_week == 25
    assert person.has_qualification is False


def test_without_consent_nothing_is_created(case):
    with pytest.raises(casework.CaseworkRefused, match="Einwilligung"):
        casework.start_accompaniment(
            booking=case.booking, coach=case.anna, consent=False, constraints=constraints()
        )
    assert not Person.objects.exists()


def test_it_refuses_a_person_from_another_teams_municipality(case):
    with pytest.raises(casework.CaseworkRefused, match="Wathlingen"):
        casework.start_accompaniment(
            booking=case.booking, coach=case.bob, consent=True, constraints=constraints()
        )
    assert not Person.objects.exists()


def test_a_booking_belongs_to_one_person_only(case, person):
    with pytest.raises(casework.CaseworkRefused):
        casework.start_accompaniment(
            booking=case.booking, coach=case.anna, consent=True, constraints=constraints()
        )
    assert Person.objects.count() == 1


def test_a_later_booking_with_the_same_phone_is_offered_but_not_linked(case, person):
    later_day = factories.day(
        factories.site(case.wathlingen), on=case.day.date + timedelta(days=30), team_=case.team
    )
    later, _ = factories.booking(later_day.slots.first(), name="M. Schulz", phone="0151 1234567")
    other, _ = factories.booking(later_day.slots.last(), name="Olaf", phone="0170 9")

    assert list(casework.matching_persons(booking=later, user=case.anna.user)) == [person]
    assert list(casework.matching_persons(booking=other, user=case.anna.user)) == []
    # Bob's team does not accompany her: no offer for him.
    assert list(casework.matching_persons(booking=later, user=case.bob.user)) == []
    assert not PersonVisit.objects.filter(booking=later).exists()

    assert casework.link_visit(person=person, booking=later, coach=case.anna) is True
    assert casework.link_visit(person=person, booking=later, coach=case.anna) is False
    assert person.visits.count() == 2
    assert list(casework.matching_persons(booking=later, user=case.anna.user)) == []


def test_a_walk_in_can_be_linked_at_once(case, person):
    walk_in = attended(case.day.slots.last(), name="Maria Schulz")
    casework.link_visit(person=person, booking=walk_in, coach=case.anna)
    assert PersonVisit.objects.get(booking=walk_in).person == person


def test_the_contact_log_records_date_coach_and_note(case, person):
    today = timezone.localdate()
    casework.log_contact(person=person, kind="call", on=today, note="Bewerbung", coach=case.anna)
    entry = ContactEntry.objects.get(person=person)
    assert (entry.kind, entry.on, entry.coach, entry.note) == (
        "call",
        today,
        case.anna,
        "Bewerbung",
    )
    with pytest.raises(casework.CaseworkRefused, match="Zukunft"):
        casework.log_contact(
            person=person, kind="call", on=today + timedelta(days=1), note="", coach=case.anna
        )
    with pytest.raises(casework.CaseworkRefused):
        casework.log_contact(person=person, kind="fax", on=today, note="", coach=case.anna)


def test_closing_ends_it_once(case, person):
    assert casework.end_accompaniment(person=person, user=case.anna.user, reason="Job") is True
    assert casework.end_accompaniment(person=person, user=case.anna.user) is False
    assert person.status == PersonStatus.CLOSED and person.ended_at is not None
    with pytest.raises(casework.CaseworkRefused):
        casework.log_contact(
            person=person, kind="call", on=timezone.localdate(), note="", coach=case.anna
        )


def test_withdrawal_ends_it_at_once(case, person):
    casework.end_accompaniment(person=person, user=case.anna.user, withdrawn=True)
    assert person.status == PersonStatus.WITHDRAWN and person.ended_at is not None


def test_only_the_team_and_administrators_see_the_person(case, person):
    admin = factories.user("root", is_staff=True, is_superuser=True)
    staff_only = factories.user("desk", is_staff=True)
    assert list(casework.persons_visible_to(case.anna.user)) == [person]
    assert list(casework.persons_visible_to(case.bob.user)) == []
    assert list(casework.persons_visible_to(admin)) == [person]
    assert list(casework.persons_visible_to(staff_only)) == []


def test_the_person_withdraws_through_the_manage_link(case, person, client):
    from appointments.models import BookingToken

    token = BookingToken.objects.issue(booking=case.booking)
    page = client.get(f"/termin/{token}/").content.decode()
    assert "Einwilligung widerrufen" in page
    response = client.post(f"/termin/{token}/begleitung-widerrufen/")
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.status == PersonStatus.WITHDRAWN and person.ended_at is not None
    assert "Einwilligung widerrufen" not in client.get(f"/termin/{token}/").content.decode()
