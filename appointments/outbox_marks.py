"""The SMTP thread's record of accepted mail, overlapping the next mail's conversation.

Within a batch on PostgreSQL the SMTP thread records each acceptance itself, on a
connection of its own. It sends mail N's "sent" to PostgreSQL
and, without waiting for the answer, starts mail N+1: MAIL FROM and RCPT TO. Only then,
before DATA (a server accepts a message only at the end of its data), it takes N's
answer. So at every moment at most one mail is accepted but not recorded, as before,
while PostgreSQL writes the mark during the SMTP server's round trips.

The thread's connection stays open across batches as the worker's own does (closed when
too old or broken, or after each batch without persistent connections).

A mark the database did not take is written again at once on the thread's connection;
if that fails too, mail N+1 is not sent (its DATA is never started) and the batch
records N on its own connection, or leaves it to the sweep.
"""

import contextlib

from django.db import DatabaseError, connection
from django.utils import timezone
from psycopg import pq

from appointments.models import MailStatus
from appointments.outbox_rows import MARK_SENT_SQL, mark_sent


def _numbered(sql: str) -> str:
    """A statement with psycopg's %s placeholders in libpq's numbered form ($1, $2, …)."""
    first, *rest = sql.split("%s")
    return first + "".join(f"${n}{part}" for n, part in enumerate(rest, start=1))


# mark_sent's statement, for libpq's send_query_params.
_MARK_SENT = _numbered(MARK_SENT_SQL).encode()


class NotRecorded(ConnectionError):  # noqa: N818
    """The last mail's acceptance could not be recorded (the database is out of reach): the
    next one must not go out. A connection error, so the batch's untried rows wait for
    the retry rather than failing."""


def marks_beside_sending(mails: list) -> bool:
    """Whether the SMTP thread records the batch's acceptances: for a batch of several
    mails on PostgreSQL, outside a transaction (inside one, as in tests, the rows it
    would mark are not visible to another connection). A single notice is marked by the
    batch, as before, and saves the thread a connection."""
    return len(mails) > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block


class ThreadMarks:
    """Used only in the SMTP thread, one per batch. `done` holds (row id, recorded) in
    order, for the batch to read once the thread's job for a mail has finished."""

    def __init__(self):
        self.pending = None  # (row id, whether its statement went out)
        self.done: list[tuple[int, bool]] = []
        self.unrecorded = None  # a row whose acceptance could not be written

    def refuse_if_unrecorded(self) -> None:
        """Before a mail: none goes out while an earlier acceptance is unrecorded (the
        batch records it, or leaves it to the sweep, once the thread is done)."""
        if self.unrecorded is not None:
            raise NotRecorded(self.unrecorded)

    def start(self, mail_id: int) -> None:
        """Send the "sent" of a row the server just accepted; the answer is taken later."""
        try:
            _ready().pgconn.send_query_params(
                _MARK_SENT,
                [
                    MailStatus.SENT.value.encode(),
                    timezone.now().isoformat().encode(),
                    str(mail_id).encode(),
                ],
            )
        except Exception:
            _drop()
            self.pending = (mail_id, False)
            return
        self.pending = (mail_id, True)

    def settle(self) -> None:
        """Take the last mark's answer (before the next DATA, and at the batch's end).
        A mark that failed is written once more; if that fails, NotRecorded."""
        if self.pending is None:
            return
        (mail_id, sent), self.pending = self.pending, None
        recorded = sent and _answer()
        if not recorded:
            recorded = _mark_again(mail_id)
        self.done.append((mail_id, recorded))
        if not recorded:
            self.unrecorded = mail_id
            raise NotRecorded(mail_id)

    def close(self) -> None:
        """At the batch's end: the last answer; then the connection goes as Django lets
        any go (at once without persistent connections, or when too old or broken)."""
        try:
            with contextlib.suppress(NotRecorded):
                self.settle()
        finally:
            with contextlib.suppress(Exception):
                connection.close_if_unusable_or_obsolete()


_prepared = {"connection": None}  # the SMTP thread's connection that marks without waiting


def _ready():
    connection.ensure_connection()
    if _prepared["connection"] is not connection.connection:
        with connection.cursor() as cursor:
            # As marks_without_waiting_for_disk says for the batch's own connection.
            cursor.execute("SET synchronous_commit TO OFF")
        _prepared["connection"] = connection.connection
    return connection.connection


def _answer() -> bool:
    try:
        pgconn = connection.connection.pgconn
        result = pgconn.get_result()
        ok = result is not None and result.status == pq.ExecStatus.COMMAND_OK
        while pgconn.get_result() is not None:
            pass
    except Exception:
        ok = False
    if not ok:
        _drop()
    return ok


def _mark_again(mail_id: int) -> bool:
    try:
        _ready()
        mark_sent(mail_id)
    except DatabaseError:
        _drop()
        return False
    return True


def _drop() -> None:
    with contextlib.suppress(Exception):
        connection.close()
