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
        assert all(isinstance(a, int) for a in args or ()), (task, args)
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
