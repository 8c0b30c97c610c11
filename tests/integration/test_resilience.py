"""Resilience (issue 12): the app, served over HTTP, against a closed broker port, a closed
cache port, and a database whose connections are terminated between requests. Every
public and staff action answers as the README documents, with no 5xx:

- broker down: every action answers as normal; mail waits in the outbox, and once a
  broker is reachable again the sweep sends every mail exactly once;
- cache down: rate limits fail open (a logged warning), everything else answers as normal;
- database connections killed: the next request opens a new connection (health check).
"""

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from appointments import outbox
from appointments.models import Booking, MailStatus, OutgoingMail
from tests import factories
from tests.integration.conftest import ROOT, free_port, publishing_to, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@dataclass
class Answer:
    status: int
    text: str
    location: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # every status is recorded as it came


class Browser:
    """A cookie-keeping HTTP client that records the status of every request."""

    def __init__(self, base: str):
        self.base, self.jar, self.answers = base, http.cookiejar.CookieJar(), []
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        self.after_each = lambda: None

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def go(self, method: str, path: str, data: dict | None = None) -> Answer:
        body, headers = None, {"Accept-Language": "de"}
        if method == "POST":
            fields = {"csrfmiddlewaretoken": self.csrf(), **(data or {})}
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, body, headers, method=method)
        try:
            with self.opener.open(request, timeout=30) as response:
                answer = Answer(response.status, response.read().decode(), "")
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, error.read().decode(), error.headers.get("Location", ""))
        self.answers.append((method, path, answer.status))
        self.after_each()
        return answer

    def get(self, path):
        return self.go("GET", path)

    def post(self, path, data=None):
        return self.go("POST", path, data)


def expect(answer: Answer, status: int, what: str) -> Answer:
    assert answer.status == status, f"{what}: {answer.status}\n{answer.text[:3000]}"
    return answer


def walk_public(browser: Browser, world, erase: bool = True) -> None:
    """The client's whole path: find a day, book, manage, move, cancel, wait, erase."""
    day, full = world.public_day, world.full_day
    slots = list(day.slots.order_by("starts_at"))
    expect(browser.get("/"), 200, "start page")
    expect(browser.get("/freie-termine/"), 200, "first free slots")
    expect(browser.get(f"/tag/{day.pk}/"), 200, "day page")
    expect(browser.get(f"/buchen/{slots[0].pk}/"), 200, "booking form")
    booked = browser.post(
        f"/buchen/{slots[0].pk}/",
        {
            "name": "Rita Robust",
            "email": "rita@example.org",
            "consent": "on",
            "website": "",
            "submission_key": "r" * 32,
        },
    )
    expect(booked, 302, "booking")
    page = expect(browser.get(booked.location), 200, "confirmation").text
    token = re.search(r"/termin/([A-Za-z0-9_-]+)/", page).group(1)
    expect(browser.get(f"/termin/{token}/"), 200, "manage page")
    expect(browser.get(f"/termin/{token}/termin.ics"), 200, "calendar file")
    expect(browser.get(f"/termin/{token}/meine-daten.json"), 200, "data export")
    expect(browser.post(f"/termin/{token}/verschieben/", {"slot": slots[1].pk}), 302, "move")
    expect(browser.post(f"/termin/{token}/absagen/", {"reason": "krank"}), 302, "cancel")
    expect(browser.get(f"/tag/{full.pk}/warteliste/"), 200, "waiting-list form")
    joined = browser.post(
        f"/tag/{full.pk}/warteliste/",
        {"name": "Wim Warte", "email": "wim@example.org", "consent": "on", "website": ""},
    )
    expect(joined, 302, "join the waiting list")
    expect(browser.get(joined.location), 200, "waiting-list confirmation")
    if erase:  # erasing withdraws the booking's mail that has not gone out yet
        expect(browser.post(f"/termin/{token}/daten-loeschen/", {"confirm": "on"}), 302, "erase")
    expect(browser.get("/healthz"), 200, "health check")


def walk_staff(browser: Browser, world) -> None:
    """A coach's day and an administrator's cancelling of a day."""
    booking = world.booking
    expect(browser.get("/team/anmelden/"), 200, "login form")
    login = {"username": "alice", "password": "pw-alice"}
    expect(browser.post("/team/anmelden/", login), 302, "login")
    expect(browser.get("/team/"), 200, "my day")
    expect(browser.get(f"/team/termine/{booking.pk}/"), 200, "booking page")
    for action in ("erschienen", "zuruecksetzen", "nicht-erschienen", "zuruecksetzen"):
        expect(browser.post(f"/team/termine/{booking.pk}/{action}/"), 302, action)
    expect(browser.post(f"/team/termine/{booking.pk}/erschienen/"), 302, "attended again")
    outcome = {"codes": ["advice"], "note": "gut", "follow_up_on": ""}
    expect(browser.post(f"/team/termine/{booking.pk}/ergebnis/", outcome), 302, "outcome")
    expect(browser.get(f"/team/tage/{world.day.pk}/ohne-termin/"), 200, "walk-in form")
    walk_in = {
        "slot": world.day.slots.order_by("starts_at")[1].pk,
        "name": "Paul Pohl",
        "submission_key": "w" * 32,
    }
    expect(browser.post(f"/team/tage/{world.day.pk}/ohne-termin/", walk_in), 302, "walk-in")
    expect(browser.get(f"/team/tage/{world.day.pk}/drucken/"), 200, "print view")
    expect(browser.get("/team/nachfassen/"), 200, "follow-ups")
    expect(browser.post("/team/abmelden/"), 302, "logout")
    expect(browser.get("/team/passwort/"), 200, "password-reset form")
    expect(browser.post("/team/passwort/", {"email": "alice@example.org"}), 302, "reset")
    expect(browser.get("/admin/login/"), 200, "admin login form")
    admin_login = {"username": "admin", "password": "pw-admin", "next": "/admin/"}
    expect(browser.post("/admin/login/", admin_login), 302, "admin login")
    expect(browser.get("/admin/"), 200, "admin index")
    expect(browser.get(f"/admin/appointments/booking/{booking.pk}/change/"), 200, "booking")
    cancel = "/admin/appointments/outreachday/cancel/"
    ids = str(world.other_day.pk)
    expect(browser.get(f"{cancel}?ids={ids}"), 200, "cancel-day form")
    expect(browser.post(cancel, {"ids": ids, "reason": "Sturm"}), 302, "cancel a day")


def no_server_errors(browser: Browser) -> None:
    errors = [answer for answer in browser.answers if answer[2] >= 500]
    assert errors == [], errors
    assert len(browser.answers) >= 35


@pytest.fixture
def resilience_world(world):
    world.public_day = factories.day(on=factories.future_date(10), seats=2)
    world.full_day = factories.day(on=factories.future_date(11), seats=1)
    for slot in world.full_day.slots.all():
        factories.booking(slot)
    world.alice.user.set_password("pw-alice")
    world.alice.user.save()
    world.admin.set_password("pw-admin")
    world.admin.save()
    return world


def walk_everything(live_server, world, erase: bool = True) -> Browser:
    browser = Browser(live_server.url)
    walk_public(browser, world, erase)
    walk_staff(browser, world)
    return browser


def test_with_the_broker_down_every_action_answers_and_mail_follows_once(
    live_server, resilience_world, workers, smtp_server, redis_url, caplog
):
    already = set(OutgoingMail.objects.values_list("pk", flat=True))
    with publishing_to(f"redis://127.0.0.1:{free_port()}/0"):
        browser = walk_everything(live_server, resilience_world, erase=False)
    no_server_errors(browser)
    waiting = OutgoingMail.objects.exclude(pk__in=already)
    kinds = set(waiting.values_list("kind", flat=True))
    assert {"booking_confirmed", "booking_moved", "booking_cancelled"} <= kinds, kinds
    assert set(waiting.values_list("status", flat=True)) == {MailStatus.QUEUED}, list(
        waiting.values_list("kind", "status", "last_error")
    )
    assert "not handed to the broker" in caplog.text

    # The broker is back: the sweep (beat, every few minutes) hands every row over again.
    workers.start(smtp_server.port)
    with publishing_to(redis_url):
        assert outbox.requeue_stuck_mail(older_than=timedelta(0)) == waiting.count()
        wait_for(
            lambda: not waiting.exclude(status__in=[MailStatus.SENT, MailStatus.SKIPPED]).exists(),
            60,
            "every waiting mail handled",
        )
    sent = waiting.filter(status=MailStatus.SENT).count()
    wait_for(lambda: len(smtp_server.messages()) >= sent, 10, "messages at the SMTP server")
    arrived = Counter(m["Message-ID"] for m in smtp_server.messages())
    assert len(arrived) == sent and set(arrived.values()) == {1}, arrived


def test_with_the_cache_down_every_action_answers(live_server, resilience_world, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "joblokal.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    browser = walk_everything(live_server, resilience_world)
    no_server_errors(browser)
    assert "the cache is unreachable" in caplog.text
    health = Browser(live_server.url).get("/healthz")
    assert (health.status, '"cache": "error"' in health.text) == (200, True)
    assert Booking.objects.filter(name="Rita Robust").exists() is False  # erased at the end


@pytest.fixture
def gunicorn(tmp_path, test_database_url, redis_url):
    """The app under gunicorn (one sync worker keeps its database connection between
    requests, as in production), on the test database."""
    import redis

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env |= {
        "DATABASE_URL": test_database_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": redis_url,
        "JOBLOKAL_VAR_DIR": str(tmp_path / "var"),
        "MAIL_BACKEND": "console",
    }
    log = tmp_path / "gunicorn.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "joblokal.wsgi", "--workers", "1"]
        + ["--bind", f"127.0.0.1:{port}", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def up():
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        return proc.poll() is not None

    wait_for(up, 30, "gunicorn start")
    assert proc.poll() is None, log.read_text()[-3000:]
    yield f"http://127.0.0.1:{port}"
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)
    redis.Redis.from_url(redis_url).flushdb()


def test_with_database_connections_killed_between_requests_every_action_answers(
    gunicorn, resilience_world
):
    # The server process cannot read the test run's fast password hashes.
    for user, password in (
        (resilience_world.alice.user, "pw-alice"),
        (resilience_world.admin, "pw-admin"),
    ):
        user.password = PBKDF2PasswordHasher().encode(password, "resiliencesalt", iterations=1000)
        user.save(update_fields=["password"])
    killed = []

    def kill_other_connections():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            killed.append(cursor.fetchone()[0])

    browser = Browser(gunicorn)
    browser.after_each = kill_other_connections
    walk_public(browser, resilience_world)
    walk_staff(browser, resilience_world)
    no_server_errors(browser)
    # The server kept its connection between requests, and lost it each time.
    assert sum(killed) >= len(browser.answers) // 2, killed
