"""Rough edges of the staff pages, found by trying them as a new coach would."""

from datetime import time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from appointments import services
from appointments.models import Booking, OutcomeCode, local_datetime
from coaches.forms import OutcomeForm, WalkInForm
from tests import factories
from tests.personas import book


def _follow_up(booking, user, days=7):
    services.mark_attendance(booking=booking, attended=True, user=user)
    services.record_outcome(
        booking=booking,
        codes=[OutcomeCode.ADVICE],
        follow_up_on=timezone.localdate() + timedelta(days=days),
        user=user,
    )


# --- 4. the walk-in form's time ----------------------------------------------------------


def test_the_walk_in_form_defaults_to_the_slot_running_now(world):
    now = local_datetime(world.day.date, time(10, 15))
    form = WalkInForm(day=world.day, now=now)
    chosen = world.day.slots.get(pk=form["slot"].initial)
    assert timezone.localtime(chosen.starts_at).time() == time(10)
    assert "selected>10:00" in str(form["slot"])


def test_between_days_it_offers_the_next_slot_and_after_the_day_the_last(world):
    first = WalkInForm(day=world.day, now=local_datetime(world.day.date, time(7)))
    assert timezone.localtime(world.day.slots.get(pk=first["slot"].initial).starts_at).time() == (
        time(9)
    )
    late = WalkInForm(day=world.day, now=local_datetime(world.day.date, time(18)))
    assert timezone.localtime(world.day.slots.get(pk=late["slot"].initial).starts_at).time() == (
        time(11, 30)
    )


def test_the_walk_in_form_cleans_name_and_phone_like_the_booking_form(world, as_persona):
    slot = world.day.slots.order_by("starts_at")[2]
    response = as_persona("alice").post(
        f"/team/tage/{world.day.pk}/ohne-termin/",
        {"slot": slot.pk, "name": "Paul\tPohl", "phone": "call me", "submission_key": "k1"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Bitte nur Ziffern" in body and "Bitte nur eine Zeile" in body
    form = WalkInForm(
        {"slot": slot.pk, "name": "  Paul Pohl ", "submission_key": "k2"}, day=world.day
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "Paul Pohl"


def test_the_outcome_note_takes_up_to_1000_characters_like_the_model(world):
    booking = world.booking
    assert Booking._meta.get_field("outcome_note").max_length == 1000
    ok = OutcomeForm({"codes": ["advice"], "note": "x" * 1000}, booking=booking)
    assert ok.is_valid(), ok.errors
    too_long = OutcomeForm({"codes": ["advice"], "note": "x" * 1001}, booking=booking)
    assert not too_long.is_valid()


# --- 5. a wrong password --------------------------------------------------------------------


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_a_failed_login_says_it_failed_without_telling_whether_the_user_exists(
    world, client, username
):
    user = world.alice.user
    user.set_password("right-password-1")
    user.save()
    body = client.post(
        "/team/anmelden/", {"username": username, "password": "wrong-password"}
    ).content.decode()
    assert "Die Anmeldung hat nicht geklappt" in body
    assert "Bitte Benutzername und Passwort eingeben" not in body


# --- 6. before the day ---------------------------------------------------------------------


def test_before_the_day_the_buttons_are_shown_disabled_with_the_reason(world, as_persona):
    later = factories.day(
        world.day.site, on=world.day.date + timedelta(days=3), coaches=[world.alice]
    )
    book(later.slots.first(), name="Jan Peters")
    body = as_persona("alice").get(f"/team/?date={later.date:%Y-%m-%d}").content.decode()
    assert "ab dem Beratungstag möglich" in body
    assert body.count("disabled") >= 3  # attended, no-show, walk-in
    assert f"/team/tage/{later.pk}/ohne-termin/" not in body


def test_on_the_day_the_buttons_work(world, as_persona):
    body = as_persona("alice").get("/team/").content.decode()
    assert "ab dem Beratungstag möglich" not in body
    assert f"/team/tage/{world.day.pk}/ohne-termin/" in body


# --- 7. follow-ups: mine by default, my team's as a choice ----------------------------------


def test_a_follow_up_records_who_set_it(world):
    _follow_up(world.booking, world.alice.user)
    assert Booking.objects.get(pk=world.booking.pk).follow_up_by == world.alice.user


def test_follow_ups_show_mine_by_default_and_my_teams_as_a_choice(world, as_persona):
    colleague = factories.coach("Clara Yilmaz", "clara")
    services.assign_coaches(day=world.day, coaches=[world.alice, colleague])
    _follow_up(world.booking, world.alice.user)
    theirs, _ = book(world.day.slots.order_by("starts_at")[2], name="Jan Peters")
    _follow_up(theirs, colleague.user)

    client = as_persona("alice")
    mine = client.get("/team/nachfassen/").content.decode()
    assert "Maria Schulz" in mine and "Jan Peters" not in mine
    team = client.get("/team/nachfassen/?wer=team").content.decode()
    assert "Maria Schulz" in team and "Jan Peters" in team
    assert "Eingetragen von: Clara Yilmaz" in team
    assert 'aria-current="page">Mein Team' in team


# --- 8. the 403 page -------------------------------------------------------------------------


def test_the_403_page_leads_a_coach_back_to_my_day(world, as_persona):
    response = as_persona("alice").get(f"/team/tage/{world.other_day.pk}/drucken/")
    assert response.status_code == 403
    assert "Zurück zu „Mein Tag“" in response.content.decode()


def test_the_403_page_of_someone_else_leads_to_the_start_page(db, client):
    stranger = get_user_model().objects.create_user("stranger", password="pw-stranger-1")
    client.force_login(stranger)
    response = client.get("/team/")
    assert response.status_code == 403
    assert "Zurück zu „Mein Tag“" not in response.content.decode()
