"""Telling a failed send's errors apart: which may heal by waiting, and how to name them
in logs without the address or number they may quote."""

import smtplib

from appointments.sms import SmsGatewayError


class PermanentMailError(Exception):
    """The mail can never be delivered as it is (bad address, 5xx answer)."""


class TransientMailError(Exception):
    """A try failed but may succeed later; its text names the error class and SMTP codes
    only, because Celery logs the exception of every retry."""


def describe(error: BaseException) -> str:
    """The full error, for the row's last_error, which only administrators read."""
    return f"{type(error).__name__}: {error}"[:500]


def redacted(error: BaseException) -> str:
    """The error's class and SMTP codes only, for logs: an SMTP answer or a
    refused-recipients map may quote the address."""
    if isinstance(error, SmsGatewayError) and error.status:
        return f"{type(error).__name__} (HTTP {error.status})"
    codes = []
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _msg in error.recipients.values()})
    elif isinstance(error, smtplib.SMTPResponseException):
        codes = [error.smtp_code]
    return type(error).__name__ + (f" (SMTP {', '.join(map(str, codes))})" if codes else "")


def is_permanent(error: BaseException) -> bool:
    """A 5xx answer or a refused address will not heal by waiting; all else may. An SMS
    gateway's error says for itself (4xx permanent; 5xx, 429 and timeouts not)."""
    if isinstance(error, SmsGatewayError):
        return error.permanent
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return False
    return not isinstance(error, smtplib.SMTPException | OSError)
