"""The per-contact attempt cap: how many attempts a person may get in a rolling window.

This module owns one pure decision, ``evaluate``: given the times of the attempts
already made to a person (across every number and campaign of the tenant, texts and
calls alike, whatever the subject: the strict reading of "same subject, any number
used"), the caps of the states that apply (FL, OK, MD: 3 per 24 hours; ME, automated
attempts only: 1 per 8 hours) and the campaign's own limit (per 24 hours), the next
attempt is allowed, or deferred until enough past attempts have left each cap's window.
It never reads the clock or counts anything itself.

Reason codes (stable): ``state_attempt_cap``, ``campaign_attempt_cap``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

from gatehouse.compliance.state_rules import Channel, RuleBook, Technology, rulebook
from gatehouse.errors import Invalid

WINDOW: Final = timedelta(hours=24)  # the campaign's own limit, and the longest state window


class CapReason(StrEnum):
    STATE = "state_attempt_cap"
    CAMPAIGN = "campaign_attempt_cap"


@dataclass(frozen=True)
class CapAllowed:
    """The attempt may go; ``remaining`` counts this one (None: no cap applies)."""

    remaining: int | None


@dataclass(frozen=True)
class CapDeferred:
    until_utc: datetime
    reason: CapReason
    limit: int
    state: str | None = None


CapDecision = CapAllowed | CapDeferred


@dataclass(frozen=True)
class StateCap:
    """At most ``limit`` attempts in any ``window`` (at most 24 hours), by ``state``'s law."""

    state: str
    limit: int
    window: timedelta = WINDOW


def caps_for(
    states: Iterable[str],
    channel: Channel,
    rules: RuleBook | None = None,
    *,
    technology: Technology | None = None,
) -> tuple[StateCap, ...]:
    """The attempt caps of the applicable rows that have one.

    ``technology`` None (not said) takes every row's cap, whatever technology it reaches.
    """
    rules = rulebook() if rules is None else rules
    return tuple(
        StateCap(state, cap.attempts, cap.window)
        for state, cap in rules.attempt_caps(states, channel, technology)
    )


def evaluate(
    attempts: Iterable[datetime],
    now_utc: datetime,
    *,
    state_caps: Iterable[StateCap] | Mapping[str, int],
    campaign_limit: int | None = None,
) -> CapDecision:
    """Allowed, or deferred until the attempts in each cap's window fall under it.

    ``state_caps`` as a mapping is state -> attempts per 24 hours. ``attempts`` may hold
    anything older (it is ignored) and times after ``now_utc`` (a clock running ahead;
    they count until a window after themselves).
    """
    if now_utc.tzinfo is None:
        raise Invalid("now_utc must be timezone-aware")
    limits = _limits(state_caps, campaign_limit)
    if not limits:
        return CapAllowed(remaining=None)
    times = _checked(attempts)
    deferrals = []
    remaining = []
    for limit, window, reason, state in limits:
        recent = sorted(t for t in times if t > now_utc - window)
        if len(recent) >= limit:
            until = (recent[len(recent) - limit] + window).astimezone(UTC)
            deferrals.append(CapDeferred(until, reason, limit, state))
        remaining.append(limit - len(recent))
    if deferrals:
        return max(deferrals, key=lambda d: (d.until_utc, d.reason == CapReason.STATE))
    return CapAllowed(remaining=min(remaining))


Limit = tuple[int, timedelta, CapReason, str | None]


def _limits(state_caps: Iterable[StateCap] | Mapping[str, int], campaign_limit: int | None) -> list[Limit]:
    if isinstance(state_caps, Mapping):
        state_caps = [StateCap(state, cap) for state, cap in state_caps.items()]
    limits: list[Limit] = [
        (cap.limit, cap.window, CapReason.STATE, cap.state)
        for cap in sorted(state_caps, key=lambda c: (c.state, c.window, c.limit))
    ]
    if campaign_limit is not None:
        limits.append((campaign_limit, WINDOW, CapReason.CAMPAIGN, None))
    if any(limit < 1 for limit, _, _, _ in limits):
        raise Invalid("an attempt cap must allow at least one attempt")
    if any(not timedelta(0) < window <= WINDOW for _, window, _, _ in limits):
        raise Invalid("a cap's window is more than nothing and at most 24 hours")
    return limits


def _checked(attempts: Iterable[datetime]) -> list[datetime]:
    times = list(attempts)
    if any(attempt.tzinfo is None for attempt in times):
        raise Invalid("attempt times must be timezone-aware")
    return times
