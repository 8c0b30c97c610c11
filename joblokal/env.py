"""Readers for environment variables that fail loudly on nonsense.

Each raises ImproperlyConfigured naming the variable, so a typo in a deployment stops
start-up with a message instead of running with a silently wrong value.
"""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envintlist(name: str, default: list[int], *, minimum: int = 0) -> list[int]:
    items = envlist(name, [str(v) for v in default])
    try:
        values = [int(v) for v in items]
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a comma-separated list of whole numbers, not {os.environ[name]!r}."
        ) from None
    if any(v < minimum for v in values):
        raise ImproperlyConfigured(f"{name} values must be at least {minimum}.")
    return values


def envchoice(name: str, choices: list[str], default: str) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value
