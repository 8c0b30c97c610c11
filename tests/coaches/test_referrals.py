"""Referrals with their dated status history, and the matching help."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from coaches import casework, employers, matching
from coaches.models import Opening, OpeningStatus, ReferralStatus
from tests import factories
from tests.coaches.conftest import constraints


def matches_for(person):
    openings = employers.open_openings_for(person=person)
    reachable = set(person.reachable.values_list("pk", flat=True))
    return matching.match_openings(
        person=person, openings=openings, reachable_ids=reachable, referred_ids=set()
    )


def test_it_walks_a_referral_to_hired_and_records_the_job_start(case, person):
    today = timezone.localdate()
    referral = employers.refer_person(person=person, opening=case.laundry, coach=case.anna)
    assert referral.employer == case.employer and referral.status == ReferralStatus.PROPOSED
    for status in [ReferralStatus.APPLIED, ReferralStatus.INTERVIEW, ReferralStatus.HIRED]:
        assert employers.change_referral_status(
            referral=referral, status=status, on=today, coach=case.anna
        )
    steps = list(referral.steps.values_list("status", flat=True))
    assert steps == ["proposed", "applied", "interview", "hired"]
    person.refresh_from_db()
    assert person.job_start_on == today


def test_the_same_status_twice_changes_nothing(case, person):
    referral = employers.refer_person(person=person, opening=case.laundry, coach=case.anna)
    on = timezone.localdate()
    assert not employers.change_referral_status(
        referral=referral, status="proposed", on=on, coach=case.anna
    )
    assert referral.steps.count() == 1


def test_a_step_back_needs_a_reason(case, person):
    on = timezone.localdate()
    referral = employers.refer_person(person=person, opening=case.laundry, coach=case.anna)
    employers.change_referral_status(referral=referral, status="interview", on=on, coach=case.anna)
    with pytest.raises(casework.CaseworkRefused, match="Grund"):
        employers.change_referral_status(
            referral=referral, status="applied", on=on, coach=case.anna
        )
    assert referral.status == "interview" and referral.steps.count() == 2
    employers.change_referral_status(
        referral=referral, status="applied", on=on, coach=case.anna, reason="Termin verlegt"
    )
    assert referral.status == "applied"


def test_leaving_hired_needs_a_reason_and_clears_the_job_start(case, person):
    on = timezone.localdate()
    referral = employers.refer_person(person=person, opening=case.laundry, coach=case.anna)
    employers.change_referral_status(referral=referral, status="hired", on=on, coach=case.anna)
    with pytest.raises(casework.CaseworkRefused):
        employers.change_referral_status(
            referral=referral, status="not_hired", on=on, coach=case.anna
        )
    employers.change_referral_status(
        referral=referral, status="not_hired", on=on, coach=case.anna, reason="Probezeit"
    )
    person.refresh_from_db()
    assert person.job_start_on is None


def test_it_refuses_a_referral_to_a_filled_opening(case, person):
    employers.set_opening_status(opening=case.laundry, status="filled", user=case.anna.user)
    with pytest.raises(casework.CaseworkRefused, match="besetzt"):
        employers.refer_person(person=person, opening=case.laundry, coach=case.anna)
    assert not person.referrals.exists()


def test_it_refuses_a_second_referral_to_the_same_opening(case, person):
    employers.refer_person(person=person, opening=case.laundry, coach=case.anna)
    with pytest.raises(casework.CaseworkRefused, match="schon vorgeschlagen"):
        employers.refer_person(person=person, opening=case.laundry, coach=case.anna)


def test_a_referral_can_go_to_an_employer_without_an_opening(case, person):
    referral = employers.refer_person(person=person, employer=case.employer, coach=case.anna)
    assert referral.opening is None


def test_a_date_in_the_future_is_refused(case, person):
    referral = employers.refer_person(person=person, opening=case.laundry, coach=case.anna)
    with pytest.raises(casework.CaseworkRefused, match="Zukunft"):
        employers.change_referral_status(
            referral=referral,
            status="applied",
            on=timezone.localdate() + timedelta(days=1),
            coach=case.anna,
        )


def test_the_laundry_fits_the_single_mother_and_says_why(case, person):
    factory_job = Opening.objects.create(
        employer=factories_employer(case, "Metallbau Nord", case.bergen),
        title="Schichtarbeit",
        hours_per_week=40,
        earliest_start=time(6),
        latest_start=time(6),
        needs_qualification=True,
    )
    found = matches_for(person)
    assert [m.opening for m in found] == [case.laundry, factory_job]
    best = found[0]
    assert best.fits_all
    assert [r.text for r in best.reasons] == [
        "Beginn 08:30",
        "25 Stunden pro Woche",
        "keine Ausbildung nötig",
        "in Wathlingen",
    ]
    assert not any(r.fits for r in found[1].reasons)


def test_a_place_on_the_persons_bus_list_is_reachable(case):
    person = casework.start_accompaniment(
        booking=case.booking,
        coach=case.anna,
        consent=True,
        constraints=constraints(reachable=[case.hambuehren]),
    )
    job = Opening.objects.create(
        employer=factories_employer(case, "Bäckerei", case.hambuehren),
        title="Verkauf",
        hours_per_week=20,
        earliest_start=time(9),
        latest_start=time(9),
    )
    reason = next(m for m in matches_for(person) if m.opening == job).reasons[-1]
    assert (reason.text, reason.fits) == ("Hambühren mit dem Bus erreichbar", True)


def test_filled_openings_and_other_districts_are_not_listed(case, person):
    case.laundry.status = OpeningStatus.FILLED
    case.laundry.save(update_fields=["status"])
    elsewhere = factories.municipality("Gifhorn", district="Landkreis Gifhorn")
    Opening.objects.create(
        employer=factories_employer(case, "Fern GmbH", elsewhere),
        title="Lager",
        hours_per_week=20,
        earliest_start=time(9),
        latest_start=time(9),
    )
    assert matches_for(person) == []


def factories_employer(case, name, municipality):
    from coaches.models import Employer

    return Employer.objects.create(
        team=case.team, municipality=municipality, name=name, sector="Handwerk"
    )
