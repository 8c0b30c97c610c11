"""One client cannot book out a day (issue 12, defect 4): one booking per person and day,
by normalised phone number and email, and caps per client address and per session."""

import pytest
from django.test import Client

from appointments.models import Booking, BookingStatus
from appointments.services import (
    AlreadyBooked,
    BookingOrigin,
    TooManyBookings,
    book_slot,
    join_waitlist,
    normalised_email,
    normalised_phone,
)
from tests import factories
from tests.appointments.test_booking_form import form_data

pytestmark = pytest.mark.django_db

PHONE_SPELLINGS = [
    "0171 5550199",
    "+49 171 5550199",
    "0049-171-5550199",
    "(0171) 555 01 99",
    "+49 (0) 171 / 555 0199",
    "01715550199",
]
EMAIL_SPELLINGS = [
    "maria.schulz@gmail.com",
    "Maria.Schulz@Gmail.com",
    "mariaschulz@gmail.com",
    "maria.schulz+termin@gmail.com",
    "m.a.r.i.a.schulz+2@googlemail.com",
]


def six_slot_day():
    return factories.day(seats=1)


def post(client, slot, n, addr, **fields):
    data = form_data(slot.day, submission_key=f"{n:032d}", **({"email": ""} | fields))
    return client.post(f"/buchen/{slot.pk}/", data, REMOTE_ADDR=addr)


def test_one_client_with_many_spellings_takes_one_seat_of_a_day(settings):
    settings.RATELIMIT_ENABLE = False  # the rules under test hold without the rate limit
    slots = list(six_slot_day().slots.order_by("starts_at"))
    assert len(slots) >= 6
    # Fresh session and address for each try, as a script would: only the person rule
    # stands in the way.
    for n, phone in enumerate(PHONE_SPELLINGS):
        post(Client(), slots[n % len(slots)], n, f"198.51.100.{n}", phone=phone)
    for n, email in enumerate(EMAIL_SPELLINGS, start=10):
        post(Client(), slots[n % len(slots)], n, f"198.51.100.{n}", email=email)
    booked = Booking.objects.filter(status=BookingStatus.CONFIRMED)
    assert booked.filter(phone="+491715550199").count() == 1
    assert booked.filter(email__icontains="schulz").count() == 1
    assert booked.count() == 2


def test_the_second_booking_of_a_phone_number_is_told_why(client):
    slots = list(six_slot_day().slots.order_by("starts_at"))
    post(client, slots[0], 1, "198.51.100.1", phone="0171 5550199")
    response = post(Client(), slots[1], 2, "198.51.100.2", phone="+49 171 555 0199")
    assert response.status_code == 200
    assert "Mit dieser Telefonnummer gibt es an diesem Tag schon einen Termin." in (
        response.content.decode()
    )


def test_one_address_books_at_most_two_slots_of_a_day(settings):
    settings.RATELIMIT_ENABLE = False
    slots = list(six_slot_day().slots.order_by("starts_at"))
    codes = [
        post(Client(), slots[n], n, "203.0.113.9", phone=f"0171 55501{n:02d}").status_code
        for n in range(4)
    ]
    assert codes == [302, 302, 200, 200]
    assert Booking.objects.count() == 2
    # Another address books on.
    assert post(Client(), slots[4], 9, "203.0.113.10", phone="0171 5550999").status_code == 302


def test_one_session_books_at_most_two_slots_of_a_day(settings):
    settings.RATELIMIT_ENABLE = False
    slots = list(six_slot_day().slots.order_by("starts_at"))
    client = Client()
    codes = [
        post(client, slots[n], n, f"203.0.113.{n}", phone=f"0171 55501{n:02d}").status_code
        for n in range(4)
    ]
    assert codes == [302, 302, 200, 200]
    body = post(client, slots[5], 7, "203.0.113.7", phone="0171 5550177").content.decode()
    assert "Von hier wurden für diesen Tag schon genug Termine gebucht." in body


def test_the_caps_are_configurable(settings):
    settings.RATELIMIT_ENABLE = False
    settings.BOOKINGS_PER_ADDRESS_PER_DAY = 3
    slots = list(six_slot_day().slots.order_by("starts_at"))
    codes = [
        post(Client(), slots[n], n, "203.0.113.9", phone=f"0171 55501{n:02d}").status_code
        for n in range(4)
    ]
    assert codes == [302, 302, 302, 200]


def test_the_caps_count_per_day_not_forever():
    first, second = factories.day(seats=1), factories.day(on=factories.future_date(9), seats=1)
    origin = BookingOrigin(address_key="a" * 32, session_key="s" * 32)
    for n, slot in enumerate([*first.slots.all()[:2], *second.slots.all()[:2]]):
        details = factories.client_details(email=f"p{n}@example.org")
        book_slot(slot_id=slot.pk, client=details, origin=origin)
    with pytest.raises(TooManyBookings):
        book_slot(
            slot_id=first.slots.all()[3].pk,
            client=factories.client_details(email="p9@example.org"),
            origin=origin,
        )


def test_a_move_to_a_day_where_the_phone_is_booked_is_refused():
    first, second = factories.day(seats=1), factories.day(on=factories.future_date(9), seats=1)
    mine = book_slot(
        slot_id=first.slots.first().pk,
        client=factories.client_details(email="", phone="+491715550199"),
    ).booking
    book_slot(
        slot_id=second.slots.first().pk,
        client=factories.client_details(email="", phone="+491715550199"),
    )
    from appointments.services import move_booking

    with pytest.raises(AlreadyBooked):
        move_booking(booking=mine, to_slot_id=second.slots.all()[1].pk)


def test_a_waiting_list_joined_in_two_spellings_holds_one_entry():
    day = factories.day(seats=1)
    for slot in day.slots.all():
        factories.booking(slot)
    entries = {join_waitlist(day=day, name="Maria", email=email).pk for email in EMAIL_SPELLINGS}
    assert len(entries) == 1


@pytest.mark.parametrize("spelling", PHONE_SPELLINGS)
def test_phone_spellings_normalise_to_one_number(spelling):
    assert normalised_phone(spelling) == "+491715550199"


@pytest.mark.parametrize("spelling", EMAIL_SPELLINGS)
def test_email_spellings_normalise_to_one_mailbox(spelling):
    assert normalised_email(spelling) == "mariaschulz@gmail.com"


def test_dots_count_where_the_provider_reads_them():
    assert normalised_email("maria.schulz@web.de") != normalised_email("mariaschulz@web.de")
    assert normalised_email("Maria+x@Web.de") == "maria@web.de"
