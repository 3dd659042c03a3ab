"""The state rules file: every row the reference names, read as it says, and a bad file fails loudly."""

from __future__ import annotations

import json
from datetime import date, datetime

import holidays
import pytest

from gatehouse.compliance.data_files import ComplianceDataInvalid, read_text
from gatehouse.compliance.holiday_sources import US_SUBDIVISIONS
from gatehouse.compliance.state_rules import (
    RULES,
    AttemptCap,
    Channel,
    DeclaredDay,
    RuleReason,
    RuleScope,
    Technology,
    load,
)

REFERENCE_STATES = {
    "FL", "OK", "MD", "TX", "CT", "WA", "MA", "RI", "MS", "UT", "PA", "LA", "AL", "KY", "MI", "MN",
    "NV", "NM", "CA", "IL",
}  # fmt: skip
# The reference's "Rules that apply to automated or prerecorded calls" (December 2026 review).
TECHNOLOGY_STATES = {"ME", "SC", "NE"}
AUTOMATED, PRERECORDED = RuleScope.AUTOMATED, RuleScope.PRERECORDED


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


def test_every_state_of_the_reference_has_one_row_with_a_citation() -> None:
    assert {rule.state for rule in RULES.rules} == REFERENCE_STATES | TECHNOLOGY_STATES
    for rule in RULES.rules:
        assert rule.citation
        assert rule.confidence


@pytest.mark.parametrize(
    ("state", "weekday", "hours", "cap"),
    [
        ("PA", 5, ("09:00", "12:00"), None),  # 44 P.S. 11: Saturday afternoon is a half-holiday
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
        ("CA", 3, ("09:00", "21:00"), None),  # 2872(c), low confidence: live calls too (strict reading)
        ("IL", 3, ("08:00", "21:00"), None),  # live calls: 815 ILCS 413
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
    assert rule.attempt_cap == (None if cap is None else AttemptCap(attempts=cap, hours=24))


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
        ("LA", date(2026, 4, 3), True),  # Good Friday, La. R.S. 1:55
        ("LA", date(2026, 11, 11), True),  # Veterans Day, La. R.S. 1:55
        ("LA", date(2026, 11, 26), True),  # Thanksgiving, La. R.S. 1:55
        ("LA", date(2026, 11, 3), True),  # Election Day, La. R.S. 1:55
        ("LA", date(2027, 11, 2), True),
        ("LA", date(2026, 5, 25), True),  # National Memorial Day, La. R.S. 1:55
        ("LA", date(2026, 1, 1), True),  # New Year's Day, PSC list
        ("LA", date(2026, 8, 11), False),
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
    day = AttemptCap(attempts=3, hours=24)
    assert RULES.attempt_caps({"FL", "MD", "OK", "NY"}, Channel.SMS) == (
        ("FL", day),
        ("MD", day),
        ("OK", day),
    )
    # NE's rule is about prerecorded messages: a text is not one.
    assert RULES.applicable({"NE"}, Channel.SMS) == ()


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


def _recording_twice() -> str:
    document = json.loads(read_text("state_rules.json"))
    document["all_party_recording"].append(document["all_party_recording"][0])
    return json.dumps(document)


def _recording_row(**changes: object) -> str:
    document = json.loads(read_text("state_rules.json"))
    row = document["all_party_recording"][0]
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
    "zero_cap": _first_row_with(attempt_cap={"attempts": 0, "hours": 24}),
    "cap_window_past_the_ledger": _first_row_with(attempt_cap={"attempts": 1, "hours": 25}),
    "cap_as_a_bare_number": _first_row_with(attempt_cap=3),
    "old_cap_field": _first_row_with(attempt_cap_24h=3),
    "no_scope": _first_row_with(scope=None),
    "unknown_scope": _first_row_with(scope="robots"),
    "holiday_hours_without_holidays": _first_row_with(holidays=None, holiday_hours=["13:00", "21:00"]),
    "union_of_one": _first_row_with(
        holidays={"kind": "union", "of": [{"kind": "package", "subdivision": "US-AL"}]}
    ),
    "recording_state_twice": _recording_twice(),
    "recording_without_citation": _recording_row(citation=None),
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


def test_a_state_may_hold_one_row_per_technology_scope() -> None:
    document = json.loads(read_text("state_rules.json"))
    twin = {**document["rules"][0], "scope": "automated"}
    document["rules"].append(twin)
    assert len(load(json.dumps(document)).rules) == len(RULES.rules) + 1


# ---------------------------------------------------------------- rules by technology

# (case, state, scope, weekday, hours or None for a banned day, cap as (attempts, hours), source)
TECHNOLOGY_ROWS = [
    ("ME automated weekdays 9-5", "ME", AUTOMATED, 2, ("09:00", "17:00"), (1, 8), "10 M.R.S. 1498(3)"),
    ("ME automated not on saturday", "ME", AUTOMATED, 5, None, (1, 8), "10 M.R.S. 1498(3)"),
    ("ME automated not on sunday", "ME", AUTOMATED, 6, None, (1, 8), "10 M.R.S. 1498(3)"),
    ("SC automated 8-7", "SC", AUTOMATED, 2, ("08:00", "19:00"), None, "S.C. Code 16-17-446(C)(3)"),
    ("NE prerecorded sunday 1-9", "NE", PRERECORDED, 6, ("13:00", "21:00"), None, "Neb. Admin. Code"),
    ("NE prerecorded weekdays: the floor", "NE", PRERECORDED, 2, ("00:00", "24:00"), None, "tit. 291"),
    ("IL automated 9-9", "IL", AUTOMATED, 2, ("09:00", "21:00"), None, "815 ILCS 305"),
    ("CA automated 9-9", "CA", AUTOMATED, 2, ("09:00", "21:00"), None, "Cal. Pub. Util. Code 2872"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "scope", "weekday", "hours", "cap", "source"),
    [c[1:] for c in TECHNOLOGY_ROWS],
    ids=[c[0] for c in TECHNOLOGY_ROWS],
)
def test_technology_rows_hold_the_references_rules(
    state: str,
    scope: RuleScope,
    weekday: int,
    hours: tuple[str, str] | None,
    cap: tuple[int, int] | None,
    source: str,
) -> None:
    rule = RULES.rule_for(state, scope)
    assert rule is not None
    assert source in rule.citation
    got = rule.hours_on(weekday)
    if hours is None:
        assert got is None
    else:
        assert got is not None
        assert (got.start, got.end) == (_minutes(hours[0]), _minutes(hours[1]))
    assert rule.attempt_cap == (None if cap is None else AttemptCap(attempts=cap[0], hours=cap[1]))


def test_maine_is_read_in_maine_time() -> None:
    rule = RULES.rule_for("ME", AUTOMATED)
    assert rule is not None
    assert rule.clocks == ("recipient", "America/New_York")  # 10 M.R.S. 1498(3): "Maine time"


# (case, states, channel, technology, the (state, scope) rows that must apply)
REACH = [
    ("live call in maine: no maine rule", {"ME"}, Channel.VOICE, Technology.LIVE, set()),
    ("prerecorded call in maine", {"ME"}, Channel.VOICE, Technology.PRERECORDED, {("ME", AUTOMATED)}),
    ("ai voice in maine", {"ME"}, Channel.VOICE, Technology.ARTIFICIAL_VOICE, {("ME", AUTOMATED)}),
    ("text in maine is autodialed", {"ME"}, Channel.SMS, Technology.AUTODIALED, {("ME", AUTOMATED)}),
    ("text in south carolina", {"SC"}, Channel.SMS, Technology.AUTODIALED, {("SC", AUTOMATED)}),
    ("live call in south carolina", {"SC"}, Channel.VOICE, Technology.LIVE, set()),
    ("prerecorded in nebraska", {"NE"}, Channel.VOICE, Technology.PRERECORDED, {("NE", PRERECORDED)}),
    ("ai voice in nebraska", {"NE"}, Channel.VOICE, Technology.ARTIFICIAL_VOICE, {("NE", PRERECORDED)}),
    ("text in nebraska: not a prerecorded message", {"NE"}, Channel.SMS, Technology.AUTODIALED, set()),
    ("live call in illinois: 815 ILCS 413 only", {"IL"}, Channel.VOICE, Technology.LIVE,
     {("IL", RuleScope.ALL)}),
    ("text in illinois", {"IL"}, Channel.SMS, Technology.AUTODIALED,
     {("IL", RuleScope.ALL), ("IL", AUTOMATED)}),
    ("live call in kentucky: strict until confirmed", {"KY"}, Channel.VOICE, Technology.LIVE,
     {("KY", RuleScope.ALL)}),
    ("live call in alabama: strict", {"AL"}, Channel.VOICE, Technology.LIVE, {("AL", RuleScope.ALL)}),
    ("technology not said: every row", {"ME", "NE", "IL"}, Channel.VOICE, None,
     {("ME", AUTOMATED), ("NE", PRERECORDED), ("IL", RuleScope.ALL), ("IL", AUTOMATED)}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("states", "channel", "technology", "expected"), [c[1:] for c in REACH], ids=[c[0] for c in REACH]
)
def test_rows_reach_the_technologies_their_statutes_name(
    states: set[str], channel: Channel, technology: Technology | None, expected: set[tuple[str, RuleScope]]
) -> None:
    got = {(rule.state, rule.scope) for rule in RULES.applicable(states, channel, technology)}
    assert got == expected


@pytest.mark.parametrize(
    ("state", "scope", "local", "reason"),
    [
        ("ME", AUTOMATED, datetime(2026, 11, 24, 17, 0), RuleReason.AUTOMATED_HOURS),  # 5pm is the end
        ("ME", AUTOMATED, datetime(2026, 11, 24, 16, 59), None),
        ("ME", AUTOMATED, datetime(2026, 11, 28, 12, 0), RuleReason.AUTOMATED_HOURS),  # Saturday
        ("SC", AUTOMATED, datetime(2026, 11, 24, 19, 0), RuleReason.AUTOMATED_HOURS),  # 7pm is the end
        ("SC", AUTOMATED, datetime(2026, 11, 24, 18, 59), None),
        ("NE", PRERECORDED, datetime(2026, 11, 22, 12, 59), RuleReason.AUTOMATED_HOURS),  # Sunday morning
        ("NE", PRERECORDED, datetime(2026, 11, 22, 13, 0), None),
        ("NE", PRERECORDED, datetime(2026, 11, 26, 10, 0), RuleReason.AUTOMATED_HOURS),  # Thanksgiving
        ("NE", PRERECORDED, datetime(2026, 11, 26, 13, 0), None),
        ("NE", PRERECORDED, datetime(2026, 4, 24, 10, 0), RuleReason.AUTOMATED_HOURS),  # Arbor Day
        ("NE", PRERECORDED, datetime(2026, 11, 24, 10, 0), None),  # an ordinary Tuesday
        ("PA", RuleScope.ALL, datetime(2026, 11, 28, 12, 0), RuleReason.HOURS),  # Saturday afternoon
        ("PA", RuleScope.ALL, datetime(2026, 11, 28, 11, 59), None),
    ],
)
def test_refusals_by_technology_rows(
    state: str, scope: RuleScope, local: datetime, reason: RuleReason | None
) -> None:
    rule = RULES.rule_for(state, scope)
    assert rule is not None
    assert rule.refuses(local) == reason


# ---------------------------------------------------------------- recording consent

ALL_PARTY = {
    "CA": "Cal. Penal Code 632",
    "FL": "Fla. Stat. 934.03",
    "IL": "720 ILCS 5/14-2",
    "MD": "10-402",
    "MA": "c. 272 sec. 99",
    "MT": "45-8-213",
    "NH": "570-A:2",
    "PA": "18 Pa.C.S. 5704",
    "WA": "RCW 9.73.030",
}


@pytest.mark.parametrize(("state", "statute"), sorted(ALL_PARTY.items()))
def test_all_party_recording_states_cite_their_statute(state: str, statute: str) -> None:
    [row] = [row for row in RULES.all_party_recording if row.state == state]
    assert statute in row.citation
    assert row.confidence
    assert RULES.all_party_recording_states([state.lower(), "NY"]) == (state,)


def test_all_party_recording_states_keeps_only_the_given_states() -> None:
    assert RULES.all_party_recording_states(["WA", "TX", " ca", "NY"]) == ("CA", "WA")
    assert RULES.all_party_recording_states([]) == ()
    assert {row.state for row in RULES.all_party_recording} == set(ALL_PARTY)


# ---------------------------------------------------------------- no call again after a hang-up


def test_nevada_alone_bars_another_recorded_call_after_a_hang_up_nrs_597_814() -> None:
    """NRS 597.814 (calling-rules reference, NV row: "no re-call after hang-up on a recorded call",
    low confidence, applied strictly): the NV row carries the bar with its citation, and it reaches
    artificial and prerecorded voices (and an unsaid technology), never a live call or a text."""
    [row] = [row for row in RULES.rules if row.no_recall_after_hang_up]
    assert (row.state, row.scope) == ("NV", RuleScope.ALL)
    assert "NRS 597.814" in row.citation
    assert "not encoded" not in row.notes
    people = ["ny", " nv", "CA"]
    for technology in (Technology.ARTIFICIAL_VOICE, Technology.PRERECORDED, None):
        assert RULES.no_recall_after_hang_up(people, technology) == ("NV",)
    assert RULES.no_recall_after_hang_up(people, Technology.LIVE) == ()
    assert RULES.no_recall_after_hang_up(people, Technology.AUTODIALED) == ()
    assert RULES.no_recall_after_hang_up(["NY", "CA"], Technology.ARTIFICIAL_VOICE) == ()


# ---------------------------------------------------------------- declared days

PROCLAMATION = "Louisiana Governor's Proclamation 123 JML 2026"


def test_a_declared_day_bans_every_attempt_of_its_state() -> None:
    book = RULES.with_declared([DeclaredDay(state="LA", day=date(2026, 12, 24), source=PROCLAMATION)])
    for channel, technology in [(Channel.SMS, Technology.AUTODIALED), (Channel.VOICE, Technology.LIVE)]:
        refusals = {
            r.refuses(datetime(2026, 12, 24, 12, 0)) for r in book.applicable({"LA"}, channel, technology)
        }
        assert RuleReason.HOLIDAY in refusals
    assert RULES.applicable({"LA"}, Channel.SMS)[0].refuses(datetime(2026, 12, 24, 12, 0)) is None


def test_a_declared_day_reaches_a_state_without_rows_and_leaves_the_book_unchanged() -> None:
    day = DeclaredDay(state="GA", day=date(2026, 9, 1), source="Georgia Executive Order 09.01.26.01")
    book = RULES.with_declared([day])
    [row] = book.applicable({"GA"}, Channel.SMS, Technology.AUTODIALED)
    assert row.declared
    assert row.refuses(datetime(2026, 9, 1, 12, 0)) == RuleReason.HOLIDAY
    assert row.refuses(datetime(2026, 9, 2, 12, 0)) is None
    assert day.source in row.citation
    assert RULES.applicable({"GA"}, Channel.SMS) == ()  # pure: the packaged book is untouched
    assert book.rule_for("GA") is None  # a declared row is not a row of the file


def test_declaring_again_replaces_the_earlier_declared_rows() -> None:
    first = RULES.with_declared([DeclaredDay(state="LA", day=date(2026, 12, 24), source=PROCLAMATION)])
    second = first.with_declared([DeclaredDay(state="LA", day=date(2026, 12, 31), source=PROCLAMATION)])
    [row] = [r for r in second.rules if r.declared]
    assert row.banned_dates == frozenset({date(2026, 12, 31)})
    assert RULES.with_declared([]) is RULES


def test_the_subdivisions_checked_without_the_package_are_the_packages_own() -> None:
    assert frozenset(holidays.list_supported_countries()["US"]) == US_SUBDIVISIONS
