"""Time: one injectable source of "now", always timezone-aware UTC.

Every rule that depends on the current time takes a ``Clock`` so tests can set it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """UTC ISO-8601 with a trailing Z, the storage format for every time."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
