"""Waiting-list offers: a freed seat is held for the first matching entry, offered by
email, booked from the link, and passed on (or back to the public) when time runs out."""

import re
import secrets
from datetime import time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from appointments import outbox
from appointments.models import (
    Booking,
    MailKind,
    MailStatus,
    OutgoingMail,
    WaitlistEntry,
    WaitlistStatus,
    hash_token,
)
from appointments.services import (
    SlotTaken,
    book_slot,
    cancel_booking,
    expire_waitlist_offers,
    move_booking,
)
from tests import factories as f

pytestmark = pytest.mark.django_db
HOURS = timedelta(hours=1)


def entry(day=None, municipality=None, **fields):
    n = secrets.token_hex(3)
    return WaitlistEntry.objects.create(
        day=day,
        municipality=municipality,
        name=fields.pop("name", f"Wartende {n}"),
        email=fields.pop("email", f"warte{n}@example.org"),
        token_hash=hash_token(secrets.token_urlsafe(24)),
        consent_at=timezone.now(),
        **fields,
    )


@pytest.fixture
def full_day():
    """A day of one 9:00 slot, booked out."""
    day = f.day(start=time(9), end=time(9, 30), seats=1)
    booking, _ = f.booking(day.slots.get())
    return day, booking


def offer_to(waiting):
    (message,) = [m for m in mail.outbox if m.to == [waiting.email]]
    return message


def offer_link(message):
    return re.search(r"http://127\.0\.0\.1:8000(/warteliste/angebot/\S+/)", message.body).group(1)


def test_a_freed_seat_is_held_and_offered_to_the_first_matching_entry(
    full_day, django_capture_on_commit_callbacks
):
    day, booking = full_day
    first, second = entry(day=day), entry(day=day)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking)
    first.refresh_from_db()
    slot = day.slots.get()
    assert first.status == WaitlistStatus.OFFERED and first.offered_slot == slot
    assert WaitlistEntry.objects.get(pk=second.pk).status == WaitlistStatus.WAITING
    assert slot.seats_taken == 1  # held: nobody else can book it
    with pytest.raises(SlotTaken):
        book_slot(slot_id=slot.pk, client=f.client_details())
    (offer,) = [m for m in mail.outbox if m.to == [first.email]]
    assert offer.subject.startswith("Ein Platz ist frei geworden")
    assert "/warteliste/angebot/" in offer.body


def test_the_time_window_decides_who_is_offered(full_day, django_capture_on_commit_callbacks):
    day, booking = full_day
    too_late = entry(day=day, earliest=time(10))
    too_early = entry(day=day, latest=time(9, 15))
    fits = entry(municipality=day.site.municipality, earliest=time(8), latest=time(12))
    cancel_booking(booking=booking)
    statuses = dict(WaitlistEntry.objects.values_list("pk", "status"))
    assert statuses == {too_late.pk: "waiting", too_early.pk: "waiting", fits.pk: "offered"}


def test_without_a_match_the_seat_goes_back_to_the_public(full_day):
    day, booking = full_day
    entry(day=day, earliest=time(11))
    cancel_booking(booking=booking)
    assert day.slots.get().seats_taken == 0


def test_a_move_frees_the_old_seat_for_the_waiting_list(django_capture_on_commit_callbacks):
    day = f.day(start=time(9), end=time(10), seats=1)
    first, second = day.slots.all()
    booking, _ = f.booking(first)
    waiting = entry(day=day, latest=time(9, 30))
    move_booking(booking=booking, to_slot_id=second.pk)
    waiting.refresh_from_db()
    assert waiting.status == WaitlistStatus.OFFERED and waiting.offered_slot == first


def test_accepting_the_offer_books_the_held_seat(
    full_day, client, django_capture_on_commit_callbacks
):
    day, booking = full_day
    waiting = entry(day=day, name="Berta Beispiel")
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking)
    link = offer_link(offer_to(waiting))
    page = client.get(link)
    assert page.status_code == 200 and "Diesen Termin buchen" in page.text
    assert not Booking.objects.filter(email=waiting.email).exists()  # GET books nothing
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(link)
    assert "Ihr Termin ist gebucht." in page.text
    new = Booking.objects.get(email=waiting.email)
    assert new.name == "Berta Beispiel" and new.slot == day.slots.get()
    assert day.slots.get().seats_taken == 1
    assert WaitlistEntry.objects.get(pk=waiting.pk).status == WaitlistStatus.BOOKED
    assert mail.outbox[-1].subject.startswith("Ihr Termin beim Jobcenter")
    again = client.post(link)  # a double click finds the first booking
    assert "schon gebucht" in again.text
    assert Booking.objects.filter(email=waiting.email).count() == 1


def test_an_expired_offer_passes_the_seat_to_the_next_entry(
    full_day, client, django_capture_on_commit_callbacks
):
    day, booking = full_day
    first, second = entry(day=day), entry(day=day)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking)
    first_link = offer_link(offer_to(first))
    later = timezone.now() + 25 * HOURS
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_waitlist_offers(now=timezone.now()) == 0
        assert expire_waitlist_offers(now=later) == 1
    statuses = dict(WaitlistEntry.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "expired", second.pk: "offered"}
    assert day.slots.get().seats_taken == 1
    assert mail.outbox[-1].to == [second.email]
    page = client.post(first_link)
    assert "gilt nicht mehr" in page.text
    assert not Booking.objects.filter(email=first.email).exists()


def test_the_last_expired_offer_returns_the_seat_to_the_public(full_day):
    day, booking = full_day
    entry(day=day)
    cancel_booking(booking=booking)
    expire_waitlist_offers(now=timezone.now() + 25 * HOURS)
    assert day.slots.get().seats_taken == 0


def test_an_offer_never_outlives_the_booking_window(settings, full_day):
    day, booking = full_day
    settings.WAITLIST_OFFER_HOURS = 24 * 30
    waiting = entry(day=day)
    cancel_booking(booking=booking)
    waiting.refresh_from_db()
    closes = day.slots.get().starts_at - timedelta(hours=settings.BOOKING_CLOSES_HOURS)
    assert waiting.offer_expires_at == closes


def test_an_offer_mail_for_an_ended_offer_is_not_sent(full_day):
    day, booking = full_day
    entry(day=day)
    cancel_booking(booking=booking)  # the offer mail stays queued
    expire_waitlist_offers(now=timezone.now() + 25 * HOURS)
    row = OutgoingMail.objects.get(kind=MailKind.WAITLIST_OFFER)
    assert outbox.deliver(row.pk) is False
    row.refresh_from_db()
    assert row.status == MailStatus.SKIPPED


@pytest.mark.parametrize("token", ["x", "a" * 300, "eyJlIjoxLCJzIjoxfQ:1abc:bad"])
def test_a_tampered_offer_link_is_a_404(client, token):
    assert client.get(f"/warteliste/angebot/{token}/").status_code == 404


def test_the_offer_page_speaks_english(full_day, client, django_capture_on_commit_callbacks):
    day, booking = full_day
    waiting = entry(day=day, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking)
    message = offer_to(waiting)
    assert message.subject.startswith("A seat has become free")
    page = client.get(offer_link(message), headers={"accept-language": "en"})
    assert "Book this appointment" in page.text
