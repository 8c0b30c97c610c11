"""The outbox: queued once after commit, claimed before sending, sent once, retried on
transient errors only, and every notice built in the booking's language."""

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from appointments import messages, outbox
from appointments.models import BookingToken, MailKind, MailStatus, OutgoingMail
from appointments.services import cancel_booking, move_booking
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot():
    return f.day(seats=2).slots.first()


def _book(slot, capture, **fields):
    with capture(execute=True):
        booking, _token = f.booking(slot, **fields)
    return booking


def _ics(message):
    (attachment,) = [a for a in message.attachments if a.filename == "termin.ics"]
    content = attachment.content
    return content.decode() if isinstance(content, bytes) else content


def test_it_sends_the_confirmation_once_after_commit(slot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        booking, _ = f.booking(slot)
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert callbacks
    for callback in callbacks:  # the commit: the row's id is published with its batch
        callback()
    assert len(mail.outbox) == 1
    row = OutgoingMail.objects.get(booking=booking)
    assert (row.kind, row.status, row.attempts) == (MailKind.BOOKING_CONFIRMED, "sent", 1)
    assert outbox.deliver(row.pk) is False  # a redelivered message finds the row sent
    assert len(mail.outbox) == 1


def test_it_queues_a_notice_once_per_key(slot, django_capture_on_commit_callbacks):
    booking = _book(slot, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        again = outbox.queue_mail(kind=MailKind.BOOKING_CONFIRMED, booking=booking)
    assert OutgoingMail.objects.filter(booking=booking).count() == 1
    assert again.status == MailStatus.SENT
    assert len(mail.outbox) == 1


def test_claim_lets_only_one_worker_take_a_row(slot):
    booking, _ = f.booking(slot)  # on_commit not run: the row stays queued
    row = OutgoingMail.objects.get(booking=booking)
    assert outbox.claim(row.pk) is True
    assert outbox.claim(row.pk) is False
    assert outbox.deliver(row.pk) is False
    assert mail.outbox == []


def test_confirmation_has_text_html_ics_and_a_working_manage_link(
    slot, django_capture_on_commit_callbacks, client
):
    booking = _book(slot, django_capture_on_commit_callbacks, name="Anna Müller & Co")
    (message,) = mail.outbox
    assert message.subject.startswith("Ihr Termin beim Jobcenter")
    assert "Anna Müller & Co" in message.body  # text is not HTML-escaped
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Anna Müller &amp; Co" in html
    assert message.extra_headers["Message-ID"] == messages.message_id(booking.mails.get())
    ics = _ics(message)
    assert "METHOD:REQUEST" in ics and f"UID:{booking.reference}@joblokal" in ics
    link = next(w for w in message.body.split() if "/termin/" in w)
    assert client.get(link.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_it_writes_in_the_bookings_language(slot, django_capture_on_commit_callbacks):
    _book(slot, django_capture_on_commit_callbacks, language="en")
    (message,) = mail.outbox
    assert message.subject.startswith("Your job centre appointment")


def test_moved_keeps_the_uid_and_raises_sequence(django_capture_on_commit_callbacks):
    day = f.day(seats=1)
    first, second = day.slots.all()[:2]
    booking = _book(first, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        move_booking(booking=booking, to_slot_id=second.pk)
    confirmed, moved = mail.outbox
    assert moved.subject.startswith("Ihr Termin wurde verschoben")
    uid = f"UID:{booking.reference}@joblokal"
    assert uid in _ics(confirmed) and "SEQUENCE:0" in _ics(confirmed)
    assert uid in _ics(moved) and "SEQUENCE:1" in _ics(moved)


def test_cancelled_sends_a_cancel_ics(slot, django_capture_on_commit_callbacks):
    booking = _book(slot, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking)
    cancelled = mail.outbox[-1]
    ics = _ics(cancelled)
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics and "SEQUENCE:1" in ics
    assert "/termin/" not in cancelled.body  # no manage link for a cancelled booking


def test_day_cancelled_lists_the_next_free_days(django_capture_on_commit_callbacks):
    day = f.day()
    later = f.day(site_=day.site, on=f.future_date(14))
    booking = _book(day.slots.first(), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.queue_mail(kind=MailKind.DAY_CANCELLED, booking=booking)
    message = mail.outbox[-1]
    assert message.subject.startswith("Der Beratungstag fällt aus")
    assert f"{later.date.day}. " in message.body and "http://127.0.0.1:8000/" in message.body


def test_a_permanent_error_fails_at_once_without_retry(slot, django_capture_on_commit_callbacks):
    refused = smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})
    with mock.patch.object(outbox, "send_message", side_effect=refused) as send:
        booking = _book(slot, django_capture_on_commit_callbacks)
    row = OutgoingMail.objects.get(booking=booking)
    assert send.call_count == 1
    assert row.status == MailStatus.FAILED and "550" in row.last_error
    assert (
        not BookingToken.objects.filter(booking=booking)
        .exclude(pk__in=booking.tokens.order_by("created_at")[:1])
        .exists()
    )  # the link of the failed attempt was withdrawn


def test_a_transient_error_marks_the_row_retrying_and_the_next_try_sends(slot):
    booking, _ = f.booking(slot)  # queued; the worker runs deliver() below
    row = OutgoingMail.objects.get(booking=booking)
    down = smtplib.SMTPServerDisconnected("down")
    with mock.patch.object(outbox, "send_message", side_effect=down), pytest.raises(type(down)):
        outbox.deliver(row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (
        MailStatus.RETRYING,
        1,
        "SMTPServerDisconnected: down",
    )
    assert outbox.deliver(row.pk) is True
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 2, "")
    assert len(mail.outbox) == 1


def test_the_task_retries_transient_errors_with_bounded_backoff_and_jitter():
    from appointments.tasks import send_outgoing_mail as task

    assert set(task.autoretry_for) >= {smtplib.SMTPException, ConnectionError, TimeoutError}
    assert task.retry_jitter is True and task.retry_backoff == 30
    assert task.retry_backoff_max == 1800 and task.max_retries == 8


def test_the_last_failed_try_marks_the_row_failed(slot):
    from appointments.tasks import send_outgoing_mail as task

    booking, _ = f.booking(slot)
    row = OutgoingMail.objects.get(booking=booking)
    down = ConnectionRefusedError("down")
    task.push_request(retries=task.max_retries)
    try:
        with (
            mock.patch.object(outbox, "send_message", side_effect=down),
            pytest.raises(outbox.TransientMailError),
        ):
            task.run(row.pk)
    finally:
        task.pop_request()
    row.refresh_from_db()
    assert row.status == MailStatus.FAILED and "down" in row.last_error


def test_the_admin_retries_failed_mail(slot, django_capture_on_commit_callbacks, admin_client):
    with mock.patch.object(outbox, "send_message", side_effect=smtplib.SMTPDataError(554, b"no")):
        _book(slot, django_capture_on_commit_callbacks)
    row = OutgoingMail.objects.get()
    assert row.status == MailStatus.FAILED
    page = admin_client.get("/admin/appointments/outgoingmail/?status__exact=failed")
    assert page.status_code == 200 and b"SMTPDataError" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/appointments/outgoingmail/",
            {"action": "retry_failed_mail", "_selected_action": [row.pk]},
        )
    row.refresh_from_db()
    assert row.status == MailStatus.SENT and len(mail.outbox) == 1


def test_the_sweep_requeues_rows_lost_on_the_way(slot, django_capture_on_commit_callbacks):
    booking, _ = f.booking(slot)  # committed, but its message never reached the broker
    lost = OutgoingMail.objects.get(booking=booking)
    OutgoingMail.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.requeue_stuck_mail() == 1
    assert OutgoingMail.objects.get(pk=lost.pk).status == MailStatus.SENT
    assert len(mail.outbox) == 1


def test_the_sweep_requeues_a_row_whose_worker_died(slot, django_capture_on_commit_callbacks):
    booking, _ = f.booking(slot)
    row = OutgoingMail.objects.get(booking=booking)
    assert outbox.claim(row.pk)  # the worker took it, then was killed
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.requeue_stuck_mail() == 0  # not yet: it may still be sending
        later = timezone.now() + timedelta(minutes=11)
        assert outbox.requeue_stuck_mail(now=later) == 1
        assert outbox.requeue_stuck_mail(now=later) == 0
    assert OutgoingMail.objects.get(pk=row.pk).status == MailStatus.SENT
    assert len(mail.outbox) == 1


def test_the_sweep_leaves_sent_and_failed_rows_alone(slot, django_capture_on_commit_callbacks):
    _book(slot, django_capture_on_commit_callbacks)
    OutgoingMail.objects.update(created_at=timezone.now() - timedelta(days=1))
    assert outbox.requeue_stuck_mail() == 0


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"unknown")}), True),
        (smtplib.SMTPRecipientsRefused({"a@x": (450, b"greylisted")}), False),
        (smtplib.SMTPSenderRefused(553, b"bad sender", "x"), True),
        (smtplib.SMTPDataError(451, b"try later"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(), False),
        (TimeoutError(), False),
        (ValueError("header injection"), True),
    ],
)
def test_it_tells_permanent_from_transient_errors(error, permanent):
    assert outbox.is_permanent(error) is permanent
