"""Caching what only saves work: the `{% cache %}` fragments' Redis backend, and the reads
and writes of kept page copies. Either way an unreachable cache is a miss and a dropped
write, logged, never an error page."""

import logging

from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.middleware.csrf import get_token
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class _OneClientPerPool(RedisCacheClient):
    """Django builds a new redis.Redis object for every cache call, which sets up its
    table of about 170 response callbacks each time: a tenth of a millisecond on every
    cached page. A redis.Redis object is thread-safe and takes its connections from the
    pool, so one per pool does the same work."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        # Pools live as long as this object, so their ids stay theirs.
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, with one client per connection pool."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool


class FailOpenRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            logger.warning(
                "Cache read skipped, the cache is unreachable (%s).", type(error).__name__
            )
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            logger.warning(
                "Cache write skipped, the cache is unreachable (%s).", type(error).__name__
            )


# --- Kept copies of pages and parts of pages ---------------------------------------------
# Every page that keeps a rendered copy in the default cache reads and writes it through
# these: an unreachable cache (Redis down, a full disk under the file cache) is a miss and
# a dropped write, logged with the key's first part only (never personal data), and never
# an error page. The copies only save work.


# Rendered in place of the CSRF token in every kept copy, put in per request.
CSRF_MARK = "jl-csrf-mark-5b1e"


def with_csrf_token(request, html: str) -> str:
    """A kept copy with this visitor's CSRF token in place of the mark."""
    return html.replace(CSRF_MARK, get_token(request))


def read_current(key: str | None, now):
    """The entry kept under key while `now` is before its `until`, else None; a page
    rendered but never stored has no key."""
    entry = read(key) if key is not None else None
    return entry if entry is not None and now < entry.until else None


def write_until(key: str | None, entry, now) -> None:
    """Keep an entry (anything with an `until`) until that moment."""
    if key is not None:
        write(key, entry, (entry.until - now).total_seconds())


def read(key: str):
    """The value kept under key, or None."""
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - see above
        _skipped("read", key)
        return None


def read_many(keys) -> dict:
    keys = list(keys)
    try:
        return cache.get_many(keys)
    except Exception:  # noqa: BLE001 - see above
        _skipped("read", keys[0] if keys else "")
        return {}


def write(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, max(1, int(seconds)))
    except Exception:  # noqa: BLE001 - see above
        _skipped("write", key)


def write_many(entries: dict, seconds: int) -> None:
    if not entries:
        return
    try:
        cache.set_many(entries, max(1, int(seconds)))
    except Exception:  # noqa: BLE001 - see above
        _skipped("write", next(iter(entries)))


def forget_many(keys) -> None:
    keys = list(keys)
    try:
        cache.delete_many(keys)
    except Exception:  # noqa: BLE001 - see above; the entries expire on their own
        _skipped("delete", keys[0] if keys else "")


def _skipped(what: str, key: str) -> None:
    logger.warning(
        "Cache %s skipped for %s, the cache is unreachable.",
        what,
        key.split(":", 1)[0],
        exc_info=True,
    )
