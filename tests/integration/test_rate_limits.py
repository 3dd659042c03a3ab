"""Rate limits judged over a sliding window: no burst across a window's edge passes twice the limit."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.errors import TooManyRequests
from gatehouse.identity import limits

LIMIT = limits.Limit("test-limit", 5, timedelta(minutes=15))
WINDOW_START = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # a multiple of 15 minutes


def attempts(key: str, at: datetime, count: int) -> list[bool]:
    allowed = []
    for _ in range(count):
        try:
            limits.hit(LIMIT, key, clock=lambda: at)
            allowed.append(True)
        except TooManyRequests:
            allowed.append(False)
    return allowed


def test_a_burst_at_a_windows_end_leaves_no_room_at_the_next_ones_start(aws: None) -> None:
    end_of_first = WINDOW_START - timedelta(seconds=1)
    assert attempts("a@x.test", end_of_first, 6) == [True] * 5 + [False]
    # With fixed windows the next second would allow five more: ten in two seconds.
    assert attempts("a@x.test", WINDOW_START + timedelta(seconds=1), 2) == [False, False]


def test_room_comes_back_as_the_earlier_window_slides_out(aws: None) -> None:
    assert attempts("b@x.test", WINDOW_START - timedelta(minutes=1), 5) == [True] * 5
    # Half-way through the next window half of those five (rounded up) still count.
    assert attempts("b@x.test", WINDOW_START + timedelta(minutes=7, seconds=30), 3) == [True, True, False]
    # A whole window later the first five are out; the two recent ones still count.
    assert attempts("b@x.test", WINDOW_START + timedelta(minutes=15), 5) == [True, True, True, False, False]


def test_keys_are_counted_apart_and_case_blind(aws: None) -> None:
    assert attempts("C@X.test", WINDOW_START, 5) == [True] * 5
    assert attempts(" c@x.test ", WINDOW_START, 1) == [False]
    assert attempts("d@x.test", WINDOW_START, 1) == [True]


def test_concurrent_hits_never_pass_the_limit(aws: None) -> None:
    at = WINDOW_START + timedelta(minutes=3)
    start = threading.Barrier(12)
    results: list[bool] = []

    def one() -> None:
        start.wait()
        results.extend(attempts("e@x.test", at, 1))

    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True] * 5


@pytest.mark.parametrize(
    ("previous", "elapsed", "taken"),
    [(0, 0.0, 0), (5, 0.0, 5), (5, 0.5, 3), (5, 0.8, 1), (5, 0.99, 1), (5, 1.0, 0), (4, 0.75, 1)],
)
def test_the_previous_window_holds_its_share_rounded_up(previous: int, elapsed: float, taken: int) -> None:
    assert limits.room_taken(previous, elapsed) == taken
