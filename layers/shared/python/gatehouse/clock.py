"""Time: one injectable source of "now", always timezone-aware UTC, and the type of a time from outside.

Every rule that depends on the current time takes a ``Clock`` so tests can set it. Every time
a request or a file brings in is an ``Instant``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

Clock = Callable[[], datetime]


def _has_utc_time(moment: datetime) -> datetime:
    """Year 1 at +05:00 or year 9999 at -05:00 has no UTC time: refused here, not a crash later."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time has no UTC equivalent between years 1 and 9999") from None
    return moment


# A time from outside (a body, a query, an imported row): with an offset, and one that UTC can hold.
Instant = Annotated[AwareDatetime, AfterValidator(_has_utc_time)]


def utc_now() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """UTC ISO-8601 with a trailing Z, the storage format for every time."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
