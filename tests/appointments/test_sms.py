"""SMS backends and texts: each backend delivers or says whether a failure may heal, and
every notice fits 320 characters in every language with no more than it must say."""

import json
import socket
from datetime import time, timedelta

import pytest
from django.utils import timezone

from appointments import sms, sms_texts
from appointments.models import MailKind, OutgoingMail, WaitlistEntry, WaitlistStatus
from appointments.models.outbox import SMS_KINDS, MessageChannel
from tests import factories as f
from tests.sms_gateway import Gateway

MESSAGE = sms.TextMessage(to="+491712345678", body="Hallo Anna,\nIhr Termin.", reference="jl1-ab")
LANGUAGES = ["de", "en", "uk", "ar", "tr", "de-ls"]


@pytest.fixture
def gateway(settings):
    gateway = Gateway().start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP = {
        "url": gateway.url,
        "auth_header": "X-Api-Key",
        "auth_value": "secret-key",
        "format": "json",
        "field_to": "to",
        "field_text": "text",
        "field_sender": "from",
        "field_reference": "reference",
        "timeout": 1,
    }
    yield gateway
    gateway.stop()


def test_the_tests_keep_messages_in_memory(sms_outbox):
    sms.send_sms(MESSAGE)
    assert sms_outbox == [MESSAGE]


def test_the_file_backend_writes_one_file_per_message(settings, tmp_path):
    settings.SMS_BACKEND, settings.SMS_FILE_DIR = "file", tmp_path / "sms"
    sms.send_sms(MESSAGE)
    sms.send_sms(MESSAGE)
    files = sorted((tmp_path / "sms").iterdir())
    assert len(files) == 2
    text = files[0].read_text()
    assert "To: +491712345678" in text and "Hallo Anna,\nIhr Termin." in text


def test_the_console_backend_prints(settings, capsys):
    settings.SMS_BACKEND = "console"
    sms.send_sms(MESSAGE)
    assert "+491712345678" in capsys.readouterr().out


def test_the_http_backend_posts_the_configured_fields(gateway):
    sms.send_sms(MESSAGE)
    (request,) = gateway.delivered()
    assert request.fields == {
        "to": "+491712345678",
        "text": "Hallo Anna,\nIhr Termin.",
        "from": "JobLokal",
        "reference": "jl1-ab",
    }
    assert request.headers["X-Api-Key"] == "secret-key"


def test_the_http_backend_can_post_a_form_with_other_field_names(gateway, settings):
    settings.SMS_HTTP |= {"format": "form", "field_to": "number", "field_reference": ""}
    sms.send_sms(MESSAGE)
    (request,) = gateway.delivered()
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.fields["number"] == "+491712345678" and "reference" not in request.fields


@pytest.mark.parametrize(("status", "permanent"), [(503, False), (500, False), (429, False)])
def test_a_gateway_error_that_may_heal_is_transient(gateway, status, permanent):
    gateway.status = status
    with pytest.raises(sms.SmsGatewayError) as caught:
        sms.send_sms(MESSAGE)
    assert caught.value.permanent is permanent and caught.value.status == status
    assert "+49" not in str(caught.value)  # no number in what gets logged


@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_a_refused_message_is_permanent(gateway, status):
    gateway.status = status
    with pytest.raises(sms.SmsGatewayError) as caught:
        sms.send_sms(MESSAGE)
    assert caught.value.permanent is True


def test_a_gateway_that_hangs_past_the_timeout_is_transient(gateway):
    gateway.hang_next, gateway.hang_seconds = 1, 2.5
    with pytest.raises(sms.SmsGatewayError) as caught:
        sms.send_sms(MESSAGE)
    assert caught.value.permanent is False
    assert gateway.delivered() == []


def test_an_unreachable_gateway_is_transient(gateway, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.SMS_HTTP |= {"url": f"http://127.0.0.1:{port}/send"}
    with pytest.raises(sms.SmsGatewayError) as caught:
        sms.send_sms(MESSAGE)
    assert caught.value.permanent is False


@pytest.mark.parametrize(
    ("number", "takes"),
    [
        ("+491712345678", True),
        ("0171 2345678", True),
        ("+4951412345", False),  # a landline in Celle
        ("+12015550123", True),  # US numbering does not tell mobile from landline
        ("", False),
        ("abc", False),
    ],
)
def test_it_knows_which_numbers_take_an_sms(number, takes):
    assert sms.takes_sms(number) is takes


# --- Texts -----------------------------------------------------------------------------


def _rows(language):
    """One SMS row per notice kind, for a client with a long name at a long venue."""
    municipality = f.municipality(name="Samtgemeinde Wathlingen-Nienhagen-Adelheidsdorf")
    site = f.site(municipality, name="Rathaus der Samtgemeinde, Großer Sitzungssaal")
    day = f.day(site_=site, on=f.future_date(9), start=time(9), end=time(12), seats=3)
    slot = day.slots.first()
    booking, _ = f.booking(
        slot,
        name="Maximiliane-Alexandra Würzburger-Schmidt",
        email="",
        phone="0171 2345678",
        sms_consent=True,
        language=language,
    )
    entry = WaitlistEntry.objects.create(
        day=day,
        name="Maximiliane-Alexandra Würzburger-Schmidt",
        email="w@example.org",
        phone="+491712345678",
        sms_consent=True,
        language=language,
        token_hash=f"x{language}",
        status=WaitlistStatus.OFFERED,
        offered_slot=slot,
        offer_expires_at=timezone.now() + timedelta(hours=24),
    )
    rows = []
    for kind in sorted(SMS_KINDS):
        is_offer = kind == MailKind.WAITLIST_OFFER
        rows.append(
            OutgoingMail(
                pk=987654,
                kind=kind,
                channel=MessageChannel.SMS,
                key=f"sms:{kind}:{booking.pk}:0:20261129T120000",
                booking=None if is_offer else booking,
                waitlist_entry=entry if is_offer else None,
                context={"slot_id": slot.pk} if is_offer else {},
            )
        )
    return rows


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_fits_320_characters_and_names_no_more_than_it_must(language, settings):
    settings.OPERATOR = settings.OPERATOR | {"phone": "05141 123 456 789"}
    for row in _rows(language):
        token = "A" * 26 if row.kind in sms_texts.SHORT_LINK_KINDS else None
        message = sms_texts.build_text(row, short_token=token)
        assert len(message.body) <= 320, (row.kind, language, len(message.body), message.body)
        assert message.to == "+491712345678"
        assert "Maximiliane-Alexand…" in message.body  # cut at 20 characters
        assert "Würzburger" not in message.body  # the first name only
        assert "Marktplatz" not in message.body  # no street
        assert "05141 123 456 789" in message.body
        if row.kind not in {MailKind.BOOKING_CANCELLED, MailKind.WAITLIST_OFFER}:
            assert "Rathaus der Samtgemeinde, Großer Sitzun…" in message.body
        assert "@" not in message.body  # no email address
        booking = row.booking or row.waitlist_entry
        if row.booking:
            assert booking.reference not in message.body
        if token:
            assert f"/k/{token}/" in message.body
        assert "http://127.0.0.1:8000/" in message.body


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "uk", "ar", "tr", "de-ls"])
def test_every_text_is_in_the_clients_language(language):
    german = {row.kind: sms_texts.build_text(row, short_token="A" * 26).body for row in _rows("de")}
    for row in _rows(language):
        body = sms_texts.build_text(row, short_token="A" * 26).body
        first_line_of_news = body.splitlines()[1]
        assert first_line_of_news not in german[row.kind], (language, row.kind, body)


@pytest.mark.django_db
def test_the_reference_is_stable_per_row_and_unguessable():
    (row, *_) = _rows("de")
    first, second = sms_texts.reference(row), sms_texts.reference(row)
    assert first == second and first.startswith("jl987654-") and len(first) > 20


def test_the_gateway_records_json_bodies_as_sent():
    gateway = Gateway().start()
    try:
        import urllib.request

        request = urllib.request.Request(
            gateway.url, data=json.dumps({"to": "x"}).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=2) as response:
            assert response.status == 200
        assert gateway.delivered()[0].fields == {"to": "x"}
    finally:
        gateway.stop()
