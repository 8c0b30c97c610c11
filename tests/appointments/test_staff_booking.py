"""Staff book callers through book_slot itself: the same lock, seat claim and one-per-day
rule, with the channel and the clerk who recorded the spoken consent."""

import pytest

from appointments.models import AuditAction, AuditEntry, Booking, Channel
from appointments.services import AlreadyBooked, BookingOrigin, TooManyBookings, book_slot
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_staff_booking_names_the_clerk_and_is_in_the_access_log():
    slot = factories.day(on=factories.future_date(3)).slots.first()
    clerk = factories.user("frida")
    result = book_slot(
        slot_id=slot.pk,
        client=factories.client_details(email="", phone="+491712345678", sms_consent=True),
        channel=Channel.DESK,
        consent_recorded_by=clerk,
    )
    booking = result.booking
    assert (booking.channel, booking.consent_recorded_by, booking.sms_consent) == (
        Channel.DESK,
        clerk,
        True,
    )
    entry = AuditEntry.objects.get(action=AuditAction.BOOK_FOR_CLIENT)
    assert (entry.user, entry.booking, entry.day_id) == (clerk, booking, slot.day_id)


def test_a_staff_channel_without_a_clerk_is_refused_before_anything_is_written():
    slot = factories.day(on=factories.future_date(3)).slots.first()
    with pytest.raises(ValueError):
        book_slot(slot_id=slot.pk, client=factories.client_details(), channel=Channel.PHONE)
    assert not Booking.objects.exists()
    slot.refresh_from_db()
    assert slot.seats_taken == 0


def test_an_online_booking_leaves_no_clerk_and_no_staff_audit():
    slot = factories.day(on=factories.future_date(3)).slots.first()
    booking = book_slot(slot_id=slot.pk, client=factories.client_details()).booking
    assert (booking.channel, booking.consent_recorded_by) == (Channel.ONLINE, None)
    assert not AuditEntry.objects.filter(action=AuditAction.BOOK_FOR_CLIENT).exists()


def test_the_one_booking_per_day_rule_holds_for_staff_too():
    day = factories.day(on=factories.future_date(3), seats=2)
    clerk = factories.user("frida")
    first, second = day.slots.order_by("starts_at")[:2]
    book_slot(
        slot_id=first.pk,
        client=factories.client_details(email="", phone="0171 2345678"),
        channel=Channel.PHONE,
        consent_recorded_by=clerk,
    )
    with pytest.raises(AlreadyBooked):
        book_slot(
            slot_id=second.pk,
            client=factories.client_details(email="", phone="+49 171 2345678"),
            channel=Channel.PHONE,
            consent_recorded_by=clerk,
        )


def test_the_public_cap_still_binds_an_online_origin(settings):
    """The companion of the desk test: the cap is real, staff just carry no origin."""
    settings.BOOKINGS_PER_SESSION_PER_DAY = 1
    day = factories.day(on=factories.future_date(3), seats=2)
    origin = BookingOrigin(session_key="s" * 20)
    first, second = day.slots.order_by("starts_at")[:2]
    book_slot(slot_id=first.pk, client=factories.client_details(), origin=origin)
    with pytest.raises(TooManyBookings):
        book_slot(slot_id=second.pk, client=factories.client_details(), origin=origin)
