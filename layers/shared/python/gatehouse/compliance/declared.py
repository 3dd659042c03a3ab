"""Declared dates: days a state's authority proclaims (an extra holiday, an emergency ban).

This module owns the operators' list of declared dates, kept in one global partition of
the directory (``SYSTEM#DECLARED_DATES``), so a day proclaimed this morning applies to the
next dispatch batch without a release. Each date names its proclamation and who added it;
withdrawing one keeps the record, marked with who withdrew it, when and why, so the list
is its own history (there is no platform audit chain: tenant chains record only what
happens inside a tenant). ``in_force`` is the one read a dispatch batch makes: one Query.
It never decides whether an attempt may go: ``RuleBook.with_declared`` does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Final

from pydantic import Field, StringConstraints

from gatehouse.clock import Clock, utc_now
from gatehouse.compliance.state_rules import DeclaredDay, RuleBook, rulebook
from gatehouse.compliance.zones import normalize_state
from gatehouse.errors import Conflict, Invalid, NotFound
from gatehouse.freshness import forgotten_on_restore
from gatehouse.identity.caller import Caller
from gatehouse.ids import new_id
from gatehouse.observability import logger
from gatehouse.tenancy import GlobalRecord, get_directory

PARTITION: Final = "DECLARED_DATES"
# A few dozen proclamations a year across every state; the list is read whole by each batch.
MAX_DATES: Final = 1000


class DeclaredKind(StrEnum):
    HOLIDAY = "holiday"  # a day proclaimed a holiday where the state bans holiday calls
    EMERGENCY = "emergency"  # a declared state of emergency where the state bans every call


class DeclaredDate(GlobalRecord):
    collection = "SYSTEM"

    date_id: str
    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    day: date
    kind: DeclaredKind
    source: str = Field(min_length=5, max_length=500)  # the proclamation: its title, number, address
    added_by: str
    added_at: datetime
    withdrawn_by: str | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None

    def partition_id(self) -> str:
        return PARTITION

    def sort_key(self) -> str:
        return f"{self.state}#{self.day.isoformat()}#{self.date_id}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None

    def as_day(self) -> DeclaredDay:
        return DeclaredDay(state=self.state, day=self.day, source=f"{self.kind}: {self.source}")


def all_dates() -> list[DeclaredDate]:
    """Every declared date, withdrawn ones included, by state and day (one Query)."""
    return get_directory().query_partition(DeclaredDate, PARTITION, limit=MAX_DATES)


def in_force(on_or_after: date | None = None) -> tuple[DeclaredDay, ...]:
    """The days in force, as the rule book takes them; earlier days left out when asked (one Query)."""
    return tuple(
        d.as_day() for d in all_dates() if d.in_force and (on_or_after is None or d.day >= on_or_after)
    )


def listed_for(states: Iterable[str] | None = None, *, on_or_after: date | None = None) -> list[DeclaredDate]:
    """The dates in force, optionally of some states only and from a day on: what tenants see."""
    wanted = None if states is None else {normalize_state(s) for s in states}
    return [
        d
        for d in all_dates()
        if d.in_force
        and (wanted is None or d.state in wanted)
        and (on_or_after is None or d.day >= on_or_after)
    ]


def declare(
    console: Caller, state: str, day: date, kind: DeclaredKind, source: str, *, clock: Clock = utc_now
) -> DeclaredDate:
    """Add a declared date (operators); the same state and day twice while in force is a Conflict."""
    console.require_operator()
    code = normalize_state(state)
    if code is None:
        raise Invalid("a declared date needs a state")
    if any(d.in_force and d.state == code and d.day == day for d in all_dates()):
        raise Conflict(f"{day.isoformat()} is already declared for {code}")
    record = DeclaredDate(
        date_id=new_id("dd"),
        state=code,
        day=day,
        kind=kind,
        source=source.strip(),
        added_by=console.actor,
        added_at=clock(),
    )
    saved = get_directory().save(record)
    _log("declared_date.added", console, saved)
    forget_read()
    return saved


def withdraw(console: Caller, date_id: str, reason: str, *, clock: Clock = utc_now) -> DeclaredDate:
    """Withdraw a declared date (operators): it stops applying, and its record stays, marked."""
    console.require_operator()
    found = next((d for d in all_dates() if d.date_id == date_id), None)
    if found is None:
        raise NotFound("declared date not found")
    if not found.in_force:
        raise Conflict("declared date is already withdrawn")
    changed = found.model_copy(
        update={"withdrawn_by": console.actor, "withdrawn_at": clock(), "withdrawal_reason": reason.strip()}
    )
    saved = get_directory().save(changed)
    _log("declared_date.withdrawn", console, saved)
    forget_read()
    return saved


def _log(action: str, console: Caller, record: DeclaredDate) -> None:
    logger.info(
        "operator platform action",
        extra={
            "action": action,
            "operator": console.actor,
            "request_id": console.request_id,
            "source_ip": console.source_ip,
            "declared_date": record.model_dump(mode="json", exclude={"version"}),
        },
    )


# Read at most once a minute per container: a date declared applies to the batches that start
# a minute later (dates are proclaimed days ahead), and a run of 20 batches asks once, not 20 times.
FRESH_FOR: Final = timedelta(minutes=1)
_read: dict[str, tuple[datetime, float, tuple[DeclaredDay, ...]]] = {}
_read_lock = threading.Lock()


def rules_at(now: datetime, rules: RuleBook | None = None) -> RuleBook:
    """The rule book with the dates declared from the day before ``now`` on.

    A day before today in UTC is still today somewhere west of it. The dates are read once
    a minute of ``now`` and of the container's own clock, whichever comes first (one Query).
    """
    minute = now.replace(second=0, microsecond=0)
    with _read_lock:
        cached = _read.get("days")
        fresh = (
            cached is not None
            and cached[0] == minute
            and time.monotonic() - cached[1] < FRESH_FOR.total_seconds()
        )
    if cached is not None and fresh:
        days = cached[2]
    else:
        days = in_force(on_or_after=now.date() - timedelta(days=1))
        with _read_lock:
            _read["days"] = (minute, time.monotonic(), days)
    return (rulebook() if rules is None else rules).with_declared(days)


@forgotten_on_restore  # the monotonic clock it was read by does not carry across a restore
def forget_read() -> None:
    """Read the dates again at the next ``rules_at`` (a date just declared or withdrawn here)."""
    with _read_lock:
        _read.clear()
