"""Properties of the compliance rules over generated input: no crash, no opening skipped, no rule broken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatehouse.compliance.holiday_sources import WEEKDAYS
from gatehouse.compliance.hours import (
    HORIZON,
    Allowed,
    Blocked,
    CampaignWindow,
    Deferred,
    HoursReason,
    evaluate,
    is_allowed,
)
from gatehouse.compliance.optout import Intent, classify
from gatehouse.compliance.state_rules import RECIPIENT, RULES, Channel
from gatehouse.compliance.zones import STATE_ZONES, UnknownState, candidate_zones, states_for

FAST = settings(
    max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
ZONE_POOL = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Indiana/Knox", "America/Boise", "America/Adak",
]  # fmt: skip
STATE_POOL = sorted({rule.state for rule in RULES.rules} | {"NY", "GA", "OH", "AZ"})
# US DST changes of 2026 and 2027, where clocks skip or repeat an hour.
DST_DAYS = [
    datetime(2026, 3, 8, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC),
    datetime(2027, 3, 14, tzinfo=UTC),
]

phone_like = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\+1[2-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"\+[0-9]{1,16}", fullmatch=True),
    st.integers().map(str),
)
state_like = st.one_of(st.none(), st.sampled_from(sorted(STATE_ZONES.states)), st.text(max_size=6))


@FAST
@given(phone_like, state_like)
def test_the_zone_resolver_never_crashes(e164: str, state: str | None) -> None:
    try:
        zones = candidate_zones(e164, state)
        states = states_for(e164, state)
    except UnknownState:
        assert state is not None
        assert state.strip().upper() not in STATE_ZONES.states
        return
    for zone in zones:
        ZoneInfo(zone)
    assert all(found in STATE_ZONES.states for found in states)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_classify_never_crashes(body: str) -> None:
    assert classify(body) in set(Intent)


minutes = st.integers(min_value=0, max_value=24 * 60)


@st.composite
def campaign_windows(draw: st.DrawFn) -> list[CampaignWindow] | None:
    # Mostly no campaign window or a wide one, so deferrals are common and blocks rare.
    if draw(st.integers(min_value=0, max_value=2)) == 0:
        return None
    windows = []
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=3, max_size=7, unique=True))
        start = draw(st.integers(min_value=0, max_value=16 * 60))
        end = draw(st.integers(min_value=start + 1, max_value=24 * 60))
        windows.append(CampaignWindow.of(days, _hhmm(start), _hhmm(end)))
    return windows


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


instants = st.one_of(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.builds(
        lambda day, seconds: day + timedelta(seconds=seconds),
        st.sampled_from(DST_DAYS),
        st.integers(min_value=0, max_value=2 * 86400),
    ),
)
zone_sets = st.sets(st.sampled_from(ZONE_POOL), min_size=1, max_size=2)
state_sets = st.sets(st.sampled_from(STATE_POOL), max_size=3)


def _holds_everywhere(
    zones: set[str], states: set[str], windows: list[CampaignWindow] | None, instant: datetime
) -> bool:
    """An independent reading of the rules at one instant."""
    for zone in zones:
        local = instant.astimezone(ZoneInfo(zone))
        if not 8 <= local.hour < 21:
            return False
        if windows is not None and not any(window.holds(local) for window in windows):
            return False
    for rule in RULES.applicable(states, Channel.SMS):
        clocks = [z for name in rule.clocks for z in (zones if name == RECIPIENT else [name])]
        if any(rule.refuses(instant.astimezone(ZoneInfo(clock))) is not None for clock in clocks):
            return False
    return True


@FAST
@given(zone_sets, state_sets, campaign_windows(), instants)
def test_hours_gate_decisions_are_sound(
    zones: set[str], states: set[str], windows: list[CampaignWindow] | None, now: datetime
) -> None:
    decision = evaluate(zones, states, Channel.SMS, windows, now)
    if isinstance(decision, Allowed):
        assert _holds_everywhere(zones, states, windows, now)
    elif isinstance(decision, Deferred):
        assert decision.until_utc > now
        assert decision.until_utc <= now + HORIZON
        assert not _holds_everywhere(zones, states, windows, now)
        assert _holds_everywhere(zones, states, windows, decision.until_utc)
        assert is_allowed(zones, states, Channel.SMS, windows, decision.until_utc)
        _assert_nothing_allowed_between(zones, states, windows, now, decision.until_utc)
    else:
        assert decision == Blocked(HoursReason.NO_WINDOW)
        _assert_nothing_allowed_between(zones, states, windows, now, now + HORIZON)


def _assert_nothing_allowed_between(
    zones: set[str], states: set[str], windows: list[CampaignWindow] | None, start: datetime, end: datetime
) -> None:
    step = timedelta(minutes=20)
    instant = start + timedelta(seconds=1)
    while instant < end:
        assert not _holds_everywhere(zones, states, windows, instant), instant
        instant += step
    assert not _holds_everywhere(zones, states, windows, end - timedelta(seconds=1))


dst_nights = st.builds(
    lambda day, seconds: day + timedelta(seconds=seconds),
    st.sampled_from(DST_DAYS),
    st.integers(min_value=0, max_value=20 * 3600),
)


@FAST
@given(zone_sets, dst_nights)
def test_deferrals_across_a_dst_change_land_on_the_first_opening(zones: set[str], now: datetime) -> None:
    decision = evaluate(zones, set(), Channel.VOICE, None, now)
    if isinstance(decision, Deferred):
        assert _holds_everywhere(zones, set(), None, decision.until_utc)
        assert not _holds_everywhere(zones, set(), None, decision.until_utc - timedelta(seconds=1))
        _assert_nothing_allowed_between(zones, set(), None, now, decision.until_utc)
    else:
        assert decision == Allowed()
        assert _holds_everywhere(zones, set(), None, now)
