"""The mailer over real SMTP (aiosmtpd in this process): notices go out as the bytes of
appointments.mime, over one kept connection; an address refused before sending fails
that notice alone and keeps the connection. Other backends get Django's message."""

import dataclasses
import smtplib
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail.backends.smtp import EmailBackend
from hypothesis import given
from hypothesis import strategies as st

from appointments import mailer
from appointments.mime import Notice
from tests.integration.conftest import SmtpServer, free_port


def mail_to(settings, port: int) -> None:
    """Send over SMTP to the test server on this port."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def server(tmp_path, settings):
    smtp = SmtpServer(tmp_path / "maildir", free_port())
    smtp.start()
    mail_to(settings, smtp.port)
    yield smtp
    mailer._drop_mailer()
    smtp.stop()


def notice(to="kundin@example.org", subject="Erinnerung an Ihren Termin") -> Notice:
    return Notice(
        to=to,
        subject=subject,
        body="Guten Tag Frau Öztürk,\nbis bald.\n",
        html="<p>Guten Tag Frau Öztürk,</p>\n",
        message_id="<5.abc@joblokal.example>",
        ics="BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
    )


def test_it_sends_the_notices_own_bytes_over_one_connection(server):
    # Django's message object is not built on the SMTP path at all.
    with mock.patch.object(Notice, "as_email", side_effect=AssertionError("built")):
        mailer.send_message(notice())
        connection = mailer._mailer["backend"].connection
        mailer.send_message(notice(subject="Терміновий лист: Ваш прийом"))
    assert mailer._mailer["backend"].connection is connection
    first, second = sorted(server.messages(), key=lambda m: len(str(m["Subject"])))
    assert str(first["Subject"]) == "Erinnerung an Ihren Termin"
    assert str(second["Subject"]) == "Терміновий лист: Ваш прийом"
    plain = next(p for p in first.walk() if p.get_content_type() == "text/plain")
    assert plain.get_content().replace("\r\n", "\n") == "Guten Tag Frau Öztürk,\nbis bald.\n"
    assert first["Message-ID"] == "<5.abc@joblokal.example>"


def test_a_non_ascii_domain_goes_out_in_idna_form(server):
    mailer.send_message(notice(to="kunde@müller.example"))
    (message,) = server.messages()
    assert str(message["To"]) == "kunde@xn--mller-kva.example"


@pytest.mark.parametrize("to", ["kundé@example.org", "kunde@example.org\r\nBcc: x@example.org"])
def test_an_address_refused_before_sending_keeps_the_connection(server, to):
    mailer.send_message(notice())
    connection = mailer._mailer["backend"].connection
    with pytest.raises(ValueError):
        mailer.send_message(notice(to=to))
    mailer.send_message(notice())
    assert mailer._mailer["backend"].connection is connection
    assert len(server.messages()) == 2


def test_a_server_that_went_away_is_dialled_again_once(server):
    mailer.send_message(notice())
    server.stop()  # the server restarts, and the kept connection is dead
    server.start()
    mailer.send_message(notice())
    assert len(server.messages()) == 2


def test_other_backends_get_djangos_message_with_the_same_content():
    mailer.send_message(notice())
    (sent,) = mail.outbox
    assert sent.to == ["kundin@example.org"]
    assert sent.subject == "Erinnerung an Ihren Termin"
    assert sent.alternatives[0].content == "<p>Guten Tag Frau Öztürk,</p>\n"
    assert sent.attachments[0][0] == "termin.ics"
    assert sent.extra_headers["Message-ID"] == "<5.abc@joblokal.example>"


def test_the_call_before_data_comes_after_the_envelope_and_before_the_message(server):
    mailer.send_message(notice())
    client = mailer._mailer["backend"].connection
    commands, real = [], client.putcmd

    def putcmd(cmd, args=""):
        commands.append(cmd.upper())
        return real(cmd, args)

    with mock.patch.object(client, "putcmd", side_effect=putcmd):
        mailer.send_message(notice(), before_data=lambda: commands.append("(before data)"))
    assert commands == ["MAIL", "RCPT", "(before data)", "DATA"]
    assert len(server.messages()) == 2
    assert "data" not in vars(client)  # smtplib's own method again for the next mail


def test_an_error_before_data_sends_nothing_and_drops_the_half_used_connection(server):
    mailer.send_message(notice())
    client = mailer._mailer["backend"].connection

    def refuse():
        raise ConnectionError("the last mail is not recorded")

    with pytest.raises(ConnectionError):
        mailer.send_message(notice(), before_data=refuse)
    assert len(server.messages()) == 1
    assert mailer._mailer["backend"] is None or mailer._mailer["backend"].connection is not client
    mailer.send_message(notice())
    assert len(server.messages()) == 2


class Refusing:
    """An SMTP server that refuses one sender, one recipient and one message body, and
    accepts everything else."""

    def __init__(self):
        self.accepted = []

    async def handle_MAIL(self, server, session, envelope, address, options):
        if address == "gesperrt@joblokal.example":
            return "553 sender not allowed"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address == "unbekannt@example.org":
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if b"Abgelehnt" in envelope.content:
            return "554 message refused"
        self.accepted.append(envelope.rcpt_tos[0])
        return "250 OK"


@pytest.fixture
def refusing(settings):
    handler = Refusing()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    mail_to(settings, controller.port)
    yield handler
    mailer._drop_mailer()
    controller.stop()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"to": "unbekannt@example.org"}, smtplib.SMTPRecipientsRefused),
        ({"from_email": "gesperrt@joblokal.example"}, smtplib.SMTPSenderRefused),
        ({"subject": "Abgelehnt"}, smtplib.SMTPDataError),
    ],
)
def test_a_refusal_raises_smtplibs_own_error_and_keeps_the_connection(refusing, change, error):
    mailer.send_message(notice())
    connection = mailer._mailer["backend"].connection
    with pytest.raises(error) as raised:
        mailer.send_message(dataclasses.replace(notice(), **change))
    mailer.send_message(notice(to="naechste@example.org"))
    assert mailer._mailer["backend"].connection is connection
    assert refusing.accepted == ["kundin@example.org", "naechste@example.org"]
    if error is smtplib.SMTPRecipientsRefused:
        assert raised.value.recipients == {"unbekannt@example.org": (550, b"no such user")}
    else:
        assert raised.value.smtp_code in (553, 554)


@given(st.from_regex(mailer.PLAIN_ADDRESS, fullmatch=True))
def test_an_address_taken_as_it_is_is_what_djangos_check_gives_back(address):
    # prep_address reads nothing from its backend.
    assert EmailBackend.prep_address(None, address) == address
