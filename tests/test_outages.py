"""A broker or cache outage does not turn a committed booking into an error page (issue
12, defects 1 and 2). The resilience suite in tests/integration repeats this for every
action against a running server; these are the quick checks of each guard."""

import logging

import pytest
from django.urls import reverse

from appointments.models import Booking, MailStatus, OutgoingMail
from joblokal.settings import redis_caches
from tests import factories
from tests.appointments.test_booking_form import form_data
from tests.integration.conftest import free_port, publishing_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_port():
    return free_port()  # nothing listens there


def test_a_booking_succeeds_while_the_broker_is_down(
    client, closed_port, caplog, django_capture_on_commit_callbacks
):
    slot = factories.day().slots.first()
    with (
        publishing_to(f"redis://127.0.0.1:{closed_port}/0"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"/buchen/{slot.pk}/", form_data(slot.day))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    booking = Booking.objects.get()
    assert booking.reference in page and "/termin/" in page
    # The mail waits in the outbox for the sweep, and the log says so without the address.
    assert OutgoingMail.objects.get().status == MailStatus.QUEUED
    assert "not handed to the broker (OperationalError)" in caplog.text
    assert "maria@example.org" not in caplog.text


def test_a_cancel_succeeds_while_the_broker_is_down(
    client, closed_port, django_capture_on_commit_callbacks
):
    booking, token = factories.booking(factories.day().slots.first())
    with (
        publishing_to(f"redis://127.0.0.1:{closed_port}/0"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"/termin/{token}/absagen/", {"reason": ""})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_a_booking_succeeds_while_the_cache_is_down(client, settings, closed_port, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "joblokal.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    caplog.set_level(logging.WARNING)
    slot = factories.day().slots.first()
    response = client.post(f"/buchen/{slot.pk}/", form_data(slot.day))
    assert response.status_code == 302
    assert Booking.objects.count() == 1
    assert "Rate limit public-post not checked, the cache is unreachable" in caplog.text
    assert "127.0.0.1" not in caplog.text.split("cache is unreachable")[1].split("\n")[0]
    # The login and its lockout do not depend on the cache (django-axes keeps its counts
    # in the database).
    login = client.post("/team/anmelden/", {"username": "nobody", "password": "wrong"})
    assert login.status_code == 200


def test_the_cached_pages_render_while_the_cache_is_down(client, settings, closed_port):
    """The day page, the booking form and the start page keep shared copies in the cache;
    without it they render from the database, with the same content."""
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{closed_port}/0")
    day = factories.day()
    slot = day.slots.first()
    for path in ("/", f"/tag/{day.pk}/", f"/buchen/{slot.pk}/"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert day.site.municipality.name in client.get("/").content.decode()
    assert f"/buchen/{slot.pk}/" in client.get(f"/tag/{day.pk}/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in client.get(f"/buchen/{slot.pk}/").content.decode()


def test_the_manage_page_renders_while_the_cache_is_down(client, settings, closed_port):
    """The manage page keeps its rendered copy in the cache; without it the page is
    rendered from the database, and the secret link is still checked."""
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{closed_port}/0")
    booking, token = factories.booking(factories.day().slots.first())
    for _ in range(2):
        response = client.get(f"/termin/{token}/")
        assert response.status_code == 200
        body = response.content.decode()
        assert booking.reference in body and f"/termin/{token}/absagen/" in body
        assert 'name="csrfmiddlewaretoken"' in body
    assert client.get(f"/termin/{token}/verschieben/").status_code == 200
    assert client.get(f"/termin/{token}x/").status_code == 404


def test_the_statistics_render_while_the_cache_is_down(admin_client, settings, closed_port):
    """The statistics page keeps its filter and tables as template fragments in the
    cache; without it they are rendered afresh."""
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{closed_port}/0")
    factories.day()
    response = admin_client.get(reverse("admin:appointments_statistics"))
    assert response.status_code == 200
    assert "<table" in response.content.decode()
