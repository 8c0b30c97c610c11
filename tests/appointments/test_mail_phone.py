"""Every mail carries the operator's phone number, in every language it is written in:
the line lives in the shared mail templates, so no notice can lose it."""

import email
import email.policy

import pytest
from django.conf import settings
from django.test import override_settings

from appointments.messages import make_message
from appointments.models import MailKind
from tests import factories

pytestmark = pytest.mark.django_db

LINES = {
    "de": "Fragen? Rufen Sie an: 05141 123456",
    "en": "Questions? Call us: 05141 123456",
    "uk": "Питання? Телефонуйте: 05141 123456",
}


@pytest.fixture
def context():
    day = factories.day()
    booking, _token = factories.booking(day.slots.first())
    return {
        "booking": booking,
        "day": day,
        "site": day.site,
        "days": [day],
        "slots": [],
        "needs": {"step_free": 0, "child": 0},
        "site_url": settings.SITE_URL,
        "operator": settings.OPERATOR,
        "manage_url": settings.SITE_URL + "/termin/x/",
    }


@pytest.mark.parametrize("language", sorted(LINES))
@pytest.mark.parametrize("kind", MailKind.values)
def test_every_mail_kind_gives_the_phone_number(kind, language, context):
    operator = {**settings.OPERATOR, "phone": "05141 123456"}
    with override_settings(OPERATOR=operator):
        message = make_message(kind, to="a@example.org", language=language, context=context)
    assert message.body.count(LINES[language]) == 1, message.body
    assert message.html.count(LINES[language]) == 1, message.html
    # The bytes that go over SMTP say the same, in both alternatives.
    sent = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    parts = {p.get_content_type(): p.get_content() for p in sent.walk() if not p.is_multipart()}
    assert parts["text/plain"].replace("\r\n", "\n") == message.body
    assert parts["text/html"].replace("\r\n", "\n") == message.html
    assert str(sent["Subject"]) == message.subject
