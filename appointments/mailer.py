"""The SMTP connection a worker process keeps open across messages and batches."""

import contextlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers

_mailer = {"config": None, "backend": None}


def send_message(message: EmailMultiAlternatives) -> None:
    """Send through one connection kept open per worker process; a connection the
    server closed while idle is opened again once. An answer about this one message
    (a refused address, a rejected body) leaves the connection open for the next."""
    backend, reused = _open_mailer()
    try:
        _send(backend, message)
    except smtplib.SMTPServerDisconnected:
        if not reused:
            raise
        backend, _ = _open_mailer()
        _send(backend, message)


def _send(backend, message: EmailMultiAlternatives) -> None:
    try:
        backend.send_messages([message])
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
        # smtplib has reset the conversation (RSET): the connection is still good.
        raise
    except Exception:
        _drop_mailer()
        raise


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
