"""The outbox in batches: rows claimed together (never by two workers), sent over one
connection, each row's outcome recorded on its own, and the bulk work (reminder run, day
cancellation) published as batch tasks."""

import smtplib
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import OperationalError, connection, transaction

from appointments import mailer, outbox, outbox_marks
from appointments.models import BookingToken, MailKind, MailStatus, OutgoingMail
from appointments.services import cancel_day, queue_due_reminders
from tests import factories as f
from tests.conftest import require

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


@pytest.fixture
def queued():
    """Five confirmations, committed in the test's transaction and not yet sent."""
    slot = f.day(seats=5).slots.first()
    for n in range(5):
        f.booking(slot, email=f"kundin{n}@example.org")
    return list(OutgoingMail.objects.order_by("pk").values_list("pk", flat=True))


def statuses(ids):
    return [OutgoingMail.objects.get(pk=pk).status for pk in ids]


def sending_fails_for(failures: dict[int, Exception]):
    """Send as usual, but raise the given error for the n-th message (0-based)."""
    real, calls = outbox.send_message, []

    def send(message):
        calls.append(message)
        error = failures.get(len(calls) - 1)
        if error:
            raise error
        real(message)

    return mock.patch.object(outbox, "send_message", side_effect=send)


def test_a_batch_sends_every_row_once_and_marks_each_sent(queued):
    with mock.patch.object(outbox, "_finish", wraps=outbox._finish) as finish:
        result = outbox.deliver_batch()
    assert result.sent == queued and len(mail.outbox) == 5
    assert statuses(queued) == [MailStatus.SENT] * 5
    # Each row is recorded as sent on its own, right after its message was accepted.
    assert [c.args[1] for c in finish.call_args_list] == [MailStatus.SENT] * 5
    # One fresh manage link per mail, and no second batch finds anything to send.
    assert BookingToken.objects.count() == 5 + 5  # the confirmation pages' own, and these
    assert outbox.deliver_batch().sent == []


def test_each_mail_is_marked_sent_before_the_next_goes_to_the_server(queued):
    # The next notice renders while the server answers, but it is handed over only once
    # the last acceptance is recorded: a killed worker resends at most one mail.
    events, real_send, real_finish = [], outbox.send_message, outbox._finish

    def send(message):
        events.append(("send", int(message.message_id[1:].split(".")[0])))
        real_send(message)

    def finish(row, status, **kwargs):
        events.append(("mark", row.pk))
        real_finish(row, status, **kwargs)

    with (
        mock.patch.object(outbox, "send_message", side_effect=send),
        mock.patch.object(outbox, "_finish", side_effect=finish),
    ):
        outbox.deliver_batch()
    assert events == [(step, pk) for pk in queued for step in ("send", "mark")]


def test_a_batch_takes_at_most_its_limit_oldest_first(queued):
    assert outbox.deliver_batch(limit=2).sent == queued[:2]
    assert outbox.deliver_batch(limit=10).sent == queued[2:]


def test_a_refused_address_fails_its_row_only(queued):
    refused = smtplib.SMTPRecipientsRefused({"kundin1@example.org": (550, b"no such user")})
    with sending_fails_for({1: refused}):
        result = outbox.deliver_batch()
    assert list(result.failed) == [queued[1]]
    assert statuses(queued) == [MailStatus.SENT, MailStatus.FAILED] + [MailStatus.SENT] * 3
    assert len(mail.outbox) == 4


def test_a_busy_mailbox_retries_its_row_only(queued):
    busy = smtplib.SMTPRecipientsRefused({"kundin2@example.org": (450, b"try later")})
    with sending_fails_for({2: busy}):
        result = outbox.deliver_batch()
    assert list(result.retrying) == [queued[2]] and len(result.sent) == 4
    assert outbox.deliver_batch(mail_ids=queued).sent == [queued[2]]


def test_a_server_gone_away_stops_the_batch_and_the_rest_waits_for_the_retry(queued):
    with sending_fails_for({1: smtplib.SMTPServerDisconnected("gone")}):
        result = outbox.deliver_batch()
    assert result.sent == queued[:1] and sorted(result.retrying) == queued[1:]
    assert statuses(queued) == [MailStatus.SENT] + [MailStatus.RETRYING] * 4
    rows = OutgoingMail.objects.filter(pk__in=queued[1:]).order_by("pk")
    # Only the row that met the error counts a try; the untried ones were never sent.
    assert [r.attempts for r in rows] == [1, 0, 0, 0]
    assert BookingToken.objects.count() == 5 + 1  # the unsent mails' links are withdrawn
    # The retry (with the batch's ids) sends exactly the rows still waiting.
    assert outbox.deliver_batch(mail_ids=queued).sent == queued[1:]
    assert len(mail.outbox) == 5


def test_a_slow_batch_hands_its_untried_rows_back_before_the_sweep_could_take_them(
    queued, settings
):
    settings.MAIL_STUCK_MINUTES = 10
    # The clock: the batch starts at 0; its third mail would start after 5 minutes.
    ticks = iter([0, 1, 2, 301, 302, 303])
    with (
        mock.patch.object(outbox, "_clock", side_effect=lambda: next(ticks)),
        mock.patch.object(outbox.send_outgoing_batch, "delay") as batch,
    ):
        result = outbox.deliver_batch()
    assert result.sent == queued[:2]
    assert statuses(queued) == [MailStatus.SENT] * 2 + [MailStatus.QUEUED] * 3
    batch.assert_called_once_with(queued[2:])
    assert BookingToken.objects.count() == 5 + 2  # the untried mails' links withdrawn
    assert outbox.deliver_batch(mail_ids=queued).sent == queued[2:]


def test_a_row_that_no_longer_applies_is_skipped_inside_a_batch(queued):
    booking = OutgoingMail.objects.get(pk=queued[0]).booking
    type(booking).objects.filter(pk=booking.pk).update(email="")  # erased meanwhile
    result = outbox.deliver_batch()
    assert result.skipped == queued[:1] and result.sent == queued[1:]


def test_the_batch_task_retries_only_the_rows_still_waiting(queued):
    down = smtplib.SMTPServerDisconnected("gone")
    task = outbox.send_outgoing_batch
    with (
        sending_fails_for({2: down}),
        mock.patch.object(task, "retry", side_effect=RuntimeError("retry")) as retry,
        pytest.raises(RuntimeError),
    ):
        task.run(queued)
    assert retry.call_args.kwargs["args"] == [queued[2:]]
    assert 0 <= retry.call_args.kwargs["countdown"] <= 30


def test_the_batch_task_marks_the_waiting_rows_failed_after_its_last_try(queued):
    task = outbox.send_outgoing_batch
    task.push_request(retries=task.max_retries)
    try:
        with (
            sending_fails_for({0: ConnectionRefusedError("down")}),
            pytest.raises(outbox.TransientMailError),
        ):
            task.run(queued)
    finally:
        task.pop_request()
    assert statuses(queued) == [MailStatus.FAILED] * 5


def test_the_reminder_run_publishes_batch_tasks_not_one_task_per_mail(
    django_capture_on_commit_callbacks, settings
):
    settings.MAIL_BATCH_SIZE = 50
    slot = f.day(on=f.future_date(5), seats=120).slots.first()
    for n in range(120):
        f.booking(slot, email=f"kunde{n}@example.org")
    with (
        mock.patch.object(outbox.send_outgoing_batch, "delay") as batch,
        mock.patch.object(outbox.send_outgoing_mail, "delay") as single,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert queue_due_reminders(now=slot.starts_at - 23 * HOUR, lead_hours=[24]) == 120
    reminders = set(
        OutgoingMail.objects.filter(kind=MailKind.REMINDER).values_list("pk", flat=True)
    )
    published = [call.args[0] for call in batch.call_args_list]
    assert [len(ids) for ids in published] == [50, 50, 20]
    assert sorted(pk for ids in published for pk in ids) == sorted(reminders)
    assert not single.called


def test_a_day_cancellation_publishes_batch_tasks(django_capture_on_commit_callbacks):
    day = f.day(on=f.future_date(5), seats=3)
    for n in range(3):
        f.booking(day.slots.first(), email=f"kunde{n}@example.org")
    with (
        mock.patch.object(outbox.send_outgoing_batch, "delay") as batch,
        mock.patch.object(outbox.send_outgoing_mail, "delay") as single,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert cancel_day(day=day, reason="Wasserschaden im Rathaus") == 3
    notices = OutgoingMail.objects.filter(kind=MailKind.DAY_CANCELLED)
    assert batch.call_args.args[0] == sorted(notices.values_list("pk", flat=True))
    assert not single.called


def test_a_full_batch_is_published_without_waiting_for_the_rest_of_the_run():
    # The reminder run commits in chunks; the worker starts on the first batch at once.
    with mock.patch.object(outbox.send_outgoing_batch, "delay") as batch:
        batches = outbox._Batches(2)
        batches.add(11)
        assert not batch.called
        batches.add(12)
        batch.assert_called_once_with([11, 12])
        batches.add(13)
        batches.flush()
    assert [c.args[0] for c in batch.call_args_list] == [[11, 12], [13]]


def test_a_rolled_back_notice_is_never_published(django_capture_on_commit_callbacks):
    slot = f.day(seats=2).slots.first()
    booking, _ = f.booking(slot)
    with (
        mock.patch.object(outbox.send_outgoing_batch, "delay") as batch,
        django_capture_on_commit_callbacks(execute=True),
        outbox.publishing_in_batches(),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.queue_mail(kind=MailKind.BOOKING_CANCELLED, booking=booking)
        raise RuntimeError
    assert not batch.called


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_row():
    require(connection.vendor == "postgresql", "SKIP LOCKED needs PostgreSQL")
    slot = f.day(seats=6).slots.first()
    for n in range(6):
        f.booking(slot, email=f"kundin{n}@example.org")
    OutgoingMail.objects.update(status=MailStatus.QUEUED)  # the eager worker sent them
    held, release = threading.Event(), threading.Event()
    first: list[int] = []

    def worker():
        # The first worker's claim stays open (its rows locked) while the second claims.
        try:
            with transaction.atomic():
                first.extend(outbox.claim_batch(limit=4))
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        second = outbox.claim_batch(limit=10)
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join()
    assert len(first) == 4 and len(second) == 2
    assert waited < 5, "the second claim skips locked rows instead of waiting for them"
    assert not set(first) & set(second)


def queued_committed(count):
    """Rows committed (the test runs outside a transaction), queued again after the eager
    worker sent them."""
    slot = f.day(seats=count).slots.first()
    for n in range(count):
        f.booking(slot, email=f"kundin{n}@example.org")
    OutgoingMail.objects.update(status=MailStatus.QUEUED)
    mail.outbox.clear()
    return list(OutgoingMail.objects.order_by("pk").values_list("pk", flat=True))


def recorded_at_each_send():
    """Per mail handed to the backend: how many rows were recorded sent at that moment."""
    counts, real = [], locmem.EmailBackend.send_messages

    def send_messages(backend, messages):
        counts.append(OutgoingMail.objects.filter(status=MailStatus.SENT).count())
        return real(backend, messages)

    return counts, mock.patch.object(locmem.EmailBackend, "send_messages", send_messages)


@pytest.mark.django_db(transaction=True)
def test_the_smtp_thread_records_each_mail_before_the_next_goes_out():
    require(connection.vendor == "postgresql", "the SMTP thread marks rows on PostgreSQL")
    ids = queued_committed(4)
    counts, patch = recorded_at_each_send()
    with patch, mock.patch.object(outbox, "_finish", wraps=outbox._finish) as finish:
        result = outbox.deliver_batch()
    assert result.sent == ids and statuses(ids) == [MailStatus.SENT] * 4
    # Each mail went out only once the one before it was recorded: at most one is ever
    # accepted but not recorded.
    assert counts == [0, 1, 2, 3]
    # The SMTP thread recorded them all, on a connection of its own.
    assert not finish.called
    assert mailer.mail_sender().submit(lambda: connection.connection is not None).result()


def second_answer_lost():
    """The database's answers to the SMTP thread's marks, as they came, and a patch that
    loses the second mail's answer (the mark itself may have been written)."""
    real, answers = outbox_marks._answer, []

    def answer():
        answers.append(real())
        return answers[-1] and len(answers) != 2

    return answers, mock.patch.object(outbox_marks, "_answer", side_effect=answer)


@pytest.mark.django_db(transaction=True)
def test_a_mark_the_database_did_not_take_is_written_again_before_the_next_mail():
    require(connection.vendor == "postgresql", "the SMTP thread marks rows on PostgreSQL")
    ids = queued_committed(3)
    answers, lose_one = second_answer_lost()
    counts, patch = recorded_at_each_send()
    with patch, lose_one:
        result = outbox.deliver_batch()
    assert result.sent == ids and statuses(ids) == [MailStatus.SENT] * 3
    assert counts == [0, 1, 2] and len(answers) == 3


@pytest.mark.django_db(transaction=True)
def test_a_mark_that_cannot_be_written_stops_the_next_mail_before_it_goes_out():
    require(connection.vendor == "postgresql", "the SMTP thread marks rows on PostgreSQL")
    ids = queued_committed(4)
    _answers, lose_one = second_answer_lost()
    counts, patch = recorded_at_each_send()
    with (
        patch,
        lose_one,
        mock.patch.object(outbox_marks, "_mark_again", return_value=False),
    ):
        result = outbox.deliver_batch()
    # The second mail's mark failed twice in the SMTP thread: the third mail never went
    # out, and the batch recorded the second itself. The rest wait for the retry.
    assert counts == [0, 1]
    assert result.sent == ids[:2]
    assert statuses(ids) == [MailStatus.SENT] * 2 + [MailStatus.RETRYING] * 2


@pytest.mark.django_db(transaction=True)
def test_a_batch_stopped_by_the_database_leaves_the_smtp_thread_ready_for_the_next():
    require(connection.vendor == "postgresql", "the SMTP thread marks rows on PostgreSQL")
    ids = queued_committed(3)
    real = outbox._prepare

    def prepare(mail_row, tokens, shared=None):
        if mail_row.pk == ids[2]:
            return None, RuntimeError("template broken")
        return real(mail_row, tokens, shared)

    # The third notice cannot be built, and recording that fails: the batch stops while
    # the second mail's mark is still on its way.
    with (
        mock.patch.object(outbox, "_prepare", side_effect=prepare),
        mock.patch.object(outbox, "_finish", side_effect=OperationalError("gone")),
        pytest.raises(OperationalError),
    ):
        outbox.deliver_batch()
    assert len(mail.outbox) == 2
    assert statuses(ids)[:2] == [MailStatus.SENT] * 2  # its answer was taken all the same
    OutgoingMail.objects.filter(pk__in=ids).update(status=MailStatus.QUEUED)
    mail.outbox.clear()
    counts, patch = recorded_at_each_send()
    with patch, mock.patch.object(outbox, "_finish", wraps=outbox._finish) as finish:
        result = outbox.deliver_batch()
    assert result.sent == ids and counts == [0, 1, 2]
    assert not finish.called  # the SMTP thread recorded every one


@pytest.mark.parametrize("count", [4, 12])
def test_a_batch_runs_the_same_queries_whatever_its_size_and_one_mark_a_mail(
    count, django_assert_num_queries
):
    # Bookings on two days: each slot, with its day, venue and municipality, is read once
    # for the whole batch, whatever the number of rows.
    for on in (f.future_date(3), f.future_date(4)):
        slot = f.day(on=on, seats=count).slots.first()
        for n in range(count // 2):
            f.booking(slot, email=f"kundin{on.day}-{n}@example.org")
    # Claim (2), load with the slots (2), links (1, one round trip), two savepoints set
    # and released (4, in a test's transaction), and each row's "sent" (inside a
    # transaction the batch marks each row itself).
    with django_assert_num_queries(9 + count):
        result = outbox.deliver_batch()
    assert len(result.sent) == count == len(mail.outbox)
    assert {m.to[0] for m in mail.outbox} == set(
        OutgoingMail.objects.values_list("booking__email", flat=True)
    )
