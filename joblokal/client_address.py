"""The client's address, for rate limits, the login lockout and the per-address booking cap.

Behind proxies, `REMOTE_ADDR` is the nearest proxy and `X-Forwarded-For` a comma list that
the client can start with anything it likes. Each trusted proxy appends the address it saw,
so only the right-most entries are trustworthy: with TRUSTED_PROXY_HOPS = n, the client is
the n-th address counted from the right of `X-Forwarded-For, REMOTE_ADDR`, the right-most
one no trusted proxy vouches for. Forged entries further left are never read.
"""

import ipaddress

from django.conf import settings
from django.utils.crypto import salted_hmac

# Entries no proxy would write: a forged or broken header must not reach a rate-limit key.
MAX_ENTRY = 64
UNKNOWN = "0.0.0.0"  # noqa: S104 (a placeholder, never bound)


def parse_address(raw: str) -> str | None:
    """One address from a header entry (IPv4, IPv6, optional brackets or port), or None."""
    value = raw.strip()
    if not value or len(value) > MAX_ENTRY:
        return None
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # 203.0.113.9:51234
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def address_chain(meta: dict) -> list[str]:
    """Every hop the request claims, left (client side) to right (this server's peer)."""
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR", ""))
    entries = [item for item in forwarded.split(",") if item.strip()] if forwarded else []
    return [*entries, str(meta.get("REMOTE_ADDR", ""))]


def client_address_from(meta: dict, trusted_hops: int) -> str:
    """The client address for a request's META and a number of trusted proxies."""
    peer = parse_address(str(meta.get("REMOTE_ADDR", ""))) or UNKNOWN
    if trusted_hops <= 0:
        return peer
    chain = address_chain(meta)
    # A chain shorter than the proxies we expect: the outermost entry is the best we know.
    candidate = chain[-(trusted_hops + 1)] if len(chain) > trusted_hops else chain[0]
    # Garbage where a trusted proxy should have written an address means a misconfigured
    # proxy: fall back to the peer, which limits too much rather than too little.
    return parse_address(candidate) or peer


def client_address(request) -> str:
    """The address of the client behind the configured number of trusted proxies."""
    return client_address_from(request.META, settings.TRUSTED_PROXY_HOPS)


def client_network(address: str) -> str:
    """The unit a limit counts: an IPv4 address, or the /64 an IPv6 client can roam in."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return address


def address_key(request) -> str:
    """A keyed hash of the client's network, so booking rows never store an address."""
    network = client_network(client_address(request))
    return salted_hmac("joblokal.client-address", network, algorithm="sha256").hexdigest()[:32]
