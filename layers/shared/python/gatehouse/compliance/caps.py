"""The per-contact attempt cap: how many attempts a person may get in any 24 hours.

This module owns one pure decision, ``evaluate``: given the times of the attempts
already made to a person (across every number and campaign of the tenant, texts and
calls alike, whatever the subject: the strict reading of "same subject, any number
used"), the caps of the states that apply (FL, OK, MD: 3) and the campaign's own limit,
the next attempt is allowed, or deferred until enough past attempts have left the
rolling 24-hour window. It never reads the clock or counts anything itself.

Reason codes (stable): ``state_attempt_cap``, ``campaign_attempt_cap``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

from gatehouse.compliance.state_rules import RULES, Channel, RuleBook
from gatehouse.errors import Invalid

WINDOW: Final = timedelta(hours=24)


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


def caps_for(states: Iterable[str], channel: Channel, rules: RuleBook = RULES) -> dict[str, int]:
    """The attempt caps per 24 hours of the applicable states that have one."""
    return rules.attempt_caps(states, channel)


def evaluate(
    attempts: Iterable[datetime],
    now_utc: datetime,
    *,
    state_caps: Mapping[str, int],
    campaign_limit: int | None = None,
) -> CapDecision:
    """Allowed, or deferred until the attempts in the last 24 hours fall under every cap.

    ``attempts`` may hold anything older (it is ignored) and times after ``now_utc``
    (a clock running ahead; they count until 24 hours after themselves).
    """
    if now_utc.tzinfo is None:
        raise Invalid("now_utc must be timezone-aware")
    limits = _limits(state_caps, campaign_limit)
    if not limits:
        return CapAllowed(remaining=None)
    recent = sorted(_recent(attempts, now_utc))
    deferrals = [
        CapDeferred((recent[len(recent) - limit] + WINDOW).astimezone(UTC), reason, limit, state)
        for limit, reason, state in limits
        if len(recent) >= limit
    ]
    if deferrals:
        return max(deferrals, key=lambda d: (d.until_utc, d.reason == CapReason.STATE))
    return CapAllowed(remaining=min(limit for limit, _, _ in limits) - len(recent))


def _limits(
    state_caps: Mapping[str, int], campaign_limit: int | None
) -> list[tuple[int, CapReason, str | None]]:
    limits: list[tuple[int, CapReason, str | None]] = [
        (cap, CapReason.STATE, state) for state, cap in sorted(state_caps.items())
    ]
    if campaign_limit is not None:
        limits.append((campaign_limit, CapReason.CAMPAIGN, None))
    if any(limit < 1 for limit, _, _ in limits):
        raise Invalid("an attempt cap must allow at least one attempt")
    return limits


def _recent(attempts: Iterable[datetime], now_utc: datetime) -> list[datetime]:
    recent = []
    for attempt in attempts:
        if attempt.tzinfo is None:
            raise Invalid("attempt times must be timezone-aware")
        if attempt > now_utc - WINDOW:
            recent.append(attempt)
    return recent
