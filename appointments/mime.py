"""A notice as an email: its rendered parts, written straight to MIME bytes for SMTP.

Django's EmailMessage builds a tree of `email` objects and serialises it through the
modern header policy; for the outbox's fixed shape (text and HTML alternatives, maybe a
calendar file) that cost several times the SMTP conversation itself. `Notice.as_bytes`
writes the same structure directly, with the stdlib's encoders:

- headers: plain ASCII as is; non-ASCII (or over-long) values as RFC 2047 encoded words
  (`email.header.Header`), folded with CRLF; a display name through `formataddr`;
- text and HTML: UTF-8, quoted-printable (`binascii.b2a_qp`: lines of at most 76
  characters, so the message is 7-bit clean and needs no 8BITMIME);
- the calendar file: base64 in lines of 76, keeping its own CRLF line endings intact;
- CRLF line endings throughout, as SMTP wants them on the wire.

`Notice.as_email` gives Django's EmailMultiAlternatives with the same content, for the
mail backends that are not SMTP (the test outbox, the file and console backends).
"""

import base64
import binascii
import functools
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

CRLF = "\r\n"
# Recommended limit of RFC 5322; longer ASCII values are folded at spaces.
HEADER_LINE = 78
# An address made only of these characters (dot-atoms of ASCII letters, digits and the
# signs RFC 5322 allows) is a bare addr-spec: nothing in it needs quoting or encoding,
# and Django's address check gives it back unchanged.
PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\Z"
)
CALENDAR_NAME = "termin.ics"


@dataclass
class Notice:
    """One rendered notice: subject, text, HTML and maybe a calendar file, to one address."""

    to: str
    subject: str
    body: str
    html: str
    message_id: str | None = None
    ics: str | None = None
    from_email: str = ""
    headers: dict[str, str] = field(default_factory=lambda: {"Auto-Submitted": "auto-generated"})

    def __post_init__(self):
        self.from_email = self.from_email or settings.DEFAULT_FROM_EMAIL

    @property
    def ics_method(self) -> str:
        return "CANCEL" if self.ics and "METHOD:CANCEL" in self.ics else "REQUEST"

    def header_fields(self, *, to: str | None = None, date: datetime | None = None) -> list:
        fields = [
            ("From", encode_address("From", self.from_email)),
            ("To", encode_address("To", to or self.to)),
            ("Subject", encode_header("Subject", self.subject)),
            ("Date", format_datetime(date or datetime.now(UTC))),
        ]
        if self.message_id:
            fields.append(("Message-ID", encode_header("Message-ID", self.message_id)))
        fields += [(name, encode_header(name, value)) for name, value in self.headers.items()]
        return [*fields, ("MIME-Version", "1.0")]

    def as_bytes(self, *, to: str | None = None, date: datetime | None = None) -> bytes:
        """The whole message for SMTP's DATA; `to` replaces the address in the To header
        (for one the server wants IDNA-encoded)."""
        fields = self.header_fields(to=to, date=date)
        head = "".join(f"{name}: {value}{CRLF}" for name, value in fields)
        alternatives = _multipart(
            "alternative", [text_part(self.body, "plain"), text_part(self.html, "html")]
        )
        if self.ics:
            body = _multipart("mixed", [alternatives, calendar_part(self.ics, self.ics_method)])
        else:
            body = alternatives
        return (head + body).encode("ascii")

    def as_email(self) -> EmailMultiAlternatives:
        """The same notice as Django's message object, for the other mail backends."""
        headers = dict(self.headers)
        if self.message_id:
            headers["Message-ID"] = self.message_id
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.body,
            from_email=self.from_email,
            to=[self.to],
            headers=headers,
        )
        message.attach_alternative(self.html, "text/html")
        if self.ics:
            mimetype = f"text/calendar; charset=utf-8; method={self.ics_method}"
            message.attach(CALENDAR_NAME, self.ics, mimetype)
        return message


def encode_header(name: str, value: str) -> str:
    """A header value safe for the wire: refused with a line break in it (header
    injection), else as is when short ASCII, else encoded and folded."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"Line break in the {name} header.")
    if value.isascii() and "=?" not in value:
        if len(name) + 2 + len(value) <= HEADER_LINE:
            return value
        charset = "us-ascii"
    else:
        charset = "utf-8"
    return Header(value, charset, header_name=name).encode(linesep=CRLF)


@functools.lru_cache(maxsize=4)
def sender_address(from_email: str) -> str:
    """The bare address in DEFAULT_FROM_EMAIL ("JobLokal <termine@…>"), parsed once."""
    return parseaddr(from_email)[1]


def encode_address(header: str, address: str) -> str:
    """`Name <addr>`, the name encoded when it is not ASCII, folded before the address
    when the line would grow too long."""
    if "\r" in address or "\n" in address:
        raise ValueError(f"Line break in the {header} header.")
    if PLAIN_ADDRESS.match(address):
        return address  # a bare address of plain characters: nothing to encode
    return _named_address(header, address)


@functools.lru_cache(maxsize=64)
def _named_address(header: str, address: str) -> str:
    # Cached: the sender is the same for every mail.
    name, addr = parseaddr(address)
    if not name:
        return address.strip()
    if name.isascii():
        display = formataddr((name, addr)).rpartition(" <")[0]  # quoted where needed
    else:
        display = Header(name, "utf-8", header_name=header).encode(linesep=CRLF)
    last = display.rpartition(CRLF)[2] if CRLF in display else f"{header}: {display}"
    fits = len(last) + len(addr) + 3 <= HEADER_LINE
    return f"{display}{' ' if fits else CRLF + ' '}<{addr}>"


def text_part(content: str, subtype: str) -> str:
    # One line ending style first: b2a_qp keeps CRLF only when the text already has it.
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    data = CRLF.join(lines).encode()
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    encoded = binascii.b2a_qp(data, istext=True).decode("ascii")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}{encoded}"
    )


def calendar_part(ics: str, method: str) -> str:
    encoded = base64.encodebytes(ics.encode()).decode("ascii").replace("\n", CRLF)
    return (
        f'Content-Type: text/calendar; charset="utf-8"; method="{method}"{CRLF}'
        f"Content-Transfer-Encoding: base64{CRLF}"
        f'Content-Disposition: attachment; filename="{CALENDAR_NAME}"{CRLF}{CRLF}{encoded}'
    )


def _multipart(subtype: str, parts: list[str]) -> str:
    # "=_" never occurs in quoted-printable or base64 output, so no part can contain
    # the boundary; the random tail keeps nested boundaries apart.
    boundary = f"=_{secrets.token_hex(12)}"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"{CRLF}{CRLF}'
    inner = "".join(f"--{boundary}{CRLF}{part}{CRLF}" for part in parts)
    return f"{head}{inner}--{boundary}--{CRLF}"
