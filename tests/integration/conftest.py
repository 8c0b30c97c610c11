"""Real processes for the mail integration tests: an aiosmtpd server in this process, a
`celery worker` subprocess on the machine's Redis, both pointed at the test database."""

import asyncio
import contextlib
import email
import email.policy
import logging
import mailbox
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class SmtpServer:
    """aiosmtpd storing every message it accepts in a maildir; with a delay, it takes
    that long to answer each message (a busy server), so a test can act mid-batch."""

    def __init__(self, directory: Path, port: int, delay: float = 0):
        self.directory, self.port, self.controller = directory, port, None
        self.delay = delay

    def start(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Mailbox

        delay = self.delay

        class SlowMailbox(Mailbox):
            async def handle_DATA(self, server, session, envelope):
                await asyncio.sleep(delay)
                return await super().handle_DATA(server, session, envelope)

        handler = (SlowMailbox if delay else Mailbox)(str(self.directory))
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[email.message.EmailMessage]:
        if not (self.directory / "new").exists():
            return []
        box = mailbox.Maildir(str(self.directory), factory=None, create=False)
        return [
            email.message_from_bytes(box.get_bytes(k), policy=email.policy.default)
            for k in box.iterkeys()
        ]


@pytest.fixture
def smtp_server(tmp_path):
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = SmtpServer(tmp_path / "maildir", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def test_database_url(transactional_db):
    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")
    s = connection.settings_dict
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{host}:{port}/{s['NAME']}"


@contextlib.contextmanager
def publishing_to(url: str):
    """Make this process publish tasks to the broker instead of running them eagerly."""
    from joblokal.celery import app

    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager)

    def reset_pools():
        from kombu import pools

        pools.reset()  # closes and forgets the pools kombu keeps per connection URL
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url, app.conf.broker_transport_options = url, {"visibility_timeout": 7200}
    app.conf.task_always_eager = False
    reset_pools()
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved


class Workers:
    """Starts `celery worker` subprocesses in their own session, so a SIGKILL takes the
    main process and its pool children at once, as a crashed machine would."""

    def __init__(self, tmp_path, env):
        self.tmp_path, self.env, self.procs = tmp_path, env, []

    def start(self, smtp_port: int, concurrency: int = 2, **extra_env) -> subprocess.Popen:
        n = len(self.procs)
        log = self.tmp_path / f"worker{n}.log"
        env = self.env | {"SMTP_PORT": str(smtp_port)} | extra_env
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "joblokal",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"i4test{n}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.log = log
        self.procs.append(proc)
        wait_for(lambda: "ready." in log.read_text() or proc.poll() is not None, 60, "worker start")
        assert proc.poll() is None, log.read_text()[-3000:]
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {p.log.name}\n" + p.log.read_text()[-4000:] for p in self.procs)

    def kill(self, proc, sig=signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc, signal.SIGTERM)
            if proc.poll() is None:
                self.kill(proc, signal.SIGKILL)
            # Pool children of a killed main process are in the same session.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def workers(tmp_path, redis_url, test_database_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env |= {
        "DATABASE_URL": test_database_url,
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": redis_url,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_TIMEOUT": "3",
        "MAIL_RETRY_BACKOFF_SECONDS": "1",
        "MAIL_RETRY_BACKOFF_MAX_SECONDS": "2",
        "MAIL_MAX_RETRIES": "30",
        "JOBLOKAL_VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "INFO",
    }
    pool = Workers(tmp_path, env)
    yield pool
    pool.stop_all()
    redis.Redis.from_url(redis_url).flushdb()
