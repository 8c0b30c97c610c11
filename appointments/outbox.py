"""Outgoing mail and SMS: queue a notice in the transaction that causes it, deliver it later.

`queue_mail` writes an OutgoingMail row per channel the recipient gave (email, and SMS
for a client who agreed to it) and hands each id to Celery once the transaction commits.
Both channels share the claim, the retries, the sweep and the admin.

Batches. A single notice (a booking, a move, a cancel) gets a task of its own, so it
leaves within a second. Work that queues many rows at once (the reminder run, a day
cancellation, the sweep) runs inside `publishing_in_batches` and publishes one batch task
per MAIL_BATCH_SIZE rows (a setting). Either task calls `deliver_batch`, which:

1. claims its rows in one short transaction (`SELECT ... FOR UPDATE SKIP LOCKED`, then
   one UPDATE to "sending"), so two workers never take the same row, re-checks each row
   (a notice that no longer applies is skipped with a reason) and issues the batch's
   manage links in one insert; nothing else happens in that transaction;
2. renders each notice (booking notices once per kind, language and slot: `message_parts`)
   and hands its MIME bytes (`appointments.mime`) to the worker's SMTP thread, which owns
   the one connection, and renders the next while the server answers (SMS: the gateway);
3. marks each row sent in its own short statement right after the server accepted it,
   and lets the next mail reach DATA only once that mark is written (on PostgreSQL the
   SMTP thread writes it during the next envelope, and the next mail already waits in
   the thread's queue: `outbox_marks`). One statement per
   batch would be cheaper, but a worker killed mid-batch would then forget every
   acceptance of the batch and the sweep would send up to a batch's mails twice. So
   the crash window is one message, accepted but not yet marked; it goes out again with
   the same Message-ID.
   The marks commit without waiting for PostgreSQL's disk flush; only a crash of the
   database server itself can forget the last ones (resent likewise).

A refused address fails (5xx) or retries (4xx) that row alone. An unreachable server or
gateway stops the batch for that channel: its untried rows wait, marked retrying, and
the task retries the rows not yet done with backoff and jitter; after the last try they
are marked failed for an administrator. A batch still sending after half the sweep's
timeout (a very slow server) hands its untried rows back to the queue, so the sweep
never gives a row to a second worker while the first still means to send it.

Delivery is at least once: a row that is queued, sending or retrying for too long is
handed to the queue again by `requeue_stuck_mail`.
"""

import collections
import contextlib
import logging
import smtplib
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from smtplib import SMTPException

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import KombuError

from appointments.mailer import mail_sender, send_message
from appointments.message_parts import SharedParts
from appointments.messages import build_message
from appointments.models import (
    Booking,
    BookingToken,
    MailKind,
    MailStatus,
    OutgoingMail,
    Slot,
    hash_token,
)
from appointments.models.outbox import SMS_KINDS, MessageChannel, VenueRecipient
from appointments.models.tokens import new_short_token, new_token
from appointments.outbox_checks import obsolete_reason, wants_sms
from appointments.outbox_marks import NotRecorded, ThreadMarks, marks_beside_sending
from appointments.outbox_rows import (
    claim,  # noqa: F401 (the outbox's API, as before)
    claim_batch,
    mark_failed,
    marks_without_waiting_for_disk,
)
from appointments.outbox_rows import finish as _finish
from appointments.send_errors import PermanentMailError, TransientMailError, is_permanent, redacted
from appointments.send_errors import describe as _describe
from appointments.sms import send_sms
from appointments.sms_texts import build_text

logger = logging.getLogger(__name__)


MANAGE_LINK_KINDS = {MailKind.BOOKING_CONFIRMED, MailKind.BOOKING_MOVED, MailKind.REMINDER}


def queue_mail(
    *,
    kind: str,
    booking: Booking | None = None,
    waitlist_entry=None,
    user=None,
    enrolment=None,
    application=None,
    day=None,
    key: str | None = None,
    context: dict | None = None,
) -> OutgoingMail | None:
    """Record a notice to send by each channel the recipient gave (email; SMS with their
    consent) and enqueue each after commit; queued once per key and channel.

    Returns the mail row, or the SMS row of a client without email, or None for a client
    reached by neither: they are on the staff's call list instead.
    """
    recipient = (
        enrolment.person if enrolment else (booking or waitlist_entry or application or user)
    )
    if day is not None:
        recipient = VenueRecipient(email=day.site.notice_email)
    if recipient is None:
        return None
    if key is None:
        assert booking is not None, "mails without a booking need an explicit key"
        key = f"{kind}:{booking.pk}:{booking.sequence}"
    fields = {
        "kind": kind,
        "booking": booking,
        "waitlist_entry": waitlist_entry,
        "user": user,
        "enrolment": enrolment,
        "application": application,
        "day": day,
        "context": context or {},
    }
    mail = text = None
    if recipient.email:
        mail = _queue_row(key, MessageChannel.MAIL, fields)
    if kind in SMS_KINDS and wants_sms(recipient):
        text = _queue_row(f"sms:{key}", MessageChannel.SMS, fields)
    return mail or text


def queue_new_booking_notices(*, kind: str, notices: list[tuple[Booking, str, dict]]) -> int:
    """Record many booking notices, given as (booking, key, context) with keys never
    used before, by each channel the client gave, in one insert; they are published in
    batches after commit. Returns how many rows were written."""
    rows = []
    for booking, key, context in notices:
        fields = {"kind": kind, "booking": booking, "context": context}
        if booking.email:
            rows.append(OutgoingMail(key=key, channel=MessageChannel.MAIL, **fields))
        if kind in SMS_KINDS and wants_sms(booking):
            rows.append(OutgoingMail(key=f"sms:{key}", channel=MessageChannel.SMS, **fields))
    with publishing_in_batches():
        for row in OutgoingMail.objects.bulk_create(rows):
            enqueue(row.pk)
    return len(rows)


def _queue_row(key: str, channel: str, fields: dict) -> OutgoingMail:
    row, created = OutgoingMail.objects.get_or_create(
        key=key, defaults={**fields, "channel": channel}
    )
    if created:
        enqueue(row.pk)
    return row


class _Batches:
    """Committed rows' ids; each full batch leaves while later chunks are still written."""

    def __init__(self, size: int):
        self.size, self.ids = size, []

    def add(self, mail_id: int) -> None:
        self.ids.append(mail_id)
        if len(self.ids) >= self.size:
            self.flush()

    def flush(self) -> None:
        ids, self.ids = self.ids, []
        publish_batches(ids, size=self.size)


# Set while rows are queued in bulk: their ids are collected here and published in
# batch tasks instead of one task each.
_collecting: ContextVar[_Batches | None] = ContextVar("outbox_collecting", default=None)


def enqueue(mail_id: int) -> None:
    # After commit, so the worker always finds the row; if the process dies before the
    # publish, requeue_stuck_mail finds the row later.
    collected = _collecting.get()
    if collected is not None:
        transaction.on_commit(lambda: collected.add(mail_id))
        return
    transaction.on_commit(lambda: publish(mail_id))


@contextlib.contextmanager
def publishing_in_batches():
    """Rows queued inside this block go to the broker as batch tasks of MAIL_BATCH_SIZE
    ids once committed, not as one task each: for the reminder run, a day cancellation and the
    sweep. A single notice outside such a block keeps its own task, for low latency."""
    collected = _Batches(settings.MAIL_BATCH_SIZE)
    reset = _collecting.set(collected)
    try:
        yield
    finally:
        _collecting.reset(reset)
        # Registered last, so it runs after the commits that collected the ids; rows of
        # transactions that rolled back were never collected.
        transaction.on_commit(collected.flush)


def publish_batches(mail_ids: list[int], *, size: int | None = None) -> None:
    """Hand committed rows to the broker in batch tasks; an outage is logged, and the
    sweep sends the rows later."""
    size = size or settings.MAIL_BATCH_SIZE
    for start in range(0, len(mail_ids), size):
        batch = mail_ids[start : start + size]
        try:
            send_outgoing_batch.delay(batch)
        except KombuError as error:
            logger.warning(
                "%d mails not handed to the broker (%s); the outbox sweep sends them later.",
                len(batch),
                type(error).__name__,
            )


def publish(mail_id: int) -> bool:
    """Hand a committed outbox row to the broker; a broker outage is logged, not raised.

    The change that queued the mail has already committed, so the request must answer as
    normal: the row stays queued, and requeue_stuck_mail publishes it once the broker is
    back. Returns whether the broker took the message.
    """
    try:
        send_outgoing_mail.delay(mail_id)
    except KombuError as error:
        logger.warning(
            "Mail %s not handed to the broker (%s); the outbox sweep sends it later.",
            mail_id,
            type(error).__name__,
        )
        return False
    return True


@dataclass
class BatchResult:
    """What became of each row a batch claimed; errors are kept to log and re-raise."""

    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: dict[int, BaseException] = field(default_factory=dict)
    retrying: dict[int, BaseException] = field(default_factory=dict)


def deliver(mail_id: int) -> bool:
    """Send one queued mail; returns True if this call sent it.

    Raises PermanentMailError (row marked failed) or the transient error (row marked
    retrying) so the task can decide about a retry.
    """
    result = deliver_batch(mail_ids=[mail_id])
    if mail_id in result.failed:
        error = result.failed[mail_id]
        raise PermanentMailError(redacted(error)) from error
    if mail_id in result.retrying:
        raise result.retrying[mail_id]
    return mail_id in result.sent


def deliver_batch(*, mail_ids=None, limit: int | None = None) -> BatchResult:
    """Claim a batch (these ids, or the oldest queued rows), send its mail over one SMTP
    connection and its SMS through their backend, and record each row's outcome.

    Each row is marked sent as soon as the server accepted it, so a worker killed
    mid-batch leaves at most the one message in flight to be sent twice.
    """
    result = BatchResult()
    # Claim, re-check and issue the links in one short transaction (one commit); SMTP
    # and the SMS gateway are talked to after it, outside any transaction.
    with transaction.atomic():
        ids = claim_batch(mail_ids=mail_ids, limit=limit)
        mails = _load(ids)
        mails = _skip_obsolete(mails, result)
        tokens = _issue_tokens(mails)
    # Past half the sweep's timeout, the sweep may soon take this batch's rows for stuck
    # ones; what is left by then goes back to the queue, so no row has two senders.
    deadline = _clock() + settings.MAIL_STUCK_MINUTES * 60 / 2
    with marks_without_waiting_for_disk():
        down, late = _send_all(mails, tokens, result, deadline, SharedParts())
    _release_untried(result, tokens, any_down=bool(down))
    _hand_back(late, tokens)
    return result


_clock = time.monotonic


def _send_all(mails, tokens, result: BatchResult, deadline: float, shared: SharedParts):
    down = {}  # channel -> the error that took its connection or gateway down
    late = []
    marks = ThreadMarks() if marks_beside_sending(mails) else None
    # Mails handed to the SMTP thread and not yet settled here, oldest first; the next
    # notice renders here meanwhile. Where the SMTP thread records each acceptance itself
    # (on PostgreSQL, while the next envelope goes out: appointments.outbox_marks), the
    # next mail already waits in its queue, so it starts the moment the last one is done.
    # Otherwise each is recorded here before the next is handed over. Either way at most
    # one message is ever accepted but not marked sent.
    in_flight = collections.deque()
    depth = 2 if marks else 1
    by_pk = {mail.pk: mail for mail in mails}
    try:
        for mail in mails:
            if _clock() > deadline:
                late.append(mail.pk)
                continue
            message, error = (
                (None, None) if mail.channel in down else _prepare(mail, tokens, shared)
            )
            while len(in_flight) >= depth:
                _settle(in_flight.popleft(), result, down, marks, by_pk)
            if mail.channel in down:
                result.retrying[mail.pk] = down[mail.channel]
            elif error is not None or mail.channel == MessageChannel.SMS:
                _record(mail, error or _send_sms(message), result, down)
            else:
                job = (
                    (_send_and_mark, marks, message, mail.pk) if marks else (send_message, message)
                )
                in_flight.append((mail, mail_sender().submit(*job)))
        while in_flight:
            _settle(in_flight.popleft(), result, down, marks, by_pk)
    finally:
        if marks is not None:
            # The last mark's answer is taken even when the batch stops on an error, so
            # the thread's connection is left with nothing pending.
            mail_sender().submit(marks.close).result()
    if marks is not None:
        _take_marks(marks, result, by_pk)
    return down, late


def _send_and_mark(marks: ThreadMarks, message, mail_id: int) -> None:
    """In the SMTP thread: send, taking the last mail's mark before DATA; then start this
    one's mark. Nothing more goes out once a mark could not be written."""
    marks.refuse_if_unrecorded()
    try:
        send_message(message, before_data=marks.settle)
    finally:
        with contextlib.suppress(NotRecorded):
            marks.settle()  # the envelope failed before DATA: the last mark still counts
    marks.start(mail_id)


def _take_marks(marks: ThreadMarks, result: BatchResult, by_pk: dict) -> None:
    """The marks the SMTP thread took; one it could not write is written here."""
    while marks.done:
        mail_id, recorded = marks.done.pop(0)
        if not recorded:
            _finish(by_pk[mail_id], MailStatus.SENT)
        result.sent.append(mail_id)


def _prepare(mail: OutgoingMail, tokens: dict[int, str], shared: SharedParts):
    """The rendered notice (mail) or text (SMS), or the error that kept it from being built."""
    try:
        if mail.channel == MessageChannel.SMS:
            return build_text(mail, short_token=tokens.get(mail.pk)), None
        return build_message(mail, manage_token=tokens.get(mail.pk), shared=shared), None
    except Exception as error:
        return None, error


def _send_sms(message) -> Exception | None:
    try:
        send_sms(message)
    except Exception as error:
        return error
    return None


def _settle(in_flight, result: BatchResult, down: dict, marks, by_pk: dict) -> None:
    """Wait for a mail in the sender thread and record its outcome (with marks, an
    accepted mail is recorded by the thread, and counted once its mark was taken)."""
    mail, future = in_flight
    error = future.exception()
    if marks is not None:
        _take_marks(marks, result, by_pk)
    if error is not None or marks is None:
        _record(mail, error, result, down)


def _record(mail: OutgoingMail, error: BaseException | None, result: BatchResult, down) -> None:
    if error is None:
        _finish(mail, MailStatus.SENT)
        result.sent.append(mail.pk)
    elif is_permanent(error):
        _finish(mail, MailStatus.FAILED, error=_describe(error))
        result.failed[mail.pk] = error
    else:
        _finish(mail, MailStatus.RETRYING, error=_describe(error))
        result.retrying[mail.pk] = error
        if not isinstance(error, smtplib.SMTPRecipientsRefused):
            # The server or gateway is unreachable: the channel's other rows wait for
            # the retry instead of each running into the same error.
            down[mail.channel] = error


def _hand_back(late: list[int], tokens: dict[int, str]) -> None:
    """Queue the rows a slow batch did not reach again, in a batch of their own."""
    if not late:
        return
    hashes = [hash_token(tokens[pk]) for pk in late if pk in tokens]
    BookingToken.objects.filter(token_hash__in=hashes).delete()
    OutgoingMail.objects.filter(pk__in=late, status=MailStatus.SENDING).update(
        status=MailStatus.QUEUED, claimed_at=timezone.now()
    )
    publish_batches(late)


def _load(ids: list[int]) -> list[OutgoingMail]:
    # A batch's bookings mostly share a few slots: each slot, with its day, venue and
    # municipality, is loaded once and shared, not built again for every row.
    slots = Slot.objects.select_related("day__site__municipality")
    return list(
        OutgoingMail.objects.select_related(
            "booking",
            "waitlist_entry",
            "user",
            "enrolment__person",
            "application",
            "day__site__municipality",
        )
        .prefetch_related(Prefetch("booking__slot", queryset=slots))
        .filter(pk__in=ids)
        .order_by("pk")
    )


def _skip_obsolete(mails: list[OutgoingMail], result: BatchResult) -> list[OutgoingMail]:
    due = []
    for mail in mails:
        reason = obsolete_reason(mail)
        if reason:
            _finish(mail, MailStatus.SKIPPED, error=reason)
            result.skipped.append(mail.pk)
        else:
            due.append(mail)
    return due


def _issue_tokens(mails: list[OutgoingMail]) -> dict[int, str]:
    """A fresh manage link per notice that carries one, written in one insert; an SMS
    carries the short form. Both open the manage page."""
    tokens = {
        mail.pk: new_short_token() if mail.channel == MessageChannel.SMS else new_token()
        for mail in mails
        if mail.booking is not None and mail.kind in MANAGE_LINK_KINDS
    }
    BookingToken.objects.store([(m.booking_id, tokens[m.pk]) for m in mails if m.pk in tokens])
    return tokens


def _release_untried(result: BatchResult, tokens: dict[int, str], *, any_down: bool) -> None:
    """Rows left untried behind a channel that went down wait for the retry; the links
    of every notice that reached nobody are withdrawn (the next try issues its own)."""
    unsent = [pk for pk in [*result.failed, *result.retrying] if pk in tokens]
    if unsent:
        hashes = [hash_token(tokens[pk]) for pk in unsent]
        BookingToken.objects.filter(token_hash__in=hashes).delete()
    if any_down:
        OutgoingMail.objects.filter(pk__in=list(result.retrying), status=MailStatus.SENDING).update(
            status=MailStatus.RETRYING
        )


def retry_failed_mail(*, mail_ids) -> int:
    """Queue failed mails again (admin action); returns how many were queued."""
    ids = list(
        OutgoingMail.objects.filter(pk__in=mail_ids, status=MailStatus.FAILED).values_list(
            "pk", flat=True
        )
    )
    count = 0
    for mail_id in ids:
        requeued = OutgoingMail.objects.filter(pk=mail_id, status=MailStatus.FAILED).update(
            status=MailStatus.QUEUED, claimed_at=timezone.now()
        )
        if requeued:
            enqueue(mail_id)
            count += 1
    return count


def requeue_stuck_mail(*, now: datetime | None = None, older_than: timedelta | None = None) -> int:
    """Hand rows that were lost on the way to or inside a worker to the queue again.

    Queued rows whose message never reached the broker, sending rows whose worker died,
    retrying rows whose retry message was lost. Each row is taken with a compare-and-set
    on its claimed_at, so two sweeps never queue it twice; a second message for a row
    is harmless anyway, because deliver() claims before it sends.
    """
    now = now or timezone.now()
    if older_than is None:
        older_than = timedelta(minutes=settings.MAIL_STUCK_MINUTES)
    stale = now - older_than
    retry_stale = stale - timedelta(seconds=settings.MAIL_RETRY_BACKOFF_MAX_SECONDS)
    rows = (
        OutgoingMail.objects.alias(touched=Coalesce("claimed_at", "created_at"))
        .filter(
            Q(status__in=[MailStatus.QUEUED, MailStatus.SENDING], touched__lt=stale)
            | Q(status=MailStatus.RETRYING, touched__lt=retry_stale)
        )
        .values_list("pk", "status", "claimed_at")
    )
    count = 0
    with publishing_in_batches():
        count = _requeue(rows, now)
    if count:
        logger.warning("Handed %d stuck outgoing mails to the queue again.", count)
    return count


def _requeue(rows, now: datetime) -> int:
    count = 0
    for mail_id, status, claimed_at in rows:
        new_status = MailStatus.QUEUED if status == MailStatus.QUEUED else MailStatus.RETRYING
        taken = OutgoingMail.objects.filter(
            pk=mail_id, status=status, claimed_at=claimed_at
        ).update(status=new_status, claimed_at=now)
        if taken:
            enqueue(mail_id)
            count += 1
    return count


@shared_task(
    bind=True,
    # Named as before the outbox had its own module, so messages already in the broker
    # during a deploy still find their task.
    name="appointments.tasks.send_outgoing_mail",
    autoretry_for=(SMTPException, ConnectionError, TimeoutError, OSError, TransientMailError),
    dont_autoretry_for=(PermanentMailError,),
    retry_backoff=settings.MAIL_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=settings.MAIL_RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=settings.MAIL_MAX_RETRIES,
)
def send_outgoing_mail(self, mail_id: int) -> None:
    try:
        deliver(mail_id)
    except PermanentMailError as error:
        # Already marked failed; retrying cannot help, an administrator can.
        logger.warning("Mail %s failed permanently: %s", mail_id, error)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            mark_failed(mail_id, error)
        raise TransientMailError(redacted(error)) from None


@shared_task(
    bind=True,
    name="appointments.tasks.send_outgoing_batch",
    max_retries=settings.MAIL_MAX_RETRIES,
)
def send_outgoing_batch(self, mail_ids: list[int]) -> None:
    result = deliver_batch(mail_ids=mail_ids, limit=len(mail_ids))
    for mail_id, error in result.failed.items():
        logger.warning("Mail %s failed permanently: %s", mail_id, redacted(error))
    if not result.retrying:
        return
    error = next(iter(result.retrying.values()))
    if self.request.retries >= self.max_retries:
        for mail_id, row_error in result.retrying.items():
            mark_failed(mail_id, row_error)
        raise TransientMailError(redacted(error))
    # Only the rows still waiting go round again; the sent and failed ones are done.
    countdown = get_exponential_backoff_interval(
        settings.MAIL_RETRY_BACKOFF_SECONDS,
        self.request.retries,
        settings.MAIL_RETRY_BACKOFF_MAX_SECONDS,
        full_jitter=True,
    )
    raise self.retry(
        args=[sorted(result.retrying)], countdown=countdown, exc=TransientMailError(redacted(error))
    )
