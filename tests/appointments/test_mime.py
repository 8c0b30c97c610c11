"""The notice's MIME bytes, read back with the stdlib's email parser: headers decode to
the German, Ukrainian and Arabic text, both alternatives and the calendar file are there,
links survive, every line ends in CRLF and stays short, and no header can be injected."""

import email
import email.policy
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from appointments import mime
from appointments.mime import Notice

LINK = "https://termine.example.de/termin/" + "Ab3_-x" * 8 + "/?a=1&b=2"
ICS = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Beratung Jobcenter\r\n"
ICS += "DESCRIPTION:Їжак\\, Ölmühle\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

TEXTS = {
    "de": ("Erinnerung an Ihren Termin: 2.12.2026, 9:00 Uhr", "Guten Tag Jürgen Größe,"),
    "uk": ("Нагадування про ваш прийом: 2.12.2026, 9:00", "Добрий день, Олена Коваленко,"),
    "ar": ("تذكير بموعدك: 2.12.2026، 9:00", "مرحبا فاطمة الزهراء،"),
}


def notice(language="de", **changes) -> Notice:
    subject, greeting = TEXTS[language]
    fields = {
        "to": "kundin@example.org",
        "subject": subject,
        "body": f"{greeting}\n\nAbsagen oder verschieben:\n{LINK}\n",
        "html": f'<p>{greeting}</p>\n<p><a href="{LINK}">Absagen</a></p>\n',
        "message_id": "<17.abc123@joblokal.example>",
        "ics": ICS,
        "from_email": "Jobcenter Celle – JobLokal <termine@joblokal.example>",
    }
    return Notice(**(fields | changes))


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def parts(message) -> dict[str, email.message.EmailMessage]:
    return {part.get_content_type(): part for part in message.walk()}


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_headers_decode_to_the_text_in_each_language(language):
    message = parsed(notice(language).as_bytes())
    assert str(message["Subject"]) == TEXTS[language][0]
    assert message["From"].addresses[0].display_name == "Jobcenter Celle – JobLokal"
    assert message["From"].addresses[0].addr_spec == "termine@joblokal.example"
    assert str(message["To"]) == "kundin@example.org"
    assert message["Message-ID"] == "<17.abc123@joblokal.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["MIME-Version"] == "1.0"
    assert message["Date"].datetime.tzinfo is not None
    assert message.defects == []


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_both_alternatives_and_the_calendar_file_are_there(language):
    sent = notice(language)
    message = parsed(sent.as_bytes())
    assert message.get_content_type() == "multipart/mixed"
    found = parts(message)
    assert found["multipart/alternative"].is_multipart()
    # Line endings are the wire's business: the text reads as it was written.
    assert found["text/plain"].get_content().replace("\r\n", "\n") == sent.body
    assert found["text/html"].get_content().replace("\r\n", "\n") == sent.html
    calendar = found["text/calendar"]
    assert calendar.get_filename() == "termin.ics"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content() == ICS
    assert str(Calendar.from_ical(calendar.get_content()).walk("VEVENT")[0]["DESCRIPTION"]) == (
        "Їжак, Ölmühle"
    )
    alternatives = [p.get_content_type() for p in found["multipart/alternative"].iter_parts()]
    assert alternatives == ["text/plain", "text/html"]


def test_a_cancellation_says_so_and_a_notice_without_calendar_is_two_alternatives():
    cancel = ICS.replace("METHOD:REQUEST", "METHOD:CANCEL")
    calendar = parts(parsed(notice(ics=cancel).as_bytes()))["text/calendar"]
    assert calendar.get_param("method") == "CANCEL"
    plain = parsed(notice(ics=None).as_bytes())
    assert plain.get_content_type() == "multipart/alternative"
    assert "text/calendar" not in parts(plain)


def test_links_survive_the_encoding_intact():
    found = parts(parsed(notice().as_bytes()))
    assert LINK in found["text/plain"].get_content()
    assert f'href="{LINK}"' in found["text/html"].get_content()


def test_every_line_ends_in_crlf_and_stays_short():
    long_line = "Sehr langer Satz ohne Umbruch mit Umlauten äöü " * 20
    raw = notice(body=long_line, html=long_line + "\r\n" + long_line + "\rx").as_bytes()
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    found = parts(parsed(raw))
    assert found["text/plain"].get_content().replace("\r\n", "\n") == long_line + "\n"


def test_a_long_ascii_subject_is_folded_and_reads_the_same():
    subject = "Reminder of your appointment at the job centre " * 3
    raw = notice(subject=subject.strip()).as_bytes()
    head = raw.split(b"\r\n\r\n")[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    assert str(parsed(raw)["Subject"]) == subject.strip()


def test_an_ascii_subject_that_looks_encoded_is_encoded_itself():
    subject = "=?utf-8?q?Gewinn?= jetzt"
    assert str(parsed(notice(subject=subject).as_bytes())["Subject"]) == subject


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Termin\r\nBcc: alle@example.org"},
        {"subject": "Termin\nBcc: alle@example.org"},
        {"to": "kundin@example.org\r\nBcc: alle@example.org"},
        {"from_email": "JobLokal <termine@joblokal.example>\nBcc: alle@example.org"},
        {"message_id": "<1.a@joblokal.example>\r\nBcc: alle@example.org"},
    ],
)
def test_a_line_break_in_a_header_is_refused(changes):
    with pytest.raises(ValueError):
        notice(**changes).as_bytes()


def test_the_date_is_the_given_moment_and_the_to_header_may_be_replaced():
    moment = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    raw = notice(to="kunde@müller.example").as_bytes(to="kunde@xn--mller-kva.example", date=moment)
    message = parsed(raw)
    assert message["Date"].datetime == moment
    assert str(message["To"]) == "kunde@xn--mller-kva.example"


def test_each_message_has_its_own_boundaries():
    first, second = notice().as_bytes(), notice().as_bytes()
    boundary = parsed(first).get_boundary()
    assert boundary.startswith("=_") and boundary.encode() not in second


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_the_django_message_for_other_backends_has_the_same_content(language):
    sent = notice(language)
    ours = parts(parsed(sent.as_bytes()))
    django = sent.as_email()
    theirs = parts(parsed(django.message(policy=email.policy.SMTP).as_bytes()))
    assert str(parsed(sent.as_bytes())["Subject"]) == django.subject == sent.subject
    for kind in ("text/plain", "text/html", "text/calendar"):
        mine = ours[kind].get_content().replace("\r\n", "\n")
        assert mine == theirs[kind].get_content().replace("\r\n", "\n"), kind
    assert django.extra_headers["Message-ID"] == sent.message_id


@given(st.from_regex(mime.PLAIN_ADDRESS, fullmatch=True))
def test_a_plain_address_taken_as_it_is_is_what_the_parsing_path_gives(address):
    assert mime.encode_address("To", address) == mime._named_address("To", address) == address
