"""Rate limits: sliding-window counters in DynamoDB, shared by every Lambda container.

Each limit counts hits per key (an address, a source IP, a user). Hits are kept per
fixed window in one global item ``LIMIT#<limit>:<sha256(key)>`` / window start, removed
by TTL; a hit is judged over the window that ends now: the previous window's hits are
weighed by how much of it still lies inside (the sliding-window estimate), and the
current window may hold only what they leave. So a burst at the end of one window and
another at the start of the next cannot together pass twice the limit, as they could
with fixed windows. One read of the previous count and one conditional update that
refuses the hit once the room is used up (concurrent hits never overshoot it). Keys are
hashed so no address or IP sits in a key.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

from gatehouse.clock import Clock, utc_now
from gatehouse.errors import TooManyRequests
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import get_directory


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window: timedelta


SIGN_IN_PER_ADDRESS = Limit("sign-in-address", 5, timedelta(minutes=15))
SIGN_IN_PER_SOURCE = Limit("sign-in-source", 30, timedelta(minutes=15))
EXCHANGE_PER_SOURCE = Limit("exchange-source", 30, timedelta(minutes=15))
TWO_FACTOR_PER_USER = Limit("two-factor-user", 5, timedelta(minutes=5))
# Failed API-key and cookie authentications. A key's secret is 256 random bits, so these do
# not guard the secret: they stop a caller from hammering the credential lookups for free.
AUTH_FAILURES_PER_SOURCE = Limit("auth-failures-source", 30, timedelta(minutes=5))
AUTH_FAILURES_PER_KEY = Limit("auth-failures-key", 10, timedelta(minutes=5))


def hit(limit: Limit, key: str, *, clock: Clock = utc_now) -> None:
    """Count one attempt; TooManyRequests (and a metric) when the window is already full."""
    now = clock().timestamp()
    seconds = int(limit.window.total_seconds())
    start = int(now) // seconds * seconds
    counter = f"{limit.name}:{hashed_key(key)}"
    directory = get_directory()
    earlier = directory.hits(counter, str(start - seconds))
    room = limit.max_hits - room_taken(earlier, (now - start) / seconds)
    allowed = room > 0 and directory.count_hit(
        counter, str(start), limit=room, expires_at=start + 3 * seconds
    )
    if not allowed:
        logger.warning("rate limit reached", extra={"limit": limit.name})
        metrics.add_metric(name="RateLimited", unit="Count", value=1)
        raise TooManyRequests("too many attempts; wait a few minutes and try again")


def failed_authentication(
    method: str, *, source_ip: str | None, key_id: str | None, clock: Clock = utc_now
) -> None:
    """Count a presented credential that failed (metric ``AuthenticationFailed``, alarmed on a spike).

    Then limit failures per source and per key id: once either window is full this raises
    TooManyRequests, so a caller that keeps failing gets 429 instead of 401.
    """
    logger.warning("authentication failed", extra={"method": method})
    metrics.add_metric(name="AuthenticationFailed", unit="Count", value=1)
    hit(AUTH_FAILURES_PER_SOURCE, source_ip or "unknown", clock=clock)
    if key_id is not None:
        hit(AUTH_FAILURES_PER_KEY, key_id, clock=clock)


def hashed_key(key: str) -> str:
    return hashlib.sha256(key.strip().lower().encode()).hexdigest()


def room_taken(previous_hits: int, elapsed: float) -> int:
    """How much of the limit the previous window still holds, ``elapsed`` (0..1) into this one.

    Rounded up: the estimate never lets a hit through that an exact count would refuse
    for want of a fraction.
    """
    return math.ceil(previous_hits * max(0.0, 1.0 - elapsed) - 1e-9)
