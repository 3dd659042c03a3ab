"""The calling-hours gate: may this contact be attempted at this instant, and if not, when.

This module owns one pure decision, ``evaluate``: the federal floor (8am-9pm) in every
zone the person may be in, every applicable state's rule in every clock it is read in
(the person's zones and a statute's own clock), and the campaign's windows in every
zone, all at once. Outside that intersection the attempt is deferred to the earliest
instant at which everything holds, found within a bounded horizon; with no zone, or no
such instant, it is blocked. It never reads the clock, the database or the network.

Which state rows apply depends on the attempt's technology: a row may reach only automated
(autodialed, prerecorded, artificial voice) or only recorded-voice attempts. An attempt
whose technology is not said takes every row (fail closed).

Reason codes (stable, shown in campaign reports and the audit log):
``zone_unknown``, ``zone_invalid``, ``no_window`` (Blocked); ``federal_hours``,
``state_hours``, ``state_banned_day``, ``state_holiday``, ``state_automated_hours`` (any
refusal by a row scoped to a technology), ``campaign_window`` (Deferred, naming what
refuses the current instant).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gatehouse.compliance.holiday_sources import WEEKDAYS
from gatehouse.compliance.state_rules import (
    RECIPIENT,
    Channel,
    HourRange,
    RuleBook,
    Technology,
    hour_range,
    rulebook,
)
from gatehouse.errors import Invalid

HORIZON: Final = timedelta(days=14)
_DAY_MINUTES: Final = 24 * 60
_DAY_INDEX: Final[dict[str, int]] = {name: index for index, name in enumerate(WEEKDAYS)}


class HoursReason(StrEnum):
    ZONE_UNKNOWN = "zone_unknown"
    ZONE_INVALID = "zone_invalid"
    NO_WINDOW = "no_window"
    FEDERAL_HOURS = "federal_hours"
    STATE_HOURS = "state_hours"
    STATE_BANNED_DAY = "state_banned_day"
    STATE_HOLIDAY = "state_holiday"
    STATE_AUTOMATED_HOURS = "state_automated_hours"
    CAMPAIGN_WINDOW = "campaign_window"


@dataclass(frozen=True)
class Allowed:
    pass


@dataclass(frozen=True)
class Deferred:
    until_utc: datetime
    reason: HoursReason
    state: str | None = None


@dataclass(frozen=True)
class Blocked:
    reason: HoursReason


Decision = Allowed | Deferred | Blocked


@dataclass(frozen=True)
class CampaignWindow:
    """Days of the week and [start, end) hours, in the contact's local time."""

    days: frozenset[int]
    hours: HourRange

    @classmethod
    def of(cls, days: Iterable[str], start: str, end: str) -> CampaignWindow:
        """``CampaignWindow.of(["mon", "tue"], "10:00", "17:30")``; raises ``Invalid``."""
        names = [day.strip().lower() for day in days]
        unknown = sorted(set(names) - _DAY_INDEX.keys())
        if unknown:
            raise Invalid(f"campaign window: unknown days {unknown}")
        try:
            hours = hour_range([start, end])
        except ValueError as exc:
            raise Invalid(f"campaign window: {exc}") from exc
        indexes = frozenset(_DAY_INDEX[name] for name in names)
        if not indexes:
            raise Invalid("campaign window: no days")
        return cls(indexes, hours)

    def holds(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.hours.holds(local.hour * 60 + local.minute)


Refusal = tuple[HoursReason, str | None]
Check = Callable[[datetime], Refusal | None]


@dataclass(frozen=True)
class _Clock:
    """One clock the instant is read in, with the checks that use it."""

    zone: ZoneInfo
    checks: list[Check] = field(default_factory=list)
    boundaries: set[int] = field(default_factory=lambda: {_DAY_MINUTES})

    def refusals(self, instant: datetime) -> list[Refusal]:
        local = instant.astimezone(self.zone)
        return [r for r in (check(local) for check in self.checks) if r is not None]

    def refuses(self, instant: datetime) -> bool:
        local = instant.astimezone(self.zone)
        return any(check(local) is not None for check in self.checks)

    def until_boundary(self, instant: datetime) -> timedelta:
        """Wall-clock time left before this clock reaches its next boundary minute."""
        local = instant.astimezone(self.zone)
        elapsed = timedelta(
            hours=local.hour, minutes=local.minute, seconds=local.second, microseconds=local.microsecond
        )
        return min(timedelta(minutes=b) - elapsed for b in self.boundaries if timedelta(minutes=b) > elapsed)


def evaluate(
    zones: Iterable[str],
    states: Iterable[str],
    channel: Channel,
    campaign_windows: Sequence[CampaignWindow] | None,
    now_utc: datetime,
    *,
    rules: RuleBook | None = None,
    technology: Technology | None = None,
) -> Decision:
    """Allowed now, Deferred to the next instant everything holds, or Blocked.

    ``campaign_windows`` None means the campaign adds no window of its own; an empty
    sequence means it allows no time at all. ``now_utc`` must be timezone-aware.
    ``technology`` None (not said) applies every state row, whatever technology it reaches.
    """
    if now_utc.tzinfo is None:
        raise Invalid("now_utc must be timezone-aware")
    now_utc = now_utc.astimezone(UTC)
    names = frozenset(zones)
    if not names:
        return Blocked(HoursReason.ZONE_UNKNOWN)
    try:
        clocks = _clocks(names, states, channel, campaign_windows, rules, technology=technology)
    except (ZoneInfoNotFoundError, ValueError):
        return Blocked(HoursReason.ZONE_INVALID)
    first = _refusal(clocks, now_utc)
    if first is None:
        return Allowed()
    until = _next_opening(clocks, now_utc, now_utc + HORIZON)
    if until is None:
        return Blocked(HoursReason.NO_WINDOW)
    return Deferred(until, first[0], first[1])


def is_allowed(
    zones: Iterable[str],
    states: Iterable[str],
    channel: Channel,
    campaign_windows: Sequence[CampaignWindow] | None,
    instant: datetime,
    *,
    rules: RuleBook | None = None,
    technology: Technology | None = None,
) -> bool:
    """True when every constraint holds at ``instant`` (no search forward)."""
    names = frozenset(zones)
    if not names:
        return False
    clocks = _clocks(names, states, channel, campaign_windows, rules, technology=technology)
    return not any(clock.refuses(instant) for clock in clocks)


def _clocks(
    zones: frozenset[str],
    states: Iterable[str],
    channel: Channel,
    campaign_windows: Sequence[CampaignWindow] | None,
    rules: RuleBook | None,
    *,
    technology: Technology | None,
) -> list[_Clock]:
    person = {name: _Clock(ZoneInfo(name)) for name in sorted(zones)}
    statutes: dict[str, _Clock] = {}
    rules = rulebook() if rules is None else rules
    floor = rules.federal.range
    for clock in person.values():
        _add(clock, _floor_check(floor), {floor.start, floor.end})
        if campaign_windows is not None:
            bounds = {m for w in campaign_windows for m in (w.hours.start, w.hours.end)}
            _add(clock, _campaign_check(tuple(campaign_windows)), bounds)
    for rule in rules.applicable(states, channel, technology):
        for name in rule.clocks:
            if name == RECIPIENT:
                targets = list(person.values())
            else:
                # A statute's own clock carries only the rules that name it.
                targets = [statutes.setdefault(name, _Clock(ZoneInfo(name)))]
            for clock in targets:
                _add(clock, _rule_check(rule.refuses, rule.state), set(rule.boundaries()))
    return [*person.values(), *statutes.values()]


def _add(clock: _Clock, check: Check, bounds: set[int]) -> None:
    clock.checks.append(check)
    clock.boundaries.update(b for b in bounds if 0 < b <= _DAY_MINUTES)


def _floor_check(floor: HourRange) -> Check:
    def check(local: datetime) -> Refusal | None:
        ok = floor.holds(local.hour * 60 + local.minute)
        return None if ok else (HoursReason.FEDERAL_HOURS, None)

    return check


def _campaign_check(windows: tuple[CampaignWindow, ...]) -> Check:
    def check(local: datetime) -> Refusal | None:
        ok = any(window.holds(local) for window in windows)
        return None if ok else (HoursReason.CAMPAIGN_WINDOW, None)

    return check


def _rule_check(refuses: Callable[[datetime], str | None], state: str) -> Check:
    def check(local: datetime) -> Refusal | None:
        reason = refuses(local)
        return None if reason is None else (HoursReason(reason), state)

    return check


def _refusal(clocks: Sequence[_Clock], instant: datetime) -> Refusal | None:
    """The most general refusal at ``instant`` (federal, then state, then campaign)."""
    refusals = [r for clock in clocks for r in clock.refusals(instant)]
    return min(refusals, key=_rank) if refusals else None


def _rank(refusal: Refusal) -> tuple[int, str]:
    order = {HoursReason.FEDERAL_HOURS: 0, HoursReason.CAMPAIGN_WINDOW: 2}.get(refusal[0], 1)
    return order, f"{refusal[0]}:{refusal[1] or ''}"


def _next_opening(clocks: Sequence[_Clock], start: datetime, deadline: datetime) -> datetime | None:
    """The first instant after ``start`` at which no clock refuses, up to ``deadline``.

    Every check depends only on a clock's local date and minute, so the answer can only
    change when some clock reaches one of its boundary minutes or changes its UTC offset:
    stepping from one such instant to the next never skips an opening.
    """
    instant = start
    while instant <= deadline:
        instant = _next_change(clocks, instant)
        if not any(clock.refuses(instant) for clock in clocks):
            return instant if instant <= deadline else None
    return None


def _next_change(clocks: Sequence[_Clock], instant: datetime) -> datetime:
    step = min(clock.until_boundary(instant) for clock in clocks)
    candidate = instant + step
    for clock in clocks:
        if instant.astimezone(clock.zone).utcoffset() != candidate.astimezone(clock.zone).utcoffset():
            candidate = _offset_change(clock.zone, instant, candidate)
    return candidate


def _offset_change(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first instant in (before, after] with a UTC offset other than ``before``'s."""
    offset = before.astimezone(zone).utcoffset()
    low, high = before, after
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    # Transitions fall on whole seconds: land on the transition itself, not just after it.
    whole = high.replace(microsecond=0)
    if whole > before and whole.astimezone(zone).utcoffset() != offset:
        return whole
    return high
