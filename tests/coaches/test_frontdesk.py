"""The front desk: Frida of Wathlingen's town hall books callers through the same booking
function as the public, prints slips, cancels and moves, and works through call lists.
She sees names, times and contacts, never topics, needs, notes or outcomes."""

import re
from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from appointments.models import (
    AuditAction,
    AuditEntry,
    Booking,
    BookingStatus,
    BookingToken,
    Call,
    CallReason,
    CancelledBy,
    Channel,
    DayStatus,
)
from appointments.services import cancel_day, queue_reminder_calls
from tests import factories
from tests.personas import book


@pytest.fixture
def wathlingen_day(world):
    """A coming day in Wathlingen with free slots, served by Alice."""
    return factories.day(
        world.day.site, on=factories.future_date(5), seats=2, coaches=[world.alice]
    )


def caller(day, **fields):
    data = {
        "slot": day.slots.order_by("starts_at").first().pk,
        "name": "Karl Klein",
        "phone": "0171 2345678",
        "email": "",
        "channel": Channel.PHONE,
        "privacy_read_out": "on",
        "submission_key": "k" * 32,
    }
    return {**data, **fields}


def test_the_day_page_shows_names_times_contacts_and_no_needs(world, as_persona):
    body = as_persona("frida").get(f"/team/empfang/tage/{world.day.pk}/").content.decode()
    for shown in ["Maria Schulz", world.booking.reference, world.booking.email, "09:00"]:
        assert shown in body
    for hidden in ["Familie und Beruf", "Ukrainisch", "Ich kann erst ab 9 Uhr.", "Kind"]:
        assert hidden not in body
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_DAY, user=world.frida.user)
    assert entry.day_id == world.day.pk


def test_frida_cannot_open_bergen(world, as_persona):
    frida = as_persona("frida")
    bergen, booking = world.other_day.pk, world.other_booking.pk
    for url in [
        f"/team/empfang/tage/{bergen}/",
        f"/team/empfang/tage/{bergen}/buchen/",
        f"/team/empfang/termine/{booking}/beleg/",
        f"/team/empfang/termine/{booking}/absagen/",
        f"/team/empfang/termine/{booking}/verschieben/",
        f"/team/anrufliste/{bergen}/",
    ]:
        assert frida.get(url).status_code == 403, url
    assert frida.post(f"/team/empfang/termine/{booking}/absagen/").status_code == 403
    world.other_booking.refresh_from_db()
    assert world.other_booking.status == BookingStatus.CONFIRMED


def test_an_inactive_desk_is_refused(world, as_persona):
    world.frida.active = False
    world.frida.save(update_fields=["active"])
    assert as_persona("frida").get("/team/empfang/").status_code == 403


def test_the_start_page_lists_only_her_municipalities_days(world, as_persona, wathlingen_day):
    factories.day(world.other_day.site, on=factories.future_date(5), start=time(13), end=time(15))
    body = as_persona("frida").get("/team/empfang/").content.decode()
    assert f"/team/empfang/tage/{wathlingen_day.pk}/" in body
    assert "Bergen" not in body


def test_she_books_a_caller_through_the_booking_function(world, as_persona, wathlingen_day):
    response = as_persona("frida").post(
        f"/team/empfang/tage/{wathlingen_day.pk}/buchen/", caller(wathlingen_day, sms_consent="on")
    )
    assert response.status_code == 302
    booking = Booking.objects.get(name="Karl Klein")
    assert (booking.channel, booking.consent_recorded_by) == (Channel.PHONE, world.frida.user)
    assert (booking.phone, booking.sms_consent, booking.email) == ("+491712345678", True, "")
    assert booking.consent_at is not None
    assert booking.slot.seats_taken == 1
    entry = AuditEntry.objects.get(action=AuditAction.BOOK_FOR_CLIENT)
    assert (entry.user, entry.booking, entry.detail) == (world.frida.user, booking, "phone")
    assert response["Location"].endswith(f"#b{booking.pk}")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"phone": "", "email": ""}, "phone", "Telefonnummer oder eine E-Mail"),
        ({"privacy_read_out": ""}, "privacy_read_out", "Datenschutz-Erklärung"),
        ({"phone": "05144 123456", "sms_consent": "on"}, "sms_consent", "Handynummer"),
        ({"phone": "", "email": "k@example.org", "sms_consent": "on"}, "sms_consent", "Handy"),
        ({"phone": "12"}, "phone", "Ziffern"),
        ({"channel": "online"}, "channel", "Telefon oder Empfang"),
        ({"slot": "999999999"}, "slot", "freie Uhrzeit"),
        ({"name": "Karl\u202eKlein"}, "name", "Zeile"),
    ],
)
def test_bad_input_gets_a_message_and_saves_nothing(
    world, as_persona, wathlingen_day, fields, field, message
):
    before = Booking.objects.count()
    response = as_persona("frida").post(
        f"/team/empfang/tage/{wathlingen_day.pk}/buchen/", caller(wathlingen_day, **fields)
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert Booking.objects.count() == before
    assert 'id="error-summary"' in response.content.decode()


def test_a_double_submit_books_once(world, as_persona, wathlingen_day):
    frida = as_persona("frida")
    url = f"/team/empfang/tage/{wathlingen_day.pk}/buchen/"
    assert frida.post(url, caller(wathlingen_day)).status_code == 302
    assert frida.post(url, caller(wathlingen_day)).status_code == 302
    assert Booking.objects.filter(name="Karl Klein").count() == 1
    wathlingen_day.slots.order_by("starts_at").first().refresh_from_db()
    assert wathlingen_day.slots.order_by("starts_at").first().seats_taken == 1


def test_the_public_caps_do_not_stop_a_clerk_booking_many_callers(
    world, as_persona, wathlingen_day, settings
):
    settings.BOOKINGS_PER_SESSION_PER_DAY = settings.BOOKINGS_PER_ADDRESS_PER_DAY = 1
    frida = as_persona("frida")
    url = f"/team/empfang/tage/{wathlingen_day.pk}/buchen/"
    for n in range(3):
        data = caller(wathlingen_day, name=f"Anruf {n}", phone=f"0171 234567{n}")
        data["slot"] = wathlingen_day.slots.order_by("starts_at")[n].pk
        data["submission_key"] = f"{n}" * 32
        assert frida.post(url, data).status_code == 302
    assert Booking.objects.filter(channel=Channel.PHONE).count() == 3


def test_one_phone_number_books_once_a_day_however_it_is_written(world, as_persona, wathlingen_day):
    frida = as_persona("frida")
    url = f"/team/empfang/tage/{wathlingen_day.pk}/buchen/"
    assert frida.post(url, caller(wathlingen_day, phone="0171 2345678")).status_code == 302
    again = caller(wathlingen_day, phone="+49 171 2345678", submission_key="z" * 32)
    response = frida.post(url, again)
    assert response.status_code == 400
    assert "schon einen Termin" in " ".join(response.context["form"].errors["phone"])
    assert Booking.objects.filter(name="Karl Klein").count() == 1


def test_a_coach_and_a_stranger_cannot_book_at_the_desk(world, as_persona, wathlingen_day):
    for persona in ("alice", "stefan"):
        response = as_persona(persona).post(
            f"/team/empfang/tage/{wathlingen_day.pk}/buchen/", caller(wathlingen_day)
        )
        assert response.status_code == 403
    assert not Booking.objects.filter(name="Karl Klein").exists()


def test_the_slip_carries_a_fresh_short_link_that_opens_the_booking(world, as_persona):
    frida = as_persona("frida")
    before = BookingToken.objects.filter(booking=world.booking).count()
    body = frida.get(f"/team/empfang/termine/{world.booking.pk}/beleg/").content.decode()
    assert BookingToken.objects.filter(booking=world.booking).count() == before + 1
    link = re.search(r'<p class="slip-link">(https?://[^<]+)</p>', body)[1]
    path = "/" + link.split("/", 3)[3]
    assert re.fullmatch(r"/k/[A-Z2-7]{26}/", path)
    assert "<svg" in body and "qr-code" in body
    for shown in [world.booking.reference, "Rathaus Wathlingen", "Marktplatz 1", "05141 000000"]:
        assert shown in body
    assert "Ihren Ausweis oder Pass" in body
    assert "Familie und Beruf" not in body
    opened = Client().get(path, follow=True)
    assert opened.context["booking"] == world.booking


def test_she_cancels_a_booking_for_the_office(world, as_persona):
    response = as_persona("frida").post(
        f"/team/empfang/termine/{world.booking.pk}/absagen/", {"reason": "angerufen"}
    )
    assert response.status_code == 302
    world.booking.refresh_from_db()
    assert (world.booking.status, world.booking.cancelled_by) == (
        BookingStatus.CANCELLED,
        CancelledBy.OFFICE,
    )
    entry = AuditEntry.objects.get(action=AuditAction.CHANGE_BOOKING, user=world.frida.user)
    assert entry.booking == world.booking


def test_she_moves_a_booking_to_another_day_of_her_municipality(world, as_persona, wathlingen_day):
    booking, _ = book(wathlingen_day.slots.order_by("starts_at").first(), name="Paula")
    target = wathlingen_day.slots.order_by("starts_at").last()
    response = as_persona("frida").post(
        f"/team/empfang/termine/{booking.pk}/verschieben/", {"slot": target.pk}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.slot_id == target.pk
    assert AuditEntry.objects.filter(
        action=AuditAction.CHANGE_BOOKING, user=world.frida.user, booking=booking
    ).exists()


def test_she_cannot_move_a_booking_to_bergen(world, as_persona, wathlingen_day):
    booking, _ = book(wathlingen_day.slots.order_by("starts_at").first(), name="Paula")
    bergen = factories.day(world.other_day.site, on=factories.future_date(6))
    response = as_persona("frida").post(
        f"/team/empfang/termine/{booking.pk}/verschieben/", {"slot": bergen.slots.first().pk}
    )
    assert response.status_code == 400
    booking.refresh_from_db()
    assert booking.day_id == wathlingen_day.pk


def phone_only_on(day, n=1):
    slots = list(day.slots.order_by("starts_at"))
    return [
        book(slots[i % len(slots)], email="", phone=f"05144 1234{i:02d}", name=f"P{i}")[0]
        for i in range(n)
    ]


def test_open_calls_show_on_the_desk_and_the_coachs_day_until_ticked(world, as_persona):
    tomorrow = factories.day(
        world.day.site, on=timezone.localdate() + timedelta(days=1), coaches=[world.alice]
    )
    (paul,) = phone_only_on(tomorrow)
    queue_reminder_calls()
    call = Call.objects.get(booking=paul)
    frida, alice = as_persona("frida"), as_persona("alice")
    for client, url in [(frida, "/team/empfang/"), (alice, "/team/")]:
        body = client.get(url).content.decode()
        assert "05144 123400" in body and f"/team/anrufe/{call.pk}/erledigt/" in body

    response = frida.post(
        f"/team/anrufe/{call.pk}/erledigt/", {"note": "erreicht", "next": "/team/empfang/"}
    )
    assert response["Location"] == "/team/empfang/"
    call.refresh_from_db()
    assert call.called_by == world.frida.user and call.called_at is not None
    body = alice.get("/team/").content.decode()
    assert "Angerufen von frida" in body and "erreicht" in body
    assert f"/team/anrufe/{call.pk}/erledigt/" not in body
    # Bob serves Bergen: the call is not his to tick.
    assert as_persona("bob").post(f"/team/anrufe/{call.pk}/erledigt/").status_code == 403


def test_after_cancelling_a_day_the_admin_links_its_printable_call_list(world, as_persona):
    day = factories.day(world.day.site, on=factories.future_date(4))
    phone_only_on(day, 2)
    admin = as_persona("admin")
    response = admin.post(
        "/admin/appointments/outreachday/cancel/",
        {"ids": str(day.pk), "reason": "Krankheit"},
        follow=True,
    )
    body = response.content.decode()
    assert f'href="/team/anrufliste/{day.pk}/"' in body
    listing = as_persona("frida").get(f"/team/anrufliste/{day.pk}/").content.decode()
    assert listing.count("05144 1234") == 2
    assert "Tag abgesagt" in listing
    assert Call.objects.filter(reason=CallReason.DAY_CANCELLED).count() == 2


def test_a_coach_without_the_desk_role_gets_403_not_500_on_desk_pages(world, as_persona):
    alice = as_persona("alice")
    assert alice.get("/team/empfang/").status_code == 403
    # And a clerk on the coach pages.
    frida = as_persona("frida")
    for url in ["/team/", "/team/personen/", "/team/nachfassen/", "/team/arbeitgeber/"]:
        assert frida.get(url).status_code == 403, url


@pytest.mark.parametrize("bookings", [3, 30])
def test_the_desk_pages_query_count_does_not_grow(
    world, as_persona, django_assert_num_queries, bookings
):
    day = factories.day(world.day.site, on=factories.future_date(1), seats=10)
    phone_only_on(day, bookings)
    queue_reminder_calls()
    frida = as_persona("frida")
    frida.get("/team/empfang/")  # the session is loaded once before counting

    # session, user, desk, days, calls, audit insert
    with django_assert_num_queries(6):
        assert frida.get("/team/empfang/").status_code == 200
    # session, user, day, desk, allowed check, bookings, audit insert
    with django_assert_num_queries(7):
        assert frida.get(f"/team/empfang/tage/{day.pk}/").status_code == 200
    # session, user, day, coach?, desk, allowed check, calls, desk for the back link,
    # audit insert
    with django_assert_num_queries(9):
        assert frida.get(f"/team/anrufliste/{day.pk}/").status_code == 200


def test_a_cancelled_day_shows_no_booking_button(world, as_persona, wathlingen_day):
    cancel_day(day=wathlingen_day, reason="Krankheit")
    frida = as_persona("frida")
    body = frida.get(f"/team/empfang/tage/{wathlingen_day.pk}/").content.decode()
    assert "abgesagt" in body and "/buchen/" not in body
    assert frida.get(f"/team/empfang/tage/{wathlingen_day.pk}/buchen/").status_code == 404
    assert wathlingen_day.status != DayStatus.DRAFT


def test_a_clerk_lands_on_the_front_desk_after_login(world, client):
    response = client.post("/team/anmelden/", {"username": "frida", "password": "pw-frida"})
    assert response["Location"] == "/team/empfang/"
    coach = Client().post("/team/anmelden/", {"username": "alice", "password": "pw-alice"})
    assert coach["Location"] == "/team/"


def test_the_slip_is_printed_in_the_language_the_caller_chose(world, as_persona, wathlingen_day):
    frida = as_persona("frida")
    frida.post(
        f"/team/empfang/tage/{wathlingen_day.pk}/buchen/", caller(wathlingen_day, language="uk")
    )
    booking = Booking.objects.get(name="Karl Klein")
    assert booking.language == "uk"
    body = frida.get(f"/team/empfang/termine/{booking.pk}/beleg/").content.decode()
    assert 'lang="uk"' in body
    assert "Відскануйте код телефоном" in body
    assert "Scannen Sie den Code" not in body
    # Her own pages stay German.
    assert "Termine" in frida.get(f"/team/empfang/tage/{wathlingen_day.pk}/").content.decode()
