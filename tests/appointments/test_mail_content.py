"""What the client's mail says: the reason a day was cancelled, and with the confirmation
what to bring, how to get there, whom to call and the needs we recorded."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from appointments.services import cancel_day
from tests import factories

pytestmark = pytest.mark.django_db

EMAILS = Path(settings.BASE_DIR) / "templates" / "emails"


@pytest.fixture
def site():
    return factories.site(
        factories.municipality("Wathlingen"),
        name="Rathaus Wathlingen",
        directions="Eingang an der Rückseite.",
        bus_stop="Wathlingen Rathaus",
        bus_lines="Bus 12",
    )


def bodies(message) -> tuple[str, str]:
    (html, _mime), *_ = message.alternatives
    return message.body, html


def test_the_day_cancelled_mail_gives_the_reason(site, django_capture_on_commit_callbacks):
    day = factories.day(site)
    with django_capture_on_commit_callbacks(execute=True):
        factories.booking(day.slots.first())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_day(day=day, reason="Die Jobcoaches sind krank.")
    (message,) = mail.outbox
    text, html = bodies(message)
    assert "Grund: Die Jobcoaches sind krank." in text
    assert "Grund: Die Jobcoaches sind krank." in html


def test_the_confirmation_mail_has_what_the_page_shows(site, django_capture_on_commit_callbacks):
    day = factories.day(site)
    with django_capture_on_commit_callbacks(execute=True):
        factories.booking(
            day.slots.first(),
            need_step_free=True,
            need_child=True,
            interpreter_language="Arabisch",
            needs_other="Ich komme mit dem Rollator.",
        )
    (message,) = mail.outbox
    for body in bodies(message):
        assert "Bitte bringen Sie mit" in body
        assert "Ihren Ausweis oder Pass" in body
        assert "Eingang an der Rückseite." in body
        assert "Haltestelle Wathlingen Rathaus (Bus 12)" in body
        assert "https://www.openstreetmap.org/" in body
        assert f"Rufen Sie an: {settings.OPERATOR['phone']}" in body
        assert "Zugang ohne Stufen" in body
        assert "Sie bringen ein Kind mit." in body
        assert "Eine Person, die übersetzt: Arabisch" in body
        assert "Ich komme mit dem Rollator." in body


def test_the_confirmation_mail_is_in_english_too(site, django_capture_on_commit_callbacks):
    day = factories.day(site)
    with django_capture_on_commit_callbacks(execute=True):
        factories.booking(day.slots.first(), need_child=True, language="en")
    text, html = bodies(mail.outbox[0])
    assert "You are bringing a child." in text and "What you told us" in html


def test_every_html_body_extends_one_base_template():
    bodies = sorted(EMAILS.glob("*-body.html"))
    assert [p.name for p in bodies if p.name != "base-body.html"] == [
        "absence_flagged-body.html",
        "application_accepted-body.html",
        "application_declined-body.html",
        "application_received-body.html",
        "booking_cancelled-body.html",
        "booking_confirmed-body.html",
        "booking_moved-body.html",
        "cohort_cancelled-body.html",
        "cohort_published-body.html",
        "day_cancelled-body.html",
        "enrolment_confirmed-body.html",
        "password_reset-body.html",
        "programme_reminder-body.html",
        "reminder-body.html",
        "session_missed-body.html",
        "venue_cancelled-body.html",
        "venue_day_list-body.html",
        "venue_published-body.html",
        "waitlist_offer-body.html",
    ]
    for path in bodies:
        if path.name != "base-body.html":
            source = path.read_text()
            assert source.startswith('{% extends "emails/base-body.html" %}'), path.name
            assert "<html" not in source and "Ihr JobLokal-Team" not in source, path.name
