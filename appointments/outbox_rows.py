"""Outbox rows for a worker: taking them (one by compare-and-set, a batch with SKIP
LOCKED) and recording what became of each."""

import contextlib

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from appointments.models import MailStatus, OutgoingMail
from appointments.send_errors import describe


def claim(mail_id: int) -> bool:
    """Compare-and-set: only one worker may send a given row."""
    return (
        OutgoingMail.objects.filter(
            pk=mail_id, status__in=[MailStatus.QUEUED, MailStatus.RETRYING]
        ).update(status=MailStatus.SENDING, claimed_at=timezone.now())
        == 1
    )


def claim_batch(*, mail_ids=None, limit: int | None = None) -> list[int]:
    """Take up to `limit` rows for this worker in one short transaction; rows another
    worker holds are skipped, never waited for, so two workers never take the same row.

    With ids, rows queued or waiting for a retry among them; without, the oldest queued
    rows (a row waiting for its retry keeps its backoff).
    """
    statuses = [MailStatus.QUEUED] if mail_ids is None else [MailStatus.QUEUED, MailStatus.RETRYING]
    limit = limit or settings.MAIL_BATCH_SIZE
    with transaction.atomic():
        rows = OutgoingMail.objects.select_for_update(skip_locked=True).filter(status__in=statuses)
        if mail_ids is not None:
            rows = rows.filter(pk__in=list(mail_ids))
        ids = list(rows.order_by("pk").values_list("pk", flat=True)[:limit])
        if ids:
            OutgoingMail.objects.filter(pk__in=ids).update(
                status=MailStatus.SENDING, claimed_at=timezone.now()
            )
    return ids


@contextlib.contextmanager
def marks_without_waiting_for_disk():
    """Each "sent" is its own short commit, so a killed worker loses at most the one in
    flight. PostgreSQL need not flush each to disk before answering: a crash of the
    database server itself (not of a worker) may forget the marks of its last
    fraction of a second, and the sweep then sends those few again."""
    postgres = connection.vendor == "postgresql" and not connection.in_atomic_block
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        if postgres:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def finish(mail: OutgoingMail, status: str, *, error: str = "") -> None:
    """Record a row's outcome in its own statement (and, outside a transaction, its own
    commit), counting the try unless the row was skipped."""
    if status == MailStatus.SENT:
        mark_sent(mail.pk)
        return
    fields = {"status": status, "last_error": error}
    rows = OutgoingMail.objects.filter(pk=mail.pk)
    if status != MailStatus.SKIPPED:
        fields["attempts"] = mail.attempts + 1
    if status == MailStatus.SENT:
        fields["sent_at"] = timezone.now()
    else:
        # A failure only moves a row this worker still holds; "sent" always wins, so a
        # row the sweep handed out again meanwhile is not sent a second time.
        rows = rows.filter(status=MailStatus.SENDING)
    rows.update(**fields)


def mark_sent(mail_id: int) -> None:
    """Record the server's acceptance of one row. Runs once per mail, so it is one
    plain SQL statement rather than an ORM update, whose query building costs more
    than the statement; "sent" always wins, whatever the row's status by now."""
    with connection.cursor() as cursor:
        cursor.execute(MARK_SENT_SQL, [MailStatus.SENT, timezone.now(), mail_id])


# The table name comes from the model, not from input. Parameters: status, sent_at, id
# (appointments/outbox_marks.py sends the same statement without waiting for it).
MARK_SENT_SQL = (
    f"UPDATE {OutgoingMail._meta.db_table}"  # noqa: S608
    " SET status = %s, last_error = '', attempts = attempts + 1, sent_at = %s WHERE id = %s"
)


def mark_failed(mail_id: int, error: BaseException) -> None:
    OutgoingMail.objects.filter(pk=mail_id).exclude(status=MailStatus.SENT).update(
        status=MailStatus.FAILED, last_error=describe(error)
    )
