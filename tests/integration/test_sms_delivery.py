"""Invariant 4 for SMS with real processes: a Celery worker on Redis sends through the
`http` backend to a local gateway started here. While the gateway answers 503 or hangs
past the timeout nothing is lost and nothing doubled, and a SIGKILLed worker loses no
SMS: the sweep hands its rows out again."""

import time
from collections import Counter
from datetime import time as clock
from datetime import timedelta

import pytest

from appointments import outbox, sms_texts
from appointments.models import MailKind, MailStatus, OutgoingMail
from appointments.models.outbox import MessageChannel
from appointments.services import cancel_booking, move_booking, queue_due_reminders
from tests import factories as f
from tests.integration.conftest import free_port, publishing_to, wait_for
from tests.sms_gateway import Gateway

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
HOUR = timedelta(hours=1)


@pytest.fixture
def gateway():
    gateway = Gateway().start()
    yield gateway
    gateway.stop()


def start_worker(workers, gateway, **extra):
    # No client here gives an email address, so the SMTP port is never used.
    return workers.start(
        free_port(),
        SMS_BACKEND="http",
        SMS_HTTP_URL=gateway.url,
        SMS_HTTP_AUTH_HEADER="X-Api-Key",
        SMS_HTTP_AUTH_VALUE="test-key",
        SMS_HTTP_TIMEOUT="1",
        **extra,
    )


def sms_rows(**filters):
    return OutgoingMail.objects.filter(channel=MessageChannel.SMS, **filters)


def all_sent(expected: int, **filters):
    def check():
        statuses = list(sms_rows(**filters).values_list("status", flat=True))
        return len(statuses) == expected and all(s == MailStatus.SENT for s in statuses)

    return check


def mobile(n: int) -> str:
    return f"+49171555{n:04d}"


def test_a_gateway_that_fails_and_hangs_delays_sms_but_loses_and_doubles_none(
    workers, gateway, redis_url
):
    day = f.day(on=f.future_date(5), start=clock(9), end=clock(11, 30), seats=1)
    slots = list(day.slots.all())
    # 503 for the first six requests, then two that hang past the 1 s timeout.
    gateway.fail_next, gateway.hang_next, gateway.hang_seconds = 6, 2, 2.5
    start_worker(workers, gateway)
    with publishing_to(redis_url):
        bookings = [
            f.booking(slots[n], email="", phone=mobile(n), sms_consent=True)[0] for n in range(4)
        ]
        cancel_booking(booking=bookings[0])
        move_booking(booking=bookings[1], to_slot_id=slots[4].pk)
        try:
            wait_for(all_sent(6), 120, "6 SMS sent")
        except AssertionError:
            print(Counter(sms_rows().values_list("status", flat=True)), workers.logs())
            raise
    time.sleep(2)  # anything extra would arrive now
    delivered = Counter(r.fields["reference"] for r in gateway.delivered())
    rows = {sms_texts.reference(row): row for row in sms_rows()}
    assert set(delivered) == set(rows), "every SMS arrived"
    assert max(delivered.values()) == 1, "no SMS arrived twice"
    assert len(gateway.answered(503)) == 6 and len(gateway.answered(599)) == 2
    assert sum(row.attempts for row in rows.values()) == 6 + 6 + 2  # every failure retried
    kinds = Counter((r.fields["to"], rows[r.fields["reference"]].kind) for r in gateway.delivered())
    assert kinds == Counter(
        {
            (mobile(0), MailKind.BOOKING_CONFIRMED): 1,
            (mobile(0), MailKind.BOOKING_CANCELLED): 1,
            (mobile(1), MailKind.BOOKING_CONFIRMED): 1,
            (mobile(1), MailKind.BOOKING_MOVED): 1,
            (mobile(2), MailKind.BOOKING_CONFIRMED): 1,
            (mobile(3), MailKind.BOOKING_CONFIRMED): 1,
        }
    )
    request = gateway.delivered()[0]
    assert request.headers["X-Api-Key"] == "test-key" and request.fields["from"] == "JobLokal"


def test_a_worker_killed_mid_batch_loses_no_sms(workers, gateway, redis_url):
    day = f.day(on=f.future_date(5), start=clock(9), end=clock(9, 30), seats=60)
    slot = day.slots.get()
    for n in range(60):  # confirmations go out eagerly here: only reminders are counted
        f.booking(slot, email="", phone=mobile(n), sms_consent=True)
    gateway.delay_seconds = 0.1
    first = start_worker(workers, gateway)
    with publishing_to(redis_url):
        assert queue_due_reminders(now=slot.starts_at - 23 * HOUR) == 60
        wait_for(lambda: len(gateway.delivered()) >= 8, 60, "8 reminders")
        workers.kill(first)  # SIGKILL to the main process and its pool children
        stranded = {
            sms_texts.reference(row)
            for row in sms_rows(kind=MailKind.REMINDER, status=MailStatus.SENDING)
        }
        sent_before = len(gateway.delivered())
        assert sent_before < 60, "the worker finished before it was killed"
        # The sweep's timeout has "passed" at once; it runs before the new worker starts,
        # as in the mail test, so it never takes a live worker's rows for stuck ones.
        outbox.requeue_stuck_mail(older_than=timedelta(0))
        start_worker(workers, gateway)
        try:
            wait_for(all_sent(60, kind=MailKind.REMINDER), 120, "all 60 reminders sent")
        except AssertionError:
            print(Counter(sms_rows().values_list("status", flat=True)), workers.logs())
            raise
    time.sleep(1.5)
    rows = {sms_texts.reference(row) for row in sms_rows(kind=MailKind.REMINDER)}
    delivered = Counter(r.fields["reference"] for r in gateway.delivered())
    assert set(delivered) == rows, "every reminder arrived"
    twice = {reference for reference, n in delivered.items() if n > 1}
    # Only an SMS the killed worker had handed to the gateway but not yet marked sent may
    # arrive twice, with the same reference a gateway can drop it by.
    assert twice <= stranded and max(delivered.values()) <= 2
    print(f"killed after {sent_before}/60; stranded {len(stranded)}; duplicates {len(twice)}")
