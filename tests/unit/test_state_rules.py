"""The state rules file: every row the reference names, read as it says, and a bad file fails loudly."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from gatehouse.compliance.data_files import ComplianceDataInvalid, read_text
from gatehouse.compliance.state_rules import RULES, Channel, RuleReason, load

REFERENCE_STATES = {
    "FL", "OK", "MD", "TX", "CT", "WA", "MA", "RI", "MS", "UT", "PA", "LA", "AL", "KY", "MI", "MN",
    "NV", "NM", "CA", "IL",
}  # fmt: skip


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


def test_every_state_of_the_reference_has_one_row_with_a_citation() -> None:
    assert {rule.state for rule in RULES.rules} == REFERENCE_STATES
    for rule in RULES.rules:
        assert rule.citation
        assert rule.confidence


@pytest.mark.parametrize(
    ("state", "weekday", "hours", "cap"),
    [
        ("FL", 0, ("08:00", "20:00"), 3),
        ("OK", 0, ("08:00", "20:00"), 3),
        ("MD", 0, ("08:00", "20:00"), 3),
        ("TX", 0, ("09:00", "21:00"), None),
        ("TX", 6, ("12:00", "21:00"), None),
        ("CT", 2, ("09:00", "20:00"), None),
        ("WA", 2, ("08:00", "20:00"), None),
        ("MA", 2, ("08:00", "20:00"), None),
        ("RI", 1, ("09:00", "18:00"), None),
        ("RI", 5, ("10:00", "17:00"), None),
        ("RI", 6, None, None),
        ("MS", 3, ("08:00", "20:00"), None),
        ("MS", 6, None, None),
        ("UT", 3, ("08:00", "21:00"), None),
        ("UT", 6, None, None),
        ("PA", 3, ("09:00", "20:00"), None),
        ("LA", 3, ("08:00", "20:00"), None),
        ("LA", 6, None, None),
        ("AL", 3, ("08:00", "20:00"), None),
        ("AL", 6, None, None),
        ("KY", 3, ("10:00", "21:00"), None),
        ("MI", 3, ("09:00", "21:00"), None),
        ("MN", 3, ("09:00", "21:00"), None),
        ("NV", 3, ("09:00", "20:00"), None),
        ("NM", 3, ("09:00", "21:00"), None),
        ("CA", 3, ("09:00", "21:00"), None),
        ("IL", 3, ("09:00", "21:00"), None),
    ],
)
def test_rows_hold_the_references_hours_banned_days_and_caps(
    state: str, weekday: int, hours: tuple[str, str] | None, cap: int | None
) -> None:
    rule = RULES.rule_for(state)
    assert rule is not None
    got = rule.hours_on(weekday)
    if hours is None:
        assert got is None
    else:
        assert got is not None
        assert (got.start, got.end) == (_minutes(hours[0]), _minutes(hours[1]))
    assert rule.attempt_cap_24h == cap


@pytest.mark.parametrize(
    ("state", "clocks"),
    [
        ("TX", ("recipient", "America/Chicago")),
        ("MS", ("recipient", "Etc/GMT+6")),
        ("PA", ("recipient", "America/New_York")),
        ("FL", ("recipient",)),
    ],
)
def test_statute_clocks(state: str, clocks: tuple[str, ...]) -> None:
    rule = RULES.rule_for(state)
    assert rule is not None
    assert rule.clocks == clocks


@pytest.mark.parametrize(
    ("state", "day", "holiday"),
    [
        ("PA", date(2026, 6, 14), True),  # Flag Day, a Sunday in 2026
        ("PA", date(2026, 6, 15), True),  # ... and its observed Monday
        ("PA", date(2027, 6, 14), True),
        ("PA", date(2026, 4, 3), True),  # Good Friday
        ("PA", date(2026, 11, 3), True),  # Election Day: Tuesday after the first Monday
        ("PA", date(2027, 11, 2), True),
        ("PA", date(2026, 6, 19), False),  # Juneteenth is not on the statute's list
        ("PA", date(2026, 11, 26), True),  # Thanksgiving
        ("PA", date(2026, 10, 12), True),  # Columbus Day
        ("LA", date(2026, 2, 17), True),  # Mardi Gras
        ("LA", date(2027, 2, 9), True),
        ("LA", date(2026, 5, 25), False),  # Memorial Day is not on the PSC's list
        ("UT", date(2026, 7, 24), True),  # Pioneer Day
        ("UT", date(2027, 7, 23), True),  # ... observed Friday when the 24th is a Saturday
        ("RI", date(2026, 8, 10), True),  # Victory Day (state)
        ("RI", date(2026, 1, 19), True),  # MLK Day (federal)
        ("RI", date(2027, 12, 24), True),  # observed Christmas
        ("RI", date(2026, 8, 11), False),
        ("AL", date(2026, 4, 27), True),  # Confederate Memorial Day (Ala. Code 1-3-8)
        ("FL", date(2026, 12, 25), False),  # no holiday rule
    ],
)
def test_holidays(state: str, day: date, holiday: bool) -> None:
    rule = RULES.rule_for(state)
    assert rule is not None
    assert rule.is_holiday(day) is holiday


@pytest.mark.parametrize(
    ("state", "local", "reason"),
    [
        ("RI", datetime(2026, 11, 22, 12, 0), RuleReason.BANNED_DAY),  # Sunday
        ("RI", datetime(2026, 11, 26, 12, 0), RuleReason.HOLIDAY),  # Thanksgiving
        ("RI", datetime(2026, 11, 24, 18, 0), RuleReason.HOURS),  # 6pm is the end
        ("RI", datetime(2026, 11, 24, 17, 59), None),
        ("RI", datetime(2026, 11, 28, 9, 30), RuleReason.HOURS),  # Saturday opens at 10
        ("TX", datetime(2026, 11, 22, 11, 59), RuleReason.HOURS),  # Sunday before noon
        ("TX", datetime(2026, 11, 22, 12, 0), None),
        ("FL", datetime(2026, 11, 24, 20, 0), RuleReason.HOURS),
        ("FL", datetime(2026, 11, 24, 19, 59), None),
        ("PA", datetime(2026, 6, 15, 12, 0), RuleReason.HOLIDAY),
    ],
)
def test_refuses(state: str, local: datetime, reason: RuleReason | None) -> None:
    rule = RULES.rule_for(state)
    assert rule is not None
    assert rule.refuses(local) == reason


def test_texts_are_covered_unless_a_row_says_no() -> None:
    assert {rule.state for rule in RULES.applicable(REFERENCE_STATES, Channel.SMS)} == REFERENCE_STATES
    assert RULES.attempt_caps({"FL", "MD", "OK", "NY"}, Channel.SMS) == {"FL": 3, "MD": 3, "OK": 3}


def test_federal_floor_is_eight_to_nine() -> None:
    assert (RULES.federal.range.start, RULES.federal.range.end) == (8 * 60, 21 * 60)


def _first_row_with(**changes: object) -> str:
    document = json.loads(read_text("state_rules.json"))
    row = document["rules"][0]
    for key, value in changes.items():
        if value is None:
            del row[key]
        else:
            row[key] = value
    return json.dumps(document)


def _duplicated_row() -> str:
    document = json.loads(read_text("state_rules.json"))
    document["rules"].append(document["rules"][0])
    return json.dumps(document)


MALFORMED = {
    "hours_backwards": _first_row_with(hours={"default": ["20:00", "08:00"]}),
    "bad_time": _first_row_with(hours={"default": ["8am", "20:00"]}),
    "past_midnight": _first_row_with(hours={"default": ["08:00", "24:30"]}),
    "no_default_hours": _first_row_with(hours={"mon": ["08:00", "20:00"]}),
    "unknown_field": _first_row_with(typo=1),
    "bad_zone": _first_row_with(clocks=["recipient", "Mars/Olympus"]),
    "no_clock": _first_row_with(clocks=[]),
    "bad_subdivision": _first_row_with(holidays={"kind": "package", "subdivision": "US-ZZ"}),
    "duplicate_state": _duplicated_row(),
    "zero_cap": _first_row_with(attempt_cap_24h=0),
    "banned_day_with_hours": _first_row_with(
        banned_days=["sun"], hours={"default": ["08:00", "20:00"], "sun": ["10:00", "12:00"]}
    ),
    "listed_day_missing_field": _first_row_with(
        holidays={"kind": "list", "days": [{"name": "Flag Day", "rule": "fixed", "month": 6}]}
    ),
    "listed_day_impossible": _first_row_with(
        holidays={"kind": "list", "days": [{"name": "Bad Day", "rule": "fixed", "month": 6, "day": 31}]}
    ),
    "no_citation": _first_row_with(citation=None),
    "not_json": "{",
}


@pytest.mark.parametrize("change", sorted(MALFORMED))
def test_a_malformed_rules_file_fails_loudly(change: str) -> None:
    with pytest.raises(ComplianceDataInvalid) as raised:
        load(MALFORMED[change])
    assert "state_rules.json" in raised.value.message


def test_the_packaged_file_loads_cleanly() -> None:
    assert load() == RULES
