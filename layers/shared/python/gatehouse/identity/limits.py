"""Rate limits: fixed-window counters in DynamoDB, shared by every Lambda container.

Each limit counts hits per key (an address, a source IP, a user) in windows of fixed
length; the counter is one global item ``LIMIT#<limit>:<sha256(key)>`` per window,
incremented by a conditional update that refuses the hit once the window is full, and
removed by TTL after the window. Keys are hashed so no address or IP sits in a key.
"""

from __future__ import annotations

import hashlib
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


def hit(limit: Limit, key: str, *, clock: Clock = utc_now) -> None:
    """Count one attempt; TooManyRequests (and a metric) when the window is already full."""
    now = clock()
    seconds = int(limit.window.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    hashed = hashlib.sha256(key.strip().lower().encode()).hexdigest()
    allowed = get_directory().count_hit(
        f"{limit.name}:{hashed}", str(start), limit=limit.max_hits, expires_at=start + 2 * seconds
    )
    if not allowed:
        logger.warning("rate limit reached", extra={"limit": limit.name})
        metrics.add_metric(name="RateLimited", unit="Count", value=1)
        raise TooManyRequests("too many attempts; wait a few minutes and try again")
