"""Invariants 5 and 9 for accompanied persons: kept while accompanied, erased
RETENTION_DAYS after the end; a withdrawal ends it at once; figures stay the same."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments import statistics
from appointments.models import Booking, BookingStatus
from appointments.services import erase_expired_personal_data, record_outcome
from appointments.services.staff import StaffActionRefused
from coaches import casework, employers, figures
from coaches.forms import OutcomeForm
from coaches.models import ContactEntry, Person, PersonStatus
from tests import factories
from tests.coaches.conftest import attended, constraints


@pytest.fixture
def past(case, settings):
    """Maria's visit was 120 days ago, past the 90 days of retention."""
    settings.RETENTION_DAYS = 90
    settings.ACCOMPANIMENT_LAPSE_DAYS = 365
    on = timezone.localdate() - timedelta(days=120)
    day = factories.day(factories.site(case.wathlingen), on=on, team_=case.team)
    slots = list(day.slots.all())
    maria = attended_in_the_past(slots[0], name="Maria Schulz", phone="0151 1")
    jan = attended_in_the_past(slots[1], name="Jan Nur-Besuch")
    return day, maria, jan


def attended_in_the_past(slot, **fields):
    from appointments.services import book_slot

    then = slot.starts_at - timedelta(days=3)
    booking = book_slot(
        slot_id=slot.pk, client=factories.client_details(**fields), now=then
    ).booking
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.ATTENDED)
    booking.refresh_from_db()
    return booking


def accompany(case, booking, now=None):
    return casework.start_accompaniment(
        booking=booking, coach=case.anna, consent=True, constraints=constraints(), now=now
    )


def all_figures(day):
    span = {"start": day.date - timedelta(days=40), "end": timezone.localdate()}
    visits = statistics.collect(**span)
    persons = figures.collect(**span)
    return visits.rows, visits.total, persons.rows, persons.total, persons.funnel


def test_a_booking_not_accompanied_is_erased_as_today(case, past):
    day, maria, jan = past
    before = all_figures(day)
    erase_expired_personal_data()
    jan.refresh_from_db()
    maria.refresh_from_db()
    assert jan.name == "" and jan.anonymised_at is not None
    assert maria.name == "" and maria.anonymised_at is not None
    assert all_figures(day) == before


def test_an_accompanied_persons_data_is_kept_while_active(case, past):
    day, maria, jan = past
    person = accompany(case, maria)
    casework.log_contact(
        person=person, kind="call", on=timezone.localdate(), note="Bewerbung", coach=case.anna
    )
    before = all_figures(day)

    result = erase_expired_personal_data()

    assert result["persons"] == 0 and result["bookings"] == 1  # Jan only
    maria.refresh_from_db()
    person.refresh_from_db()
    assert maria.name == "Maria Schulz" and maria.anonymised_at is None
    assert person.name == "Maria Schulz" and person.anonymised_at is None
    assert all_figures(day) == before


def test_it_is_erased_retention_days_after_the_end(case, past):
    day, maria, jan = past
    person = accompany(case, maria)
    referral = employers.refer_person(person=person, opening=case.laundry, coach=case.anna)
    employers.change_referral_status(
        referral=referral,
        status="hired",
        on=timezone.localdate(),
        coach=case.anna,
    )
    ended = timezone.now()
    casework.end_accompaniment(person=person, user=case.anna.user, reason="Job gefunden")
    before = all_figures(day)

    erase_expired_personal_data(now=ended + timedelta(days=89))
    person.refresh_from_db()
    assert person.name == "Maria Schulz"

    result = erase_expired_personal_data(now=ended + timedelta(days=91))
    person.refresh_from_db()
    maria.refresh_from_db()
    assert result["persons"] == 1
    assert (person.name, person.phone, person.earliest_start) == ("", "", None)
    assert person.anonymised_at is not None and maria.name == ""
    assert not ContactEntry.objects.filter(person=person).exists()
    # The anonymous facts stay.
    assert person.first_visit_on == day.date and person.job_start_on is not None
    assert all_figures(day) == before
    assert (
        figures.collect(start=day.date.replace(day=1), end=timezone.localdate()).total.into_work
        == 1
    )


def test_a_withdrawal_ends_it_at_once_and_erasure_follows_on_schedule(case, past):
    day, maria, jan = past
    person = accompany(case, maria)
    casework.end_accompaniment(person=person, user=case.anna.user, withdrawn=True)
    person.refresh_from_db()
    assert person.status == PersonStatus.WITHDRAWN
    assert person.ended_at is not None
    before = all_figures(day)
    erase_expired_personal_data(now=person.ended_at + timedelta(days=91))
    person.refresh_from_db()
    assert person.anonymised_at is not None
    assert all_figures(day) == before


def test_twelve_months_without_contact_end_it(case, past, settings):
    day, maria, jan = past
    person = accompany(case, maria)
    later = timezone.now() + timedelta(days=366)
    erase_expired_personal_data(now=later)
    person.refresh_from_db()
    assert person.status == PersonStatus.LAPSED and person.anonymised_at is None
    erase_expired_personal_data(now=later + timedelta(days=91))
    person.refresh_from_db()
    assert person.anonymised_at is not None


# --- The follow-up defect (invariant 9) ------------------------------------------------


def test_a_follow_up_after_the_erasure_date_is_refused(case):
    booking = case.booking
    too_late = booking.day.date + timedelta(days=200)
    with pytest.raises(StaffActionRefused, match="Begleitung"):
        record_outcome(
            booking=booking, codes=["advice"], follow_up_on=too_late, user=case.anna.user
        )
    booking.refresh_from_db()
    assert booking.follow_up_on is None and booking.outcome_recorded_at is None


def test_the_form_says_why_and_offers_accompaniment(case):
    too_late = case.booking.day.date + timedelta(days=200)
    form = OutcomeForm(
        {"codes": ["advice"], "follow_up_on": too_late.isoformat()}, booking=case.booking
    )
    assert not form.is_valid()
    assert "Einwilligung zur Begleitung" in form.errors["follow_up_on"][0]


def test_a_follow_up_before_the_erasure_date_is_fine(case):
    on = case.booking.day.date + timedelta(days=60)
    record_outcome(booking=case.booking, codes=["advice"], follow_up_on=on, user=case.anna.user)
    case.booking.refresh_from_db()
    assert case.booking.follow_up_on == on


def test_an_accompanied_person_may_have_a_later_follow_up(case, person):
    on = case.booking.day.date + timedelta(days=200)
    record_outcome(booking=case.booking, codes=["advice"], follow_up_on=on, user=case.anna.user)
    assert OutcomeForm(
        {"codes": ["advice"], "follow_up_on": on.isoformat()}, booking=case.booking
    ).is_valid()


def test_figures_count_persons_not_visits(case, person):
    second = attended(case.day.slots.last(), name="Maria Schulz")
    casework.link_visit(person=person, booking=second, coach=case.anna)
    other = casework.start_accompaniment(
        booking=attended(case.day.slots.all()[1], name="Olga"),
        coach=case.anna,
        consent=True,
        constraints=constraints(),
    )
    referral = employers.refer_person(person=other, opening=case.laundry, coach=case.anna)
    today = timezone.localdate()
    employers.change_referral_status(
        referral=referral, status="interview", on=today, coach=case.anna
    )
    employers.change_referral_status(referral=referral, status="hired", on=today, coach=case.anna)
    report = figures.collect(start=today - timedelta(days=40), end=today + timedelta(days=40))
    assert report.total.persons == 2
    assert report.total.into_work == 1
    funnel = dict(report.funnel)
    assert funnel["vorgeschlagen"] == 1 and funnel["eingestellt"] == 1
    assert funnel["beworben"] == 0
    assert Person.objects.count() == 2
