"""Start-up refuses nonsense configuration with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start_django(**env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    environ.pop("DATABASE_URL", None)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environ | {"DJANGO_SETTINGS_MODULE": "joblokal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("BOOKING_OPENS_DAYS", "sixty"),
        ("REMINDER_LEAD_HOURS", "24,soon"),
        ("MAIL_BACKEND", "pigeon"),
        ("DATABASE_URL", "mysql://x@localhost/y"),
        ("JOBLOKAL_ENV", "staging"),
        ("RETENTION_DAYS", "0"),
    ],
)
def test_it_refuses_a_nonsense_value_naming_the_variable(variable, value):
    result = start_django(**{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_the_defaults_start():
    result = start_django()
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = start_django(
        JOBLOKAL_ENV="production",
        ALLOWED_HOSTS="x.example",
        DATABASE_URL="postgres://u:p@127.0.0.1/db",
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_on_sqlite():
    result = start_django(JOBLOKAL_ENV="production", ALLOWED_HOSTS="x.example", SECRET_KEY="k" * 60)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_production_starts_with_a_secret_key_and_postgres():
    result = start_django(
        JOBLOKAL_ENV="production",
        ALLOWED_HOSTS="x.example",
        SECRET_KEY="k" * 60,
        DATABASE_URL="postgres://u:p@127.0.0.1/db",
    )
    assert result.returncode == 0, result.stderr


def _database_options(**env) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    environ.update(env, DJANGO_SETTINGS_MODULE="joblokal.settings")
    code = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS'))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_postgresql_prepares_statements_unless_turned_off():
    url = "postgres://u:p@127.0.0.1:5432/x"
    options = _database_options(DATABASE_URL=url)
    assert "'server_side_binding': True" in options and "'prepare_threshold': 5" in options
    off = _database_options(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="false")
    assert "server_side_binding" not in off
