"""Staff actions on the day: attendance, undo, walk-ins, outcomes and follow-ups, through
the domain functions and through the views; and bad input on each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments import services
from appointments.models import (
    AuditEntry,
    Booking,
    BookingOutcome,
    BookingStatus,
    Channel,
    DayStatus,
    OutcomeCode,
    Slot,
)
from tests import factories
from tests.personas import book


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def _reload(booking) -> Booking:
    return Booking.objects.get(pk=booking.pk)


# --- attendance ---------------------------------------------------------------------------


def test_marking_attended_returns_to_the_same_place(world, as_persona):
    client = as_persona("alice")
    response = client.post(
        f"/team/termine/{world.booking.pk}/erschienen/",
        {"next": f"/team/?date={world.day.date:%Y-%m-%d}#b{world.booking.pk}"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/team/?date={world.day.date:%Y-%m-%d}#b{world.booking.pk}"
    assert _reload(world.booking).status == BookingStatus.ATTENDED
    assert _messages(response) == ["Gespeichert: erschienen."]


def test_no_show_and_undo(world, as_persona):
    client = as_persona("alice")
    client.post(f"/team/termine/{world.booking.pk}/nicht-erschienen/")
    assert _reload(world.booking).status == BookingStatus.NO_SHOW
    client.post(f"/team/termine/{world.booking.pk}/zuruecksetzen/")
    assert _reload(world.booking).status == BookingStatus.CONFIRMED
    details = list(
        AuditEntry.objects.filter(booking=world.booking, action="change_booking")
        .order_by("pk")
        .values_list("detail", flat=True)
    )
    assert details == ["no_show", "undo"]


def test_no_show_keeps_the_seat_taken(world):
    services.mark_attendance(booking=world.booking, attended=False, user=world.alice.user)
    assert Slot.objects.get(pk=world.booking.slot_id).seats_taken == 1


def test_a_double_click_changes_it_once(world, as_persona):
    client = as_persona("alice")
    client.post(f"/team/termine/{world.booking.pk}/erschienen/")
    response = client.post(f"/team/termine/{world.booking.pk}/erschienen/")
    assert _messages(response)[-1] == "Das war schon gespeichert."
    assert AuditEntry.objects.filter(booking=world.booking, action="change_booking").count() == 1


def test_attended_cannot_turn_into_no_show_without_undo(world):
    services.mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    with pytest.raises(services.StaffActionRefused):
        services.mark_attendance(booking=world.booking, attended=False, user=world.alice.user)
    assert _reload(world.booking).status == BookingStatus.ATTENDED


def test_attendance_waits_for_the_day(world):
    later = factories.day(
        world.day.site, on=world.day.date + timedelta(days=5), coaches=[world.alice]
    )
    booking, _ = book(later.slots.first())
    with pytest.raises(services.StaffActionRefused, match="erst am Beratungstag"):
        services.mark_attendance(booking=booking, attended=True, user=world.alice.user)
    assert _reload(booking).status == BookingStatus.CONFIRMED


def test_a_cancelled_booking_cannot_be_marked(world, as_persona):
    services.cancel_booking(booking=world.booking, now=timezone.now() - timedelta(days=1))
    response = as_persona("alice").post(f"/team/termine/{world.booking.pk}/erschienen/")
    assert response.status_code == 302
    assert _messages(response) == ["Dieser Termin ist schon erfasst oder abgesagt."]
    assert _reload(world.booking).status == BookingStatus.CANCELLED


def test_undo_is_refused_once_an_outcome_is_recorded(world, as_persona):
    services.mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    services.record_outcome(booking=world.booking, codes=["advice"], user=world.alice.user)
    response = as_persona("alice").post(f"/team/termine/{world.booking.pk}/zuruecksetzen/")
    assert _messages(response) == ["Für diesen Termin gibt es schon ein Ergebnis."]
    assert _reload(world.booking).status == BookingStatus.ATTENDED


# --- walk-ins -------------------------------------------------------------------------------


def _walk_in_data(slot, **fields):
    data = {"slot": slot.pk, "name": "Paul Pohl", "submission_key": f"key-{slot.pk}"}
    data.update(fields)
    return data


def test_a_walk_in_takes_a_free_seat(world, as_persona):
    topic = factories.specialism("Wieder in Arbeit")
    free = world.day.slots.order_by("starts_at")[1]
    response = as_persona("alice").post(
        f"/team/tage/{world.day.pk}/ohne-termin/",
        _walk_in_data(free, topics=[topic.pk], need_child="on", interpreter_language="Arabisch"),
    )
    walk_in = Booking.objects.get(name="Paul Pohl")
    assert response.status_code == 302
    assert response["Location"] == f"/team/?date={world.day.date:%Y-%m-%d}#b{walk_in.pk}"
    assert (walk_in.channel, walk_in.status, walk_in.takes_seat) == ("walk_in", "attended", True)
    assert walk_in.need_child and walk_in.interpreter_language == "Arabisch"
    assert list(walk_in.topics.all()) == [topic]
    assert Slot.objects.get(pk=free.pk).seats_taken == 1
    assert AuditEntry.objects.filter(booking=walk_in, action="add_walk_in", detail="seat").exists()


def test_a_walk_in_in_a_full_slot_is_an_extra_and_never_overbooks(world, as_persona):
    full = world.booking.slot
    response = as_persona("alice").post(
        f"/team/tage/{world.day.pk}/ohne-termin/", _walk_in_data(full)
    )
    walk_in = Booking.objects.get(name="Paul Pohl")
    assert walk_in.takes_seat is False
    assert _messages(response) == ["Die Person ist erfasst, zusätzlich zu den Plätzen."]
    assert Slot.objects.get(pk=full.pk).seats_taken == 1  # capacity 1, still 1


def test_walk_ins_count_in_the_statistics(world):
    services.add_walk_in(
        slot=world.booking.slot,
        client=factories.client_details(name="Extra", email=""),
        user=world.alice.user,
    )
    attended = Booking.objects.filter(day=world.day, status=BookingStatus.ATTENDED)
    assert attended.filter(channel=Channel.WALK_IN).count() == 1
    assert Booking.objects.filter(day=world.day).active().count() == 2


def test_the_same_walk_in_form_posted_twice_records_one_person(world, as_persona):
    client = as_persona("alice")
    data = _walk_in_data(world.day.slots.order_by("starts_at")[2])
    client.post(f"/team/tage/{world.day.pk}/ohne-termin/", data)
    client.post(f"/team/tage/{world.day.pk}/ohne-termin/", data)
    assert Booking.objects.filter(name="Paul Pohl").count() == 1


def test_a_walk_in_needs_a_name_and_a_slot_of_that_day(world, as_persona):
    other_slot = world.other_day.slots.first()
    response = as_persona("alice").post(
        f"/team/tage/{world.day.pk}/ohne-termin/", _walk_in_data(other_slot, name="")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Dieses Feld ist zwingend erforderlich." in body
    assert "Bitte wählen Sie eine Uhrzeit aus der Liste." in body
    assert not Booking.objects.filter(channel=Channel.WALK_IN).exists()


def test_walk_ins_are_refused_on_a_day_that_does_not_take_place(world, as_persona):
    world.day.status = DayStatus.CANCELLED
    world.day.save(update_fields=["status"])
    response = as_persona("alice").post(
        f"/team/tage/{world.day.pk}/ohne-termin/",
        _walk_in_data(world.day.slots.order_by("starts_at")[1]),
    )
    assert response.status_code == 302
    assert _messages(response) == ["An diesem Tag findet keine Beratung statt."]
    assert not Booking.objects.filter(channel=Channel.WALK_IN).exists()


def test_a_walk_in_cannot_be_undone(world):
    walk_in = services.add_walk_in(
        slot=world.booking.slot,
        client=factories.client_details(name="Extra", email=""),
        user=world.alice.user,
    )
    with pytest.raises(services.StaffActionRefused):
        services.undo_attendance(booking=walk_in, user=world.alice.user)


# --- outcomes and follow-ups -------------------------------------------------------------------


def test_recording_an_outcome_with_a_follow_up(world, as_persona):
    services.mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    client = as_persona("alice")
    follow_up = world.day.date + timedelta(days=14)
    page = client.get(f"/team/termine/{world.booking.pk}/").content.decode()
    assert "Ergebnis erfassen" in page

    response = client.post(
        f"/team/termine/{world.booking.pk}/ergebnis/",
        {
            "codes": ["application", "childcare"],
            "note": "Lebenslauf überarbeitet, Kita-Platz ab März.",
            "follow_up_on": f"{follow_up:%Y-%m-%d}",
            "next": f"/team/?date={world.day.date:%Y-%m-%d}#b{world.booking.pk}",
        },
    )

    assert response.status_code == 302
    assert _messages(response) == ["Das Ergebnis ist gespeichert."]
    booking = _reload(world.booking)
    assert sorted(booking.outcomes.values_list("code", flat=True)) == ["application", "childcare"]
    assert booking.outcome_note == "Lebenslauf überarbeitet, Kita-Platz ab März."
    assert booking.follow_up_on == follow_up
    entry = AuditEntry.objects.get(booking=booking, detail__startswith="outcome")
    assert entry.detail == f"outcome application,childcare follow-up {follow_up:%Y-%m-%d}"


def test_recording_again_replaces_the_codes(world):
    services.mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    services.record_outcome(booking=world.booking, codes=["advice", "other"], user=world.alice.user)
    services.record_outcome(booking=world.booking, codes=["job_start"], user=world.alice.user)
    assert list(BookingOutcome.objects.filter(booking=world.booking).values_list("code")) == [
        ("job_start",)
    ]


def test_an_outcome_needs_an_attended_client(world, as_persona):
    response = as_persona("alice").post(
        f"/team/termine/{world.booking.pk}/ergebnis/", {"codes": ["advice"]}
    )
    assert _messages(response) == ["Ein Ergebnis gibt es nur, wenn die Person da war."]
    assert not BookingOutcome.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"codes": []}, "Bitte wählen Sie mindestens ein Ergebnis."),
        ({"codes": ["bribe"]}, "Bitte wählen Sie nur Ergebnisse aus der Liste."),
        ({"codes": ["advice"], "follow_up_on": "99999-01-01"}, "Bitte geben Sie ein Datum ein"),
        ({"codes": ["advice"], "follow_up_on": "garbage"}, "Bitte geben Sie ein Datum ein"),
        (
            {"codes": ["advice"], "follow_up_on": "2001-01-01"},
            "Bitte wählen Sie ein Datum zwischen",
        ),
        ({"codes": ["advice"], "note": "x" * 1001}, "höchstens 1000 Zeichen"),
    ],
)
def test_bad_outcome_input_gets_a_clear_message_and_saves_nothing(world, as_persona, data, message):
    services.mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    response = as_persona("alice").post(f"/team/termine/{world.booking.pk}/ergebnis/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    booking = _reload(world.booking)
    assert booking.outcome_recorded_at is None
    assert not booking.outcomes.exists()


def _with_follow_up(world, on):
    services.mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    services.record_outcome(
        booking=world.booking, codes=[OutcomeCode.ADVICE], follow_up_on=on, user=world.alice.user
    )


def test_my_follow_ups_lists_due_and_overdue_and_later_ones(world, as_persona):
    today = timezone.localdate()
    _with_follow_up(world, today)
    other, _ = book(world.day.slots.order_by("starts_at")[3], name="Jan Peters")
    services.mark_attendance(booking=other, attended=True, user=world.alice.user)
    services.record_outcome(
        booking=other,
        codes=[OutcomeCode.JOB_START],
        follow_up_on=today + timedelta(days=30),
        user=world.alice.user,
    )
    Booking.objects.filter(pk=world.booking.pk).update(follow_up_on=today - timedelta(days=2))

    body = as_persona("alice").get("/team/nachfassen/").content.decode()

    due, later = body.split('id="later-title"')
    assert "Maria Schulz" in due and "überfällig" in due
    assert "Jan Peters" in later
    assert f'href="/team/termine/{world.booking.pk}/"' in due


def test_marking_a_follow_up_done_removes_it_from_the_list(world, as_persona):
    _with_follow_up(world, timezone.localdate())
    client = as_persona("alice")
    response = client.post(
        f"/team/termine/{world.booking.pk}/nachfassen-erledigt/", {"next": "/team/nachfassen/"}
    )
    assert response["Location"] == "/team/nachfassen/"
    assert _reload(world.booking).follow_up_done_at is not None
    assert "Maria Schulz" not in client.get("/team/nachfassen/").content.decode()
    again = client.post(f"/team/termine/{world.booking.pk}/nachfassen-erledigt/")
    assert _messages(again)[-1] == "Das war schon gespeichert."


def test_the_follow_up_list_has_a_fixed_query_count(world, as_persona, django_assert_num_queries):
    for slot in world.day.slots.order_by("starts_at")[1:]:
        booking, _ = book(slot)
        services.mark_attendance(booking=booking, attended=True, user=world.alice.user)
        services.record_outcome(
            booking=booking,
            codes=["advice", "other"],
            follow_up_on=timezone.localdate(),
            user=world.alice.user,
        )
    client = as_persona("alice")
    # session, user, coach, bookings, outcomes, audit insert
    with django_assert_num_queries(6):
        response = client.get("/team/nachfassen/")
    assert response.content.decode().count('<li class="card') == 5


# --- tampered input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/team/termine/999999/",
        "/team/termine/99999999999999999999999/",
        "/team/termine/-1/",
        "/team/termine/abc/",
        "/team/tage/999999/drucken/",
        "/team/tage/99999999999999999999999/ohne-termin/",
    ],
)
def test_a_tampered_id_is_a_clear_404(world, as_persona, url):
    response = as_persona("alice").get(url)
    assert response.status_code == 404
    assert "Diese Seite gibt es nicht." in response.content.decode()


@pytest.mark.parametrize("action", ["erschienen", "nicht-erschienen", "zuruecksetzen", "ergebnis"])
def test_a_tampered_id_in_an_action_is_a_clear_404(world, as_persona, action):
    response = as_persona("alice").post(f"/team/termine/99999999999999999999999/{action}/")
    assert response.status_code == 404


def test_a_booking_of_another_coachs_day_is_refused(world, as_persona):
    client = as_persona("alice")
    for url in [
        f"/team/termine/{world.other_booking.pk}/",
        f"/team/termine/{world.other_booking.pk}/erschienen/",
        f"/team/tage/{world.other_day.pk}/drucken/",
    ]:
        response = client.post(url) if url.endswith("erschienen/") else client.get(url)
        assert response.status_code == 403, url
        assert "Sie dürfen diese Seite nicht sehen." in response.content.decode()
    assert _reload(world.other_booking).status == BookingStatus.CONFIRMED


def test_actions_refuse_get(world, as_persona):
    response = as_persona("alice").get(f"/team/termine/{world.booking.pk}/erschienen/")
    assert response.status_code == 405
    assert _reload(world.booking).status == BookingStatus.CONFIRMED


def test_actions_need_the_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice.user)
    response = client.post(f"/team/termine/{world.booking.pk}/erschienen/")
    assert response.status_code == 403
    assert _reload(world.booking).status == BookingStatus.CONFIRMED


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_an_outside_next_address_is_ignored(world, as_persona, target):
    response = as_persona("alice").post(
        f"/team/termine/{world.booking.pk}/erschienen/", {"next": target}
    )
    assert response["Location"] == f"/team/?date={world.day.date:%Y-%m-%d}#b{world.booking.pk}"
