"""A Redis cache for what only saves work (the `{% cache %}` fragments): an unreachable
Redis is a miss and a dropped write, logged, never an error page."""

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


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
