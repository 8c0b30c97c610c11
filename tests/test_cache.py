"""The Redis cache JobLokal runs on: Django's, with one client per connection pool."""

from django.core.cache import caches

from joblokal.settings import redis_caches


def test_the_redis_cache_keeps_one_client_and_still_reads_and_writes(settings, redis_url):
    settings.CACHES = redis_caches(redis_url)
    for alias in ("default", "template_fragments"):
        cache = caches[alias]
        client = cache._cache.get_client()
        assert cache._cache.get_client(write=True) is client
        cache.set(f"jl-test-{alias}", {"a": 1}, 30)
        assert cache.get(f"jl-test-{alias}") == {"a": 1}
        cache.delete(f"jl-test-{alias}")
        assert cache._cache.get_client() is client
