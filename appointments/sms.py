"""Sending text messages: one small backend per way out, chosen by SMS_BACKEND as mail
backends are by MAIL_BACKEND.

A backend sends one `TextMessage` or raises `SmsGatewayError`, which says whether the
failure may heal by waiting (a 5xx answer, 429, a timeout, a refused connection) or not
(any other 4xx: a wrong number, a wrong key). The outbox decides about retries.
"""

import json
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import phonenumbers
from django.conf import settings

# The in-memory backend's sent messages, as Django's locmem mail backend keeps
# django.core.mail.outbox; the tests empty it before each test.
outbox: list["TextMessage"] = []
_file_lock = threading.Lock()


@dataclass(frozen=True)
class TextMessage:
    to: str  # E.164
    body: str
    # Stable per outbox row: a gateway that honours it drops the rare repeat after a crash.
    reference: str = ""


class SmsGatewayError(Exception):
    """The gateway did not take the message; `permanent` says whether trying again
    later can help. The text names the HTTP status only, never the number or text."""

    def __init__(self, description: str, *, permanent: bool, status: int | None = None):
        super().__init__(description)
        self.permanent, self.status = permanent, status


def e164(phone: str) -> str:
    """The number in E.164 (German unless it has a country code), or "" if it is none."""
    try:
        number = phonenumbers.parse(phone, "DE")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def takes_sms(phone: str) -> bool:
    """Whether the number can receive a text message: a mobile number, or one of the
    countries whose numbering does not tell mobile and landline apart."""
    try:
        number = phonenumbers.parse(phone, "DE")
    except phonenumbers.NumberParseException:
        return False
    kinds = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in kinds


def send_sms(message: TextMessage) -> None:
    """Send one text message through the configured backend."""
    BACKENDS[settings.SMS_BACKEND](message)


def send_locmem(message: TextMessage) -> None:
    outbox.append(message)


def send_console(message: TextMessage) -> None:
    sys.stdout.write(f"SMS to {message.to} ({message.reference}):\n{message.body}\n\n")
    sys.stdout.flush()


def send_file(message: TextMessage) -> None:
    """One file per message under SMS_FILE_DIR, named by time and reference, like
    var/mail for mail."""
    directory = Path(settings.SMS_FILE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    name = f"{stamp}-{message.reference or 'sms'}.txt"
    text = f"To: {message.to}\nReference: {message.reference}\n\n{message.body}\n"
    with _file_lock:
        (directory / name).write_text(text, encoding="utf-8")


def send_http(message: TextMessage) -> None:
    """POST the message to the gateway as JSON or a form; any 2xx answer is success."""
    config = settings.SMS_HTTP
    fields = {
        config["field_to"]: message.to,
        config["field_text"]: message.body,
        config["field_sender"]: settings.SMS_SENDER_ID,
        config["field_reference"]: message.reference,
    }
    fields = {name: value for name, value in fields.items() if name}
    if config["format"] == "json":
        body, content_type = json.dumps(fields).encode(), "application/json"
    else:
        body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
    # settings refuse any SMS_HTTP_URL but https:// (or http:// to this machine).
    request = urllib.request.Request(config["url"], data=body, method="POST")  # noqa: S310
    request.add_header("Content-Type", content_type)
    if config["auth_value"]:
        request.add_header(config["auth_header"], config["auth_value"])
    try:
        with urllib.request.urlopen(request, timeout=config["timeout"]) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as error:
        raise http_error(error.code) from None
    except (TimeoutError, OSError) as error:
        # URLError is an OSError: a refused connection, a name that does not resolve,
        # a timeout while connecting or reading.
        raise SmsGatewayError(
            f"gateway unreachable ({type(error).__name__})", permanent=False
        ) from None


def http_error(status: int) -> SmsGatewayError:
    """A gateway's error answer: 5xx, 408 and 429 may heal by waiting, other 4xx not."""
    transient = status >= 500 or status in {408, 425, 429}
    description = f"gateway answered HTTP {status}"
    return SmsGatewayError(description, permanent=not transient, status=status)


BACKENDS = {
    "locmem": send_locmem,
    "console": send_console,
    "file": send_file,
    "http": send_http,
}
