import os
import shutil
import subprocess

import pytest

# The sync Playwright API runs an event loop in the test thread; Django must allow ORM
# calls from it when live_server tests drive a browser.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() == "true"

# The named personas (alice, bob, carla, anonymous, admin) for every test package.
pytest_plugins = ["tests.personas"]


def require(available: bool, reason: str) -> None:
    """Skip when a service is missing on a laptop; fail in CI, where nothing may skip."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skip is a failure: every test must run there."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which is not allowed: {report.longrepr}"


def pytest_configure(config):
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Text messages stay in memory (appointments.sms.outbox), as mail does in Django's
    # test outbox; a test that needs the file or http backend sets it itself.
    settings.SMS_BACKEND = "locmem"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": f"/tmp/joblokal-test-cache-{os.getpid()}-{worker}",
        }
    }


@pytest.fixture(scope="session", autouse=True)
def celery_eager():
    """Run tasks in-process. Setting the Django setting inside a test does not reach an
    already configured app, so the app's own config is changed."""
    from joblokal.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def sms_outbox():
    """The text messages sent during the test, emptied before each test."""
    from appointments import sms

    sms.outbox.clear()
    yield sms.outbox


@pytest.fixture(autouse=True)
def smtp_thread_connection():
    """A worker's SMTP thread keeps a database connection of its own across batches
    (appointments.outbox_marks); after each test it is closed, as the test's own is, so
    no connection outlives the test database."""
    yield
    from django.db import connections

    from appointments import mailer

    if mailer._sender["pid"] == os.getpid():
        mailer.mail_sender().submit(connections.close_all).result()


@pytest.fixture(autouse=True)
def clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def postgres(db):
    from django.db import connection

    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")


def redis_available(url: str) -> bool:
    try:
        import redis

        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return False


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        # Each parallel test process gets its own Redis database, so one process's
        # Celery worker never takes another's tasks.
        base, _, db = url.rpartition("/")
        url = f"{base}/{(int(db or 0) + int(worker[2:]) + 1) % 16}"
    require(redis_available(url), f"needs Redis at {url}")
    return url


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )


def java_available() -> bool:
    try:
        return subprocess.run(["java", "-version"], capture_output=True).returncode == 0
    except OSError:
        return False
