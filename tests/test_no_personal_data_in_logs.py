"""No personal data in logs, task arguments or error reports."""

import logging

import pytest
from celery.app.task import Task
from django.core import mail
from django.views.debug import SafeExceptionReporterFilter

from appointments.models import Booking, Slot
from tests import factories

NAME = "Mariella Verschwiegen"
EMAIL = "mariella.verschwiegen@example.org"
PHONE = "0171 5550199"
NOTE = "Mein Kind ist chronisch krank"


@pytest.fixture
def published_tasks(monkeypatch):
    """Every task message, as it would be handed to the broker."""
    sent = []
    original = Task.apply_async

    def record(self, args=None, kwargs=None, **options):
        sent.append((self.name, args, kwargs))
        return original(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", record)
    return sent


def test_a_full_booking_run_leaves_no_personal_data_in_logs_or_tasks(
    client, db, caplog, published_tasks, django_capture_on_commit_callbacks
):
    day = factories.day(seats=1)
    first, second = list(day.slots.order_by("starts_at"))[:2]
    caplog.set_level(logging.DEBUG)

    client.get(f"/tag/{day.pk}/")
    client.get(f"/buchen/{first.pk}/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/buchen/{first.pk}/",
            {
                "name": NAME,
                "email": EMAIL,
                "phone": PHONE,
                "note": NOTE,
                "consent": "on",
                "need_child": "on",
                "website": "",
                "submission_key": "s" * 32,
            },
            follow=True,
        )
    assert response.status_code == 200
    booking = Booking.objects.get(email=EMAIL)
    manage = mail.outbox[0].body.split("/termin/")[1].split("/")[0]
    client.get(f"/termin/{manage}/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/termin/{manage}/verschieben/", {"slot": second.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/termin/{manage}/absagen/", {"reason": NOTE})
    client.post(f"/buchen/{Slot.objects.get(pk=first.pk).pk}/", {"name": NAME, "email": "bad"})

    assert len(mail.outbox) == 3  # confirmed, moved, cancelled: the whole run happened
    assert published_tasks, "the mail tasks were published"
    for task, args, kwargs in published_tasks:
        # Row ids only: one id, or a batch of them (a new booking's notices go as one).
        ids = [i for a in args or () for i in (a if isinstance(a, list) else [a])]
        assert all(isinstance(i, int) for i in ids), (task, args)
        assert not kwargs, (task, kwargs)
    logged = caplog.text + repr([r.args for r in caplog.records])
    for secret in (NAME, EMAIL, PHONE, NOTE, booking.reference, manage):
        assert secret not in logged
        assert secret not in repr(published_tasks)


def test_error_reports_hide_what_a_client_typed(client, db):
    slot = factories.day().slots.first()
    response = client.post(f"/buchen/{slot.pk}/", {"name": NAME, "email": EMAIL})
    request = response.wsgi_request
    shown = SafeExceptionReporterFilter().get_post_parameters(request)
    assert NAME not in repr(shown)
    assert EMAIL not in repr(shown)


def test_a_refused_recipient_is_logged_by_code_not_by_address(db, caplog):
    import smtplib
    from unittest import mock

    from appointments import outbox
    from appointments.models import OutgoingMail
    from appointments.tasks import send_outgoing_mail

    booking, _ = factories.booking(factories.day().slots.first(), email=EMAIL)
    row = OutgoingMail.objects.get(booking=booking)
    OutgoingMail.objects.filter(pk=row.pk).update(status="queued")
    caplog.set_level(logging.DEBUG)
    refused = smtplib.SMTPRecipientsRefused({EMAIL: (550, f"<{EMAIL}> unknown".encode())})
    with mock.patch.object(outbox, "send_message", side_effect=refused):
        send_outgoing_mail.run(row.pk)
    assert "failed permanently: SMTPRecipientsRefused (SMTP 550)" in caplog.text
    # A transient refusal is raised for Celery to log with its retry: without the address.
    OutgoingMail.objects.filter(pk=row.pk).update(status="queued")
    later = smtplib.SMTPRecipientsRefused({EMAIL: (450, f"<{EMAIL}> try later".encode())})
    with (
        mock.patch.object(outbox, "send_message", side_effect=later),
        pytest.raises(outbox.TransientMailError) as raised,
    ):
        send_outgoing_mail.run(row.pk)
    assert str(raised.value) == "SMTPRecipientsRefused (SMTP 450)"
    assert EMAIL not in caplog.text + repr([r.args for r in caplog.records])


def test_request_warnings_never_log_a_live_secret_link(db, caplog):
    from django.test import Client

    booking, token = factories.booking(factories.day().slots.first())
    caplog.set_level(logging.DEBUG)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/termin/{token}/absagen/", {"reason": "x"}).status_code == 403
    assert strict.get(f"/termin/{token}/gibt-es-nicht/").status_code == 404
    assert strict.get("/team/passwort/neu/MQ/abc-secret-reset/x/").status_code == 404
    assert strict.get(f"/gebucht/{booking.reference}/").status_code == 404
    logged = caplog.text + repr([r.args for r in caplog.records])
    assert "Forbidden (CSRF" in logged and "Not Found" in logged
    assert "/termin/***/" in logged
    for secret in (token, booking.reference, "abc-secret-reset"):
        assert secret not in logged


def test_the_console_handler_redacts_whatever_logger_wrote_a_secret_path():
    from joblokal.logs import RedactSecretPaths

    record = logging.LogRecord(
        "any", logging.WARNING, __file__, 1, "saw %s", ("/termin/s3cr3t/",), None
    )
    RedactSecretPaths().filter(record)
    assert record.getMessage() == "saw /termin/***/"
