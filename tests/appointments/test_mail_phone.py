"""Every mail carries the operator's phone number, in every language it is written in:
the line lives in the shared mail templates, so no notice can lose it."""

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
    (html, _mime) = message.alternatives[0]
    assert message.body.count(LINES[language]) == 1, message.body
    assert html.count(LINES[language]) == 1, html
