"""SMS in the outbox: one SMS beside each client notice for a client who agreed to it,
none without consent, none twice; claimed, retried, swept and retried from the admin
like mail; and a client with only a mobile number is reminded too."""

from datetime import time, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from appointments import outbox, sms
from appointments.models import (
    Booking,
    BookingToken,
    MailKind,
    MailStatus,
    OutgoingMail,
    WaitlistEntry,
)
from appointments.models.outbox import MessageChannel
from appointments.services import (
    accept_waitlist_offer,
    cancel_booking,
    cancel_day,
    join_waitlist,
    move_booking,
    queue_due_reminders,
)
from tests import factories as f

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)
MOBILE = "+491712345678"


@pytest.fixture
def day():
    return f.day(on=f.future_date(10), seats=2)


def book(day, capture, **fields):
    fields = {"phone": MOBILE, "sms_consent": True, **fields}
    with capture(execute=True):
        booking, _ = f.booking(day.slots.first(), **fields)
    return booking


def texts(kind=None):
    rows = OutgoingMail.objects.filter(channel=MessageChannel.SMS)
    return rows.filter(kind=kind) if kind else rows


def test_a_booking_with_consent_gets_one_mail_and_one_sms(day, django_capture_on_commit_callbacks):
    booking = book(day, django_capture_on_commit_callbacks)
    rows = OutgoingMail.objects.filter(booking=booking)
    assert sorted(rows.values_list("channel", "kind", "status")) == [
        ("mail", "booking_confirmed", "sent"),
        ("sms", "booking_confirmed", "sent"),
    ]
    assert len(mail.outbox) == 1
    (message,) = sms.outbox
    assert message.to == MOBILE and "/k/" in message.body
    assert texts().get().key == f"sms:booking_confirmed:{booking.pk}:0"


def test_the_sms_link_is_a_fresh_short_token_that_opens_the_manage_page(
    day, django_capture_on_commit_callbacks, client
):
    booking = book(day, django_capture_on_commit_callbacks, email="")
    (message,) = sms.outbox
    link = next(word for word in message.body.split() if "/k/" in word)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert len(token) == 26 and token.isalnum()
    assert Booking.objects.by_token(token).get() == booking
    assert token not in str(OutgoingMail.objects.values_list("context", flat=True))
    page = client.get(link.removeprefix("http://127.0.0.1:8000"), follow=True)
    assert page.status_code == 200 and booking.reference.encode() in page.content


def test_no_sms_without_consent(day, django_capture_on_commit_callbacks):
    book(day, django_capture_on_commit_callbacks, sms_consent=False)
    assert not texts().exists() and sms.outbox == []


def test_no_sms_to_a_landline_even_with_consent(day, django_capture_on_commit_callbacks):
    booking = book(day, django_capture_on_commit_callbacks, phone="05141 12345", email="")
    assert booking.sms_consent is False and not texts().exists()
    assert Booking.objects.on_call_list().filter(pk=booking.pk).exists()


def test_queueing_twice_makes_no_second_sms(day, django_capture_on_commit_callbacks):
    booking = book(day, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.queue_mail(kind=MailKind.BOOKING_CONFIRMED, booking=booking)
        outbox.queue_mail(kind=MailKind.BOOKING_CONFIRMED, booking=booking)
    assert texts().count() == 1 and len(sms.outbox) == 1 and len(mail.outbox) == 1


def test_staff_notices_never_go_by_sms(day, django_capture_on_commit_callbacks):
    booking = book(day, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.queue_mail(kind=MailKind.ABSENCE_FLAGGED, booking=booking, key="x")
    assert list(texts().values_list("kind", flat=True)) == [MailKind.BOOKING_CONFIRMED]


def test_move_and_cancel_each_send_one_sms(day, django_capture_on_commit_callbacks):
    booking = book(day, django_capture_on_commit_callbacks)
    other = day.slots.all()[1]
    with django_capture_on_commit_callbacks(execute=True):
        booking = move_booking(booking=booking, to_slot_id=other.pk)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking)
    news = [m.body.splitlines()[1] for m in sms.outbox]
    assert len(news) == 3
    assert news[0].startswith("Ihr Termin beim Jobcenter ist gebucht")
    assert news[1].startswith("Ihr Termin ist verschoben. Neu")
    assert news[2].startswith("Ihr Termin am") and news[2].endswith("ist abgesagt.")
    assert "/k/" not in sms.outbox[2].body  # no link to a booking that is gone
    assert texts().count() == 3 and all(r.status == "sent" for r in texts())


def test_a_cancelled_day_sends_one_sms_to_each_client_who_agreed(
    day, django_capture_on_commit_callbacks
):
    book(day, django_capture_on_commit_callbacks, email="")
    with django_capture_on_commit_callbacks(execute=True):
        f.booking(day.slots.all()[1], phone="0171 7654321")  # no consent: mail only
    with django_capture_on_commit_callbacks(execute=True):
        cancel_day(day=day, reason="Krankheit")
    (row,) = texts(MailKind.DAY_CANCELLED)
    assert row.status == MailStatus.SENT
    assert "fällt aus" in sms.outbox[-1].body and "Krankheit" not in sms.outbox[-1].body


def test_a_client_with_only_a_mobile_number_is_reminded_once(
    day, django_capture_on_commit_callbacks
):
    booking = book(day, django_capture_on_commit_callbacks, email="")
    starts = booking.slot.starts_at
    for hours_before in (23, 22, 1):
        with django_capture_on_commit_callbacks(execute=True):
            queue_due_reminders(now=starts - hours_before * HOUR, lead_hours=[24])
    (row,) = texts(MailKind.REMINDER)
    assert row.status == MailStatus.SENT
    assert [m.body.splitlines()[1].split(":")[0] for m in sms.outbox][-1] == (
        "Erinnerung an Ihren Termin"
    )
    assert len(sms.outbox) == 2 and mail.outbox == []


def test_a_phone_only_client_without_consent_gets_no_reminder(
    day, django_capture_on_commit_callbacks
):
    booking = book(day, django_capture_on_commit_callbacks, email="", sms_consent=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_due_reminders(now=booking.slot.starts_at - 23 * HOUR, lead_hours=[24]) == 0
    assert not OutgoingMail.objects.filter(kind=MailKind.REMINDER).exists()


def test_mail_and_sms_of_one_reminder_count_once_for_the_next_lead_time(
    day, django_capture_on_commit_callbacks
):
    booking = book(day, django_capture_on_commit_callbacks)
    starts, leads = booking.slot.starts_at, [48, 2]
    for hours_before, queued in [(47, 1), (24, 0), (1, 1), (0.5, 0)]:
        with django_capture_on_commit_callbacks(execute=True):
            assert queue_due_reminders(now=starts - hours_before * HOUR, lead_hours=leads) == queued
    reminders = OutgoingMail.objects.filter(kind=MailKind.REMINDER)
    assert sorted(reminders.values_list("channel", flat=True)) == ["mail", "mail", "sms", "sms"]


def test_an_sms_reminder_for_a_cancelled_booking_is_skipped(
    day, django_capture_on_commit_callbacks
):
    booking = book(day, django_capture_on_commit_callbacks, email="")
    queue_due_reminders(now=booking.slot.starts_at - 23 * HOUR, lead_hours=[24])  # not sent yet
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking)
    row = texts(MailKind.REMINDER).get()
    assert outbox.deliver(row.pk) is False
    row.refresh_from_db()
    assert row.status == MailStatus.SKIPPED
    assert not any("Erinnerung" in m.body for m in sms.outbox)


def test_an_sms_to_a_number_erased_meanwhile_is_skipped(day):
    booking, _ = f.booking(day.slots.first(), phone=MOBILE, sms_consent=True)
    Booking.objects.filter(pk=booking.pk).update(phone="")
    row = texts().get()
    assert outbox.deliver(row.pk) is False
    row.refresh_from_db()
    assert row.status == MailStatus.SKIPPED and "SMS" in row.last_error and sms.outbox == []


def test_claim_lets_only_one_worker_send_an_sms(day):
    booking, _ = f.booking(day.slots.first(), phone=MOBILE, sms_consent=True)
    row = texts().get()
    assert outbox.claim(row.pk) is True
    assert outbox.claim(row.pk) is False
    assert outbox.deliver(row.pk) is False
    assert sms.outbox == []


def test_a_gateway_outage_marks_the_sms_retrying_and_the_next_try_sends(day):
    booking, _ = f.booking(day.slots.first(), phone=MOBILE, sms_consent=True)
    row = texts().get()
    down = sms.SmsGatewayError("gateway answered HTTP 503", permanent=False, status=503)
    with mock.patch.object(outbox, "send_sms", side_effect=down), pytest.raises(type(down)):
        outbox.deliver(row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (MailStatus.RETRYING, 1) and "503" in row.last_error
    # The short link of the failed try was withdrawn; only the booking's first link stays.
    assert BookingToken.objects.filter(booking=booking).count() == 1
    assert outbox.deliver(row.pk) is True
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 2, "")
    assert len(sms.outbox) == 1


def test_a_refused_sms_fails_at_once_and_the_task_does_not_retry(day):
    from appointments.tasks import send_outgoing_mail as task

    booking, _ = f.booking(day.slots.first(), phone=MOBILE, sms_consent=True)
    row = texts().get()
    refused = sms.SmsGatewayError("gateway answered HTTP 400", permanent=True, status=400)
    with mock.patch.object(outbox, "send_sms", side_effect=refused):
        task.run(row.pk)  # logs, does not raise: a retry cannot help
    row.refresh_from_db()
    assert row.status == MailStatus.FAILED and "400" in row.last_error


def test_a_gateway_error_is_logged_without_the_number(day, caplog):
    from appointments.tasks import send_outgoing_mail as task

    f.booking(day.slots.first(), phone=MOBILE, sms_consent=True)
    row = texts().get()
    down = sms.SmsGatewayError("gateway answered HTTP 503", permanent=False, status=503)
    with (
        mock.patch.object(outbox, "send_sms", side_effect=down),
        pytest.raises(outbox.TransientMailError) as caught,
    ):
        task.run(row.pk)
    assert str(caught.value) == "SmsGatewayError (HTTP 503)"
    assert "1712345678" not in caplog.text


def test_the_sweep_resends_an_sms_whose_worker_died(day, django_capture_on_commit_callbacks):
    f.booking(day.slots.first(), phone=MOBILE, sms_consent=True, email="")
    row = texts().get()
    assert outbox.claim(row.pk)  # taken, then the worker was killed
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.requeue_stuck_mail() == 0
        assert outbox.requeue_stuck_mail(now=timezone.now() + timedelta(minutes=11)) == 1
    assert texts().get().status == MailStatus.SENT and len(sms.outbox) == 1


def test_the_admin_shows_the_channel_and_retries_a_failed_sms(
    day, django_capture_on_commit_callbacks, admin_client
):
    refused = sms.SmsGatewayError("gateway answered HTTP 400", permanent=True, status=400)
    with mock.patch.object(outbox, "send_sms", side_effect=refused):
        book(day, django_capture_on_commit_callbacks)
    row = texts().get()
    assert row.status == MailStatus.FAILED
    page = admin_client.get("/admin/appointments/outgoingmail/?channel__exact=sms")
    assert page.status_code == 200
    assert b"HTTP 400" in page.content and b'<td class="field-channel">SMS</td>' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/appointments/outgoingmail/",
            {"action": "retry_failed_mail", "_selected_action": [row.pk]},
        )
    row.refresh_from_db()
    assert row.status == MailStatus.SENT and len(sms.outbox) == 1


def test_a_waitlist_offer_goes_by_sms_to_a_client_who_agreed(
    django_capture_on_commit_callbacks,
):
    day = f.day(on=f.future_date(10), seats=1, end=time(9, 30))
    booking, _ = f.booking(day.slots.get())
    entry = join_waitlist(
        day=day, name="Wanda", email="w@example.org", phone="0171 1111111", sms_consent=True
    )
    assert WaitlistEntry.objects.get(pk=entry.pk).sms_consent is True
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking)
    row = texts(MailKind.WAITLIST_OFFER).get()
    assert row.status == MailStatus.SENT and row.waitlist_entry == entry
    assert "/warteliste/angebot/" in sms.outbox[-1].body


def test_a_booking_taken_from_a_waitlist_offer_keeps_the_sms_consent(
    django_capture_on_commit_callbacks,
):
    day = f.day(on=f.future_date(10), seats=1, end=time(9, 30))
    booking, _ = f.booking(day.slots.get())
    entry = join_waitlist(
        day=day, name="Wanda", email="w@example.org", phone="0171 1111111", sms_consent=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking)
    with django_capture_on_commit_callbacks(execute=True):
        result = accept_waitlist_offer(entry_id=entry.pk, slot_id=day.slots.get().pk)
    assert result.booking.sms_consent is True
    assert texts(MailKind.BOOKING_CONFIRMED).filter(booking=result.booking).exists()


def test_an_sms_to_a_number_that_is_no_number_fails_for_staff_to_see(day):
    booking, _ = f.booking(day.slots.first(), phone=MOBILE, sms_consent=True)
    Booking.objects.filter(pk=booking.pk).update(phone="12")
    row = texts().get()
    with pytest.raises(outbox.PermanentMailError):
        outbox.deliver(row.pk)
    row.refresh_from_db()
    assert row.status == MailStatus.FAILED and "no valid phone number" in row.last_error
    assert sms.outbox == []


def test_the_outbox_list_reads_a_fixed_number_of_queries(admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/admin/appointments/outgoingmail/").status_code == 200
        return len(queries)

    day = f.day(on=f.future_date(10), seats=20)
    f.booking(day.slots.first(), phone=MOBILE, sms_consent=True)
    few = count()
    for n in range(6):
        f.booking(day.slots.first(), phone=f"+49171555{n:04d}", sms_consent=True)
    assert OutgoingMail.objects.count() == 14
    assert count() == few
