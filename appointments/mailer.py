"""The SMTP connection a worker process keeps open across messages and batches.

Over SMTP a notice goes out as the bytes `Notice.as_bytes` writes, handed straight to
the backend's open smtplib connection: Django's EmailMessage would cost more than the
SMTP conversation. Every other backend (the test outbox, the file and console backends
of `make run`) gets Django's message object, because that is what it stores or prints;
there speed does not matter.
"""

import contextlib
import os
import smtplib
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from appointments.mime import PLAIN_ADDRESS, Notice

_mailer = {"config": None, "backend": None}
_sender = {"pid": None, "executor": None}
_senders: dict[str, str] = {}


def mail_sender() -> ThreadPoolExecutor:
    """The one thread per worker process that talks SMTP (and so owns the connection).
    While it waits for the server's answers, which releases the GIL, the batch renders
    its next notice. Made anew in a forked child, which inherits no threads."""
    if _sender["pid"] != os.getpid():
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtp")
        _sender.update(pid=os.getpid(), executor=executor)
    return _sender["executor"]


def send_message(message: Notice, before_data=None) -> None:
    """Send through one connection kept open per worker process; a connection the
    server closed while idle is opened again once. An answer about this one message
    (a refused address, a rejected body) leaves the connection open for the next.

    `before_data` is called after the envelope (MAIL FROM, RCPT TO), before DATA: the
    server can accept the message only after it; an error it raises sends nothing."""
    backend, reused = _open_mailer()
    try:
        _send(backend, message, before_data)
    except smtplib.SMTPServerDisconnected:
        if not reused:
            raise
        backend, _ = _open_mailer()
        _send(backend, message, before_data)


def _send(backend, message: Notice, before_data) -> None:
    try:
        if isinstance(backend, SmtpBackend):
            _send_bytes(backend, message, before_data)
        else:
            if before_data is not None:
                before_data()
            backend.send_messages([message.as_email()])
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
        # smtplib has reset the conversation (RSET): the connection is still good.
        raise
    except ValueError:
        # A bad address or header, refused before anything went out: the connection
        # is still good, and the row fails on its own.
        raise
    except Exception:
        _drop_mailer()
        raise


def _send_bytes(backend: SmtpBackend, message: Notice, before_data) -> None:
    to = _address(backend, message.to)
    sender = _envelope_sender(backend, message.from_email)
    _sendmail(backend.connection, sender, to, message.as_bytes(to=to), before_data)


def _address(backend: SmtpBackend, address: str) -> str:
    # A plain address is an addr-spec already (Django's parser would give it back
    # unchanged, at a cost of about a tenth of a mail's rendering). Anything else gets
    # Django's own check: it refuses line breaks and a non-ASCII local part, and gives a
    # non-ASCII domain in IDNA form, for the envelope and the To.
    return address if PLAIN_ADDRESS.match(address) else backend.prep_address(address)


def _sendmail(client: smtplib.SMTP, sender: str, to: str, payload: bytes, before_data) -> None:
    """smtplib's `sendmail` for one recipient, with the same commands, replies, RSET and
    errors, for addresses already checked (smtplib would parse both again for every
    mail), and with `before_data` called between the envelope and DATA."""
    client.ehlo_or_helo_if_needed()
    size = f" size={len(payload)}" if client.does_esmtp and client.has_extn("size") else ""
    client.putcmd("mail", f"from:<{sender}>{size}")
    code, reply = client.getreply()
    if code != 250:
        _abandon(client, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    client.putcmd("rcpt", f"to:<{to}>")
    code, reply = client.getreply()
    if code not in (250, 251):
        _abandon(client, code)
        raise smtplib.SMTPRecipientsRefused({to: (code, reply)})
    if before_data is not None:
        before_data()
    code, reply = client.data(payload)
    if code != 250:
        _abandon(client, code)
        raise smtplib.SMTPDataError(code, reply)


def _abandon(client: smtplib.SMTP, code: int) -> None:
    # As smtplib does: a server closing the connection (421) is left; otherwise the
    # conversation is reset, and the connection serves the next mail.
    if code == 421:
        client.close()
    else:
        client._rset()  # noqa: SLF001 (smtplib's own reset, which ignores a dead server)


def _envelope_sender(backend: SmtpBackend, from_email: str) -> str:
    # The sender is the same for every mail: checked once per process.
    if from_email not in _senders:
        _senders[from_email] = backend.prep_address(from_email)
    return _senders[from_email]


def _open_mailer():
    config = repr(settings.MAILERS.get("default"))
    if _mailer["backend"] is not None and _mailer["config"] == config:
        return _mailer["backend"], True
    _drop_mailer()
    backend = mailers["default"]
    backend.open()
    _mailer.update(config=config, backend=backend)
    return backend, False


def _drop_mailer() -> None:
    backend, _mailer["backend"] = _mailer["backend"], None
    if backend is not None:
        # The connection is being thrown away anyway.
        with contextlib.suppress(Exception):
            backend.close()
