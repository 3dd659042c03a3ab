"""The per-contact attempt cap: a rolling 24 hours across every number and campaign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gatehouse.compliance.caps import (
    CapAllowed,
    CapDecision,
    CapDeferred,
    CapReason,
    StateCap,
    caps_for,
    evaluate,
)
from gatehouse.compliance.state_rules import Channel, Technology
from gatehouse.errors import Invalid

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)
FL = {"FL": 3}

CASES = [
    ("no cap applies", [], {}, None, CapAllowed(None)),
    ("no cap applies, many attempts", [NOW - H] * 10, {}, None, CapAllowed(None)),
    ("first attempt in florida", [], FL, None, CapAllowed(3)),
    ("two earlier attempts", [NOW - 2 * H, NOW - H], FL, None, CapAllowed(1)),
    ("third already made", [NOW - 20 * H, NOW - 2 * H, NOW - H], FL, None,
     CapDeferred(NOW + 4 * H, CapReason.STATE, 3, "FL")),
    ("over the cap: wait for two to leave", [NOW - 20 * H, NOW - 10 * H, NOW - 2 * H, NOW - H], FL, None,
     CapDeferred(NOW + 14 * H, CapReason.STATE, 3, "FL")),
    ("older than 24 hours does not count", [NOW - 30 * H, NOW - 24 * H, NOW - 2 * H], FL, None,
     CapAllowed(2)),
    ("exactly 24 hours ago has left the window", [NOW - 24 * H, NOW - 3 * H, NOW - H], FL, None,
     CapAllowed(1)),
    ("order of attempts does not matter", [NOW - H, NOW - 20 * H, NOW - 2 * H], FL, None,
     CapDeferred(NOW + 4 * H, CapReason.STATE, 3, "FL")),
    ("campaign limit stricter than the state", [NOW - 5 * H], FL, 1,
     CapDeferred(NOW + 19 * H, CapReason.CAMPAIGN, 1)),
    ("campaign limit alone", [NOW - 5 * H, NOW - H], {}, 2, CapDeferred(NOW + 19 * H, CapReason.CAMPAIGN, 2)),
    ("campaign limit looser than the state", [NOW - 5 * H, NOW - 4 * H, NOW - H], FL, 10,
     CapDeferred(NOW + 19 * H, CapReason.STATE, 3, "FL")),
    ("two capped states", [NOW - 6 * H, NOW - 5 * H, NOW - H], {"FL": 3, "MD": 3}, None,
     CapDeferred(NOW + 18 * H, CapReason.STATE, 3, "FL")),
    ("an attempt stamped in the future still counts", [NOW - 2 * H, NOW - H, NOW + H], FL, None,
     CapDeferred(NOW + 22 * H, CapReason.STATE, 3, "FL")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("attempts", "caps", "campaign_limit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_attempt_caps(
    attempts: list[datetime], caps: dict[str, int], campaign_limit: int | None, expected: CapDecision
) -> None:
    decision = evaluate(attempts, NOW, state_caps=caps, campaign_limit=campaign_limit)
    assert decision == expected
    if isinstance(decision, CapDeferred):
        later = evaluate(attempts, decision.until_utc, state_caps=caps, campaign_limit=campaign_limit)
        assert isinstance(later, CapAllowed)
        just_before = decision.until_utc - timedelta(seconds=1)
        assert isinstance(
            evaluate(attempts, just_before, state_caps=caps, campaign_limit=campaign_limit), CapDeferred
        )


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ({"FL"}, {"FL": 3}),
        ({"OK"}, {"OK": 3}),
        ({"MD", "NY"}, {"MD": 3}),
        ({"NY", "TX"}, {}),
        (set(), {}),
    ],
)
def test_caps_for_the_applicable_states(states: set[str], expected: dict[str, int]) -> None:
    caps = tuple(StateCap(state, limit) for state, limit in sorted(expected.items()))
    assert caps_for(states, Channel.SMS) == caps
    assert caps_for(states, Channel.VOICE) == caps


def test_a_cap_below_one_is_invalid() -> None:
    with pytest.raises(Invalid):
        evaluate([], NOW, state_caps={}, campaign_limit=0)


def test_naive_times_are_invalid() -> None:
    with pytest.raises(Invalid):
        evaluate([], NOW.replace(tzinfo=None), state_caps=FL)
    with pytest.raises(Invalid):
        evaluate([NOW.replace(tzinfo=None)], NOW, state_caps=FL)


def test_reason_codes_are_stable_strings() -> None:
    assert {reason.value for reason in CapReason} == {"state_attempt_cap", "campaign_attempt_cap"}


def test_a_deferral_is_in_utc() -> None:
    eastern = [(NOW - H).astimezone(ZoneInfo("America/New_York"))]
    decision = evaluate(eastern, NOW, state_caps={}, campaign_limit=1)
    assert isinstance(decision, CapDeferred)
    assert decision.until_utc.tzinfo is UTC
    assert decision.until_utc == NOW + 23 * H


# ---------------------------------------------------------------- caps over other windows

ME = (StateCap("ME", 1, 8 * H),)  # 10 M.R.S. 1498(3): one automated call per number per 8 hours

WINDOWED = [
    ("10 M.R.S. 1498(3): first call", [], ME, None, CapAllowed(1)),
    ("10 M.R.S. 1498(3): a call 7 hours ago waits an hour", [NOW - 7 * H], ME, None,
     CapDeferred(NOW + H, CapReason.STATE, 1, "ME")),
    ("10 M.R.S. 1498(3): a call 8 hours ago has left the window", [NOW - 8 * H], ME, None, CapAllowed(1)),
    ("10 M.R.S. 1498(3) beside fla. stat. 501.059: the later wins", [NOW - 20 * H, NOW - 10 * H, NOW - 2 * H],
     (*ME, StateCap("FL", 3)), None, CapDeferred(NOW + 6 * H, CapReason.STATE, 1, "ME")),
    ("fla. stat. 501.059 binds longer than maine", [NOW - 20 * H, NOW - 10 * H, NOW - 9 * H],
     (*ME, StateCap("FL", 3)), None, CapDeferred(NOW + 4 * H, CapReason.STATE, 3, "FL")),
    ("campaign limit over 24 hours beside maine", [NOW - 9 * H], ME, 1,
     CapDeferred(NOW + 15 * H, CapReason.CAMPAIGN, 1)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("attempts", "caps", "campaign_limit", "expected"),
    [c[1:] for c in WINDOWED],
    ids=[c[0] for c in WINDOWED],
)
def test_caps_over_their_own_windows(
    attempts: list[datetime], caps: tuple[StateCap, ...], campaign_limit: int | None, expected: CapDecision
) -> None:
    decision = evaluate(attempts, NOW, state_caps=caps, campaign_limit=campaign_limit)
    assert decision == expected
    if isinstance(decision, CapDeferred):
        later = evaluate(attempts, decision.until_utc, state_caps=caps, campaign_limit=campaign_limit)
        assert isinstance(later, CapAllowed)


@pytest.mark.parametrize(
    ("channel", "technology", "expected"),
    [
        (Channel.VOICE, Technology.PRERECORDED, (StateCap("ME", 1, 8 * H),)),
        (Channel.VOICE, Technology.ARTIFICIAL_VOICE, (StateCap("ME", 1, 8 * H),)),
        (Channel.SMS, Technology.AUTODIALED, (StateCap("ME", 1, 8 * H),)),
        (Channel.VOICE, Technology.LIVE, ()),  # 10 M.R.S. 1498(3) reaches automated calls only
        (Channel.VOICE, None, (StateCap("ME", 1, 8 * H),)),  # not said: the strict default
    ],
)
def test_maine_caps_automated_attempts_only(
    channel: Channel, technology: Technology | None, expected: tuple[StateCap, ...]
) -> None:
    assert caps_for({"ME"}, channel, technology=technology) == expected


def test_a_window_past_the_ledgers_24_hours_is_invalid() -> None:
    with pytest.raises(Invalid):
        evaluate([], NOW, state_caps=(StateCap("XX", 1, 25 * H),))
