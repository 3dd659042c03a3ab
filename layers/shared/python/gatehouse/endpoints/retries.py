"""When a failed delivery is tried again, when it is given up, and when its endpoint is disabled (pure).

Nothing here reads a table, a queue or a clock: callers pass the instants. Waits grow
30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h, each with up to 20% random jitter so
that a receiver coming back is not met by every retry at once; a delivery is tried until
24 hours after its first attempt, then given up (the dead-letter queue). SQS delays a
message by at most 15 minutes, so a longer wait travels as ``not_before`` and the message
is delayed again until then.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

RETRY_FOR: Final = timedelta(hours=24)
# An endpoint with no success in this long, whose delivery was just given up, is disabled.
DISABLE_AFTER: Final = timedelta(hours=24)
WAITS: Final = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
)
LONGEST_WAIT: Final = timedelta(hours=2)
JITTER: Final = 0.2
MAX_QUEUE_DELAY_SECONDS: Final = 900

Jitter = Callable[[], float]  # a fraction in [0, 1)


def wait_after(attempt: int, jitter: Jitter = random.random) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (1-based) before the next."""
    base = WAITS[attempt - 1] if attempt <= len(WAITS) else LONGEST_WAIT
    return base * (1 + JITTER * jitter())


def next_attempt_at(
    attempt: int, first_at: datetime, now: datetime, jitter: Jitter = random.random
) -> datetime | None:
    """When to try again after failed attempt ``attempt``; None once 24 hours from the first have passed."""
    deadline = first_at + RETRY_FOR
    if now >= deadline:
        return None
    return min(now + wait_after(attempt, jitter), deadline)


def queue_delay(not_before: datetime, now: datetime) -> int:
    """The SQS ``DelaySeconds`` that brings a message back at ``not_before``, or as close as SQS allows."""
    seconds = int((not_before - now).total_seconds() + 0.999)
    return max(0, min(seconds, MAX_QUEUE_DELAY_SECONDS))


def should_disable(healthy_since: datetime, now: datetime) -> bool:
    """A delivery was just given up: disable the endpoint if nothing has succeeded there for 24 hours."""
    return now - healthy_since >= DISABLE_AFTER
