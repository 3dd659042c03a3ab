"""Event delivery retries: backoff with jitter for 24 hours from the first attempt, then given up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.endpoints import retries

FIRST = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempt", "wait"),
    [
        (1, timedelta(seconds=30)),
        (2, timedelta(minutes=2)),
        (3, timedelta(minutes=10)),
        (4, timedelta(minutes=30)),
        (5, timedelta(hours=1)),
        (6, timedelta(hours=2)),
        (40, timedelta(hours=2)),
    ],
)
def test_waits_grow_then_stay_capped(attempt: int, wait: timedelta) -> None:
    assert retries.wait_after(attempt, jitter=lambda: 0.0) == wait
    assert retries.wait_after(attempt, jitter=lambda: 0.999) <= wait * 1.2


def test_jitter_spreads_retries_upward_only() -> None:
    waits = {retries.wait_after(3, jitter=lambda f=f: f) for f in (0.0, 0.5, 0.99)}
    assert len(waits) == 3
    assert min(waits) == timedelta(minutes=10)


def test_a_delivery_is_retried_until_24_hours_after_its_first_attempt_and_no_longer() -> None:
    now, attempt, attempts = FIRST, 1, [FIRST]
    while (next_at := retries.next_attempt_at(attempt, FIRST, now, jitter=lambda: 0.5)) is not None:
        assert next_at > now
        now, attempt = next_at, attempt + 1
        attempts.append(now)
    assert attempts[-1] == FIRST + timedelta(hours=24)  # the last try falls on the deadline itself
    assert 14 <= len(attempts) <= 20
    assert retries.next_attempt_at(1, FIRST, FIRST + timedelta(hours=24, seconds=1)) is None


@pytest.mark.parametrize(
    ("wait", "delay"),
    [
        (timedelta(seconds=30), 30),
        (timedelta(minutes=15), 900),
        (timedelta(hours=2), 900),
        (-timedelta(1), 0),
    ],
)
def test_sqs_delays_at_most_15_minutes_and_longer_waits_are_delayed_again(
    wait: timedelta, delay: int
) -> None:
    assert retries.queue_delay(FIRST + wait, FIRST) == delay


def test_an_endpoint_is_disabled_only_after_24_hours_without_success() -> None:
    assert not retries.should_disable(FIRST, FIRST + timedelta(hours=23, minutes=59))
    assert retries.should_disable(FIRST, FIRST + timedelta(hours=24))
