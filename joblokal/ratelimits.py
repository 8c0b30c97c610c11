"""Per-address rate limits that keep the site answering when the cache is down.

django-ratelimit counts in the cache and raises when the cache cannot be reached. A rate
limit only slows down scripts; refusing every client because Redis is down would be worse.
So the limit fails open: the request goes on, a warning is logged (without the address),
and the rules that really stop a book-out (one booking per person and day, the per-address
and per-session caps) are checked in the database, which does not depend on the cache.
"""

import functools
import logging

from django_ratelimit.core import is_ratelimited

from joblokal.client_address import client_address, client_network
from joblokal.views import ratelimited

logger = logging.getLogger(__name__)


def network_key(group, request) -> str:
    return client_network(client_address(request))


def over_limit(request, *, group: str, rate: str, method: str = "POST") -> bool:
    """Count this request and say whether its address is over the rate; False when the
    cache is unreachable (fail open, logged)."""
    try:
        return is_ratelimited(
            request, group=group, key=network_key, rate=rate, method=method, increment=True
        )
    except Exception as error:
        logger.warning(
            "Rate limit %s not checked, the cache is unreachable (%s).",
            group,
            type(error).__name__,
        )
        return False


def rate_limit(*, group: str, rate: str, method: str = "POST"):
    """Set `request.limited` for the view, as django-ratelimit's decorator with
    block=False does, but fail open when the cache is down."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            request.limited = getattr(request, "limited", False) or over_limit(
                request, group=group, rate=rate, method=method
            )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def refuse_over(*, group: str, rate: str, method: str = "POST"):
    """Answer 429 once an address is over the rate; fail open like `rate_limit`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if over_limit(request, group=group, rate=rate, method=method):
                return ratelimited(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
