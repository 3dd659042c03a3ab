"""The calling-hours gate: floor, state rules, statute clocks and campaign windows, every zone at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gatehouse.compliance.hours import (
    Allowed,
    Blocked,
    CampaignWindow,
    Decision,
    Deferred,
    HoursReason,
    evaluate,
    is_allowed,
)
from gatehouse.compliance.state_rules import RULES, Channel, DeclaredDay, RuleScope, StateRule, Technology
from gatehouse.compliance.zones import zones_of_state
from gatehouse.errors import Invalid

ET, CT, MT, PT = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
PHX = "America/Phoenix"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


def decide(
    zones: set[str],
    states: set[str],
    now: datetime,
    windows: list[CampaignWindow] | None = None,
    channel: Channel = Channel.SMS,
    technology: Technology | None = None,
) -> Decision:
    return evaluate(zones, states, channel, windows, now, technology=technology)


ALLOWED = Allowed()

# (case, zones, states, now, expected)
CASES = [
    ("ny weekday morning", {ET}, {"NY"}, utc(2026, 11, 24, 14, 0), ALLOWED),
    ("ny one minute early", {ET}, {"NY"}, utc(2026, 11, 24, 12, 59),
     Deferred(utc(2026, 11, 24, 13, 0), HoursReason.FEDERAL_HOURS)),
    ("ny at nine pm", {ET}, {"NY"}, utc(2026, 11, 25, 2, 0),
     Deferred(utc(2026, 11, 25, 13, 0), HoursReason.FEDERAL_HOURS)),
    ("ny one second before nine pm", {ET}, {"NY"}, utc(2026, 11, 25, 1, 59, 59), ALLOWED),
    ("fl 8pm eastern", {ET, CT}, {"FL"}, utc(2026, 11, 25, 1, 0),
     Deferred(utc(2026, 11, 25, 14, 0), HoursReason.STATE_HOURS, "FL")),
    ("fl 7:59pm eastern", {ET, CT}, {"FL"}, utc(2026, 11, 25, 0, 59), ALLOWED),
    ("fl panhandle 8am central is the opening", {ET, CT}, {"FL"}, utc(2026, 11, 24, 13, 30),
     Deferred(utc(2026, 11, 24, 14, 0), HoursReason.FEDERAL_HOURS)),
    ("tx sunday before noon in both zones", {CT, MT}, {"TX"}, utc(2026, 11, 22, 17, 0),
     Deferred(utc(2026, 11, 22, 19, 0), HoursReason.STATE_HOURS, "TX")),
    ("tx sunday noon central only", {CT}, {"TX"}, utc(2026, 11, 22, 17, 59),
     Deferred(utc(2026, 11, 22, 18, 0), HoursReason.STATE_HOURS, "TX")),
    ("tx sunday noon", {CT}, {"TX"}, utc(2026, 11, 22, 18, 0), ALLOWED),
    ("tx law on central time for a texan in california", {PT}, {"TX"}, utc(2026, 11, 24, 3, 30),
     Deferred(utc(2026, 11, 24, 17, 0), HoursReason.STATE_HOURS, "TX")),
    ("ms central standard time in summer binds the morning", {CT}, {"MS"}, utc(2026, 7, 15, 13, 30),
     Deferred(utc(2026, 7, 15, 14, 0), HoursReason.STATE_HOURS, "MS")),
    ("ms local time binds the summer evening", {CT}, {"MS"}, utc(2026, 7, 16, 1, 0),
     Deferred(utc(2026, 7, 16, 14, 0), HoursReason.STATE_HOURS, "MS")),
    ("ms sunday", {CT}, {"MS"}, utc(2026, 11, 22, 18, 0),
     Deferred(utc(2026, 11, 23, 14, 0), HoursReason.STATE_BANNED_DAY, "MS")),
    ("ri sunday ban", {ET}, {"RI"}, utc(2026, 11, 22, 15, 0),
     Deferred(utc(2026, 11, 23, 14, 0), HoursReason.STATE_BANNED_DAY, "RI")),
    ("ri thanksgiving", {ET}, {"RI"}, utc(2026, 11, 26, 15, 0),
     Deferred(utc(2026, 11, 27, 14, 0), HoursReason.STATE_HOLIDAY, "RI")),
    ("ri victory day", {ET}, {"RI"}, utc(2026, 8, 10, 15, 0),
     Deferred(utc(2026, 8, 11, 13, 0), HoursReason.STATE_HOLIDAY, "RI")),
    ("ri saturday opens at ten", {ET}, {"RI"}, utc(2026, 11, 28, 14, 30),
     Deferred(utc(2026, 11, 28, 15, 0), HoursReason.STATE_HOURS, "RI")),
    ("ri saturday after five skips sunday", {ET}, {"RI"}, utc(2026, 11, 28, 22, 0),
     Deferred(utc(2026, 11, 30, 14, 0), HoursReason.STATE_HOURS, "RI")),
    ("ri friday six pm", {ET}, {"RI"}, utc(2026, 11, 27, 23, 0),
     Deferred(utc(2026, 11, 28, 15, 0), HoursReason.STATE_HOURS, "RI")),
    ("pa flag day observed monday", {ET}, {"PA"}, utc(2026, 6, 15, 14, 0),
     Deferred(utc(2026, 6, 16, 13, 0), HoursReason.STATE_HOLIDAY, "PA")),
    ("pa flag day on a monday", {ET}, {"PA"}, utc(2027, 6, 14, 14, 0),
     Deferred(utc(2027, 6, 15, 13, 0), HoursReason.STATE_HOLIDAY, "PA")),
    ("pa nine to eight", {ET}, {"PA"}, utc(2026, 11, 24, 13, 30),
     Deferred(utc(2026, 11, 24, 14, 0), HoursReason.STATE_HOURS, "PA")),
    ("ut pioneer day", {MT}, {"UT"}, utc(2026, 7, 24, 16, 0),
     Deferred(utc(2026, 7, 25, 14, 0), HoursReason.STATE_HOLIDAY, "UT")),
    ("ut sunday then monday", {MT}, {"UT"}, utc(2026, 7, 26, 16, 0),
     Deferred(utc(2026, 7, 27, 14, 0), HoursReason.STATE_BANNED_DAY, "UT")),
    ("la mardi gras", {CT}, {"LA"}, utc(2026, 2, 17, 16, 0),
     Deferred(utc(2026, 2, 18, 14, 0), HoursReason.STATE_HOLIDAY, "LA")),
    ("ks mountain counties still before eight", {CT, MT}, {"KS"}, utc(2026, 11, 24, 14, 30),
     Deferred(utc(2026, 11, 24, 15, 0), HoursReason.FEDERAL_HOURS)),
    ("arizona and navajo nation in summer, morning", {PHX, MT}, {"AZ"}, utc(2026, 7, 15, 14, 30),
     Deferred(utc(2026, 7, 15, 15, 0), HoursReason.FEDERAL_HOURS)),
    ("arizona and navajo nation in summer, evening", {PHX, MT}, {"AZ"}, utc(2026, 7, 16, 3, 0),
     Deferred(utc(2026, 7, 16, 15, 0), HoursReason.FEDERAL_HOURS)),
    ("arizona in winter: one clock", {PHX, MT}, {"AZ"}, utc(2026, 11, 24, 15, 0), ALLOWED),
    ("travelling texas mobile, state on record ny", {ET, CT}, {"NY", "TX"}, utc(2026, 11, 22, 16, 0),
     Deferred(utc(2026, 11, 22, 18, 0), HoursReason.STATE_HOURS, "TX")),
    ("spring forward: 1am est waits for 8am edt", {ET}, {"NY"}, utc(2026, 3, 8, 6, 0),
     Deferred(utc(2026, 3, 8, 12, 0), HoursReason.FEDERAL_HOURS)),
    ("spring forward: saturday evening closes at 9pm est", {ET}, {"NY"}, utc(2026, 3, 8, 2, 0),
     Deferred(utc(2026, 3, 8, 12, 0), HoursReason.FEDERAL_HOURS)),
    ("fall back: 1:30am edt waits for 8am est", {ET}, {"NY"}, utc(2026, 11, 1, 5, 30),
     Deferred(utc(2026, 11, 1, 13, 0), HoursReason.FEDERAL_HOURS)),
    ("fall back: the repeated 1:30am est", {ET}, {"NY"}, utc(2026, 11, 1, 6, 30),
     Deferred(utc(2026, 11, 1, 13, 0), HoursReason.FEDERAL_HOURS)),
    ("fall back: saturday 9pm edt", {ET}, {"NY"}, utc(2026, 11, 1, 1, 0),
     Deferred(utc(2026, 11, 1, 13, 0), HoursReason.FEDERAL_HOURS)),
    ("a statute's clock carries only its own state's rule", {ET}, {"MS", "KY"}, utc(2026, 11, 18, 14, 30),
     Deferred(utc(2026, 11, 18, 15, 0), HoursReason.STATE_HOURS, "KY")),
    ("no zone", set(), {"NY"}, utc(2026, 11, 24, 15, 0), Blocked(HoursReason.ZONE_UNKNOWN)),
    ("no zone, no state", set(), set(), utc(2026, 11, 24, 15, 0), Blocked(HoursReason.ZONE_UNKNOWN)),
    ("a zone that does not exist", {"Mars/Olympus"}, set(), utc(2026, 11, 24, 15, 0),
     Blocked(HoursReason.ZONE_INVALID)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("zones", "states", "now", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_calling_hours(zones: set[str], states: set[str], now: datetime, expected: Decision) -> None:
    decision = decide(zones, states, now)
    assert decision == expected
    if isinstance(decision, Deferred):
        _assert_lands_exactly_on_the_opening(zones, states, now, decision)


def _assert_lands_exactly_on_the_opening(
    zones: set[str], states: set[str], now: datetime, decision: Deferred
) -> None:
    until = decision.until_utc
    assert until > now
    assert is_allowed(zones, states, Channel.SMS, None, until)
    assert not is_allowed(zones, states, Channel.SMS, None, until - timedelta(seconds=1))


WEDNESDAY = date(2026, 11, 18)


# The technology each scope is tried with: a live call meets only the rows for every attempt.
PROBE = {
    RuleScope.ALL: (Channel.VOICE, Technology.LIVE),
    RuleScope.AUTOMATED: (Channel.VOICE, Technology.PRERECORDED),
    RuleScope.PRERECORDED: (Channel.VOICE, Technology.PRERECORDED),
}


@pytest.mark.parametrize("rule", RULES.rules, ids=[f"{rule.state}-{rule.scope}" for rule in RULES.rules])
def test_each_state_rows_hours_open_and_close_on_time(rule: StateRule) -> None:
    zone = sorted(zones_of_state(rule.state))[0]
    channel, technology = PROBE[rule.scope]
    rows = RULES.applicable({rule.state}, channel, technology)
    assert rule in rows
    ranges = [r.hours_on(WEDNESDAY.weekday()) for r in rows]
    floor = RULES.federal.range
    opens = max([floor.start, *(h.start for h in ranges if h is not None)])
    closes = min([floor.end, *(h.end for h in ranges if h is not None)])
    day = datetime(WEDNESDAY.year, WEDNESDAY.month, WEDNESDAY.day, tzinfo=ZoneInfo(zone))
    opening = (day + timedelta(minutes=opens)).astimezone(UTC)
    closing = (day + timedelta(minutes=closes)).astimezone(UTC)

    def at(instant: datetime) -> Decision:
        return decide({zone}, {rule.state}, instant, channel=channel, technology=technology)

    if all(r.clocks == ("recipient",) for r in rows):
        assert at(opening) == ALLOWED
        assert at(closing - timedelta(minutes=1)) == ALLOWED
    early = at(opening - timedelta(minutes=1))
    late = at(closing)
    assert isinstance(early, Deferred)
    assert early.until_utc >= opening
    assert isinstance(late, Deferred)
    assert late.until_utc > closing + timedelta(hours=10)


def test_voice_follows_the_same_rules() -> None:
    now = utc(2026, 11, 22, 17, 0)
    assert decide({CT}, {"TX"}, now, channel=Channel.VOICE) == decide({CT}, {"TX"}, now)


WEEKDAYS_10_TO_12 = [CampaignWindow.of(["mon", "tue", "wed", "thu", "fri"], "10:00", "12:00")]


@pytest.mark.parametrize(
    ("zones", "states", "now", "windows", "expected"),
    [
        pytest.param({ET}, {"NY"}, utc(2026, 11, 28, 16, 0), WEEKDAYS_10_TO_12,
                     Deferred(utc(2026, 11, 30, 15, 0), HoursReason.CAMPAIGN_WINDOW),
                     id="saturday to monday"),
        pytest.param({ET}, {"NY"}, utc(2026, 11, 30, 15, 0), WEEKDAYS_10_TO_12, ALLOWED, id="inside"),
        pytest.param({ET}, {"NY"}, utc(2026, 11, 30, 17, 0), WEEKDAYS_10_TO_12,
                     Deferred(utc(2026, 12, 1, 15, 0), HoursReason.CAMPAIGN_WINDOW), id="noon is the end"),
        pytest.param({ET, CT}, {"FL"}, utc(2026, 11, 30, 15, 30), WEEKDAYS_10_TO_12,
                     Deferred(utc(2026, 11, 30, 16, 0), HoursReason.CAMPAIGN_WINDOW),
                     id="every zone inside the window"),
        pytest.param({ET}, {"NY"}, utc(2026, 11, 30, 15, 0), [],
                     Blocked(HoursReason.NO_WINDOW), id="no window at all"),
        pytest.param({ET}, {"CT"}, utc(2026, 11, 30, 15, 0), [CampaignWindow.of(["mon"], "20:00", "21:00")],
                     Blocked(HoursReason.NO_WINDOW), id="window only where the state forbids"),
        pytest.param({ET}, {"NY"}, utc(2026, 11, 30, 12, 0), [CampaignWindow.of(["sun"], "06:00", "24:00")],
                     Deferred(utc(2026, 12, 6, 13, 0), HoursReason.FEDERAL_HOURS), id="next sunday, floor"),
        pytest.param({ET}, {"NY"}, utc(2026, 11, 30, 15, 0),
                     [CampaignWindow.of(["mon"], "08:00", "09:00"),
                      CampaignWindow.of(["mon"], "10:00", "11:00")],
                     ALLOWED, id="any window will do"),
    ],
)  # fmt: skip
def test_campaign_windows(
    zones: set[str], states: set[str], now: datetime, windows: list[CampaignWindow], expected: Decision
) -> None:
    assert decide(zones, states, now, windows) == expected


def test_campaign_windows_are_read_in_each_zones_local_time() -> None:
    windows = [CampaignWindow.of(["tue"], "08:00", "09:00")]
    decision = decide({ET, PT}, set(), utc(2026, 11, 24, 12, 0), windows)
    assert decision == Blocked(HoursReason.NO_WINDOW)  # 8am eastern is 5am pacific, and so on


@pytest.mark.parametrize(
    ("days", "start", "end"),
    [
        (["mon"], "10:00", "09:00"),
        (["funday"], "10:00", "11:00"),
        ([], "10:00", "11:00"),
        (["mon"], "7", "9"),
        (["mon"], "10:00", "25:00"),
    ],
)
def test_a_malformed_campaign_window_is_invalid(days: list[str], start: str, end: str) -> None:
    with pytest.raises(Invalid):
        CampaignWindow.of(days, start, end)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(Invalid):
        evaluate({ET}, set(), Channel.SMS, None, datetime(2026, 11, 24, 15, 0))


def test_nothing_within_the_horizon_is_blocked() -> None:
    windows = [CampaignWindow.of(["sun"], "10:00", "11:00")]
    assert decide({ET}, {"RI"}, utc(2026, 11, 24, 15, 0), windows) == Blocked(HoursReason.NO_WINDOW)


def test_reason_codes_are_stable_strings() -> None:
    assert {reason.value for reason in HoursReason} == {
        "zone_unknown",
        "zone_invalid",
        "no_window",
        "federal_hours",
        "state_hours",
        "state_banned_day",
        "state_holiday",
        "state_automated_hours",
        "campaign_window",
    }


def test_local_helper_matches_utc() -> None:
    assert local(ET, 2026, 11, 24, 9, 0) == utc(2026, 11, 24, 14, 0)


def test_a_deferral_is_in_utc_whatever_zone_now_is_given_in() -> None:
    now = datetime(2026, 11, 24, 7, 0, tzinfo=ZoneInfo(ET))
    decision = decide({ET}, {"ny"}, now)
    assert decision == Deferred(utc(2026, 11, 24, 13, 0), HoursReason.FEDERAL_HOURS)
    assert isinstance(decision, Deferred)
    assert decision.until_utc.tzinfo is UTC


def test_state_codes_are_read_in_any_case() -> None:
    assert decide({CT}, {"tx"}, utc(2026, 11, 22, 17, 0)) == decide({CT}, {"TX"}, utc(2026, 11, 22, 17, 0))


# ---------------------------------------------------------------- rules by technology

LIVE, PRERECORDED, AI, TEXT = (
    Technology.LIVE,
    Technology.PRERECORDED,
    Technology.ARTIFICIAL_VOICE,
    Technology.AUTODIALED,
)
V, S = Channel.VOICE, Channel.SMS
AUTOMATED_HOURS = HoursReason.STATE_AUTOMATED_HOURS

# (case naming the rule, zones, states, channel, technology, now, expected)
BY_TECHNOLOGY = [
    ("10 M.R.S. 1498(3): automated calls open at 9am", {ET}, {"ME"}, V, PRERECORDED,
     utc(2026, 11, 24, 13, 30), Deferred(utc(2026, 11, 24, 14, 0), AUTOMATED_HOURS, "ME")),
    ("10 M.R.S. 1498(3): automated calls end at 5pm", {ET}, {"ME"}, V, AI, utc(2026, 11, 24, 22, 0),
     Deferred(utc(2026, 11, 25, 14, 0), AUTOMATED_HOURS, "ME")),
    ("10 M.R.S. 1498(3): weekdays only, friday 5pm waits for monday", {ET}, {"ME"}, S, TEXT,
     utc(2026, 11, 27, 22, 0), Deferred(utc(2026, 11, 30, 14, 0), AUTOMATED_HOURS, "ME")),
    ("10 M.R.S. 1498(3): maine time for a mainer in california", {PT}, {"ME"}, V, PRERECORDED,
     utc(2026, 11, 24, 22, 30), Deferred(utc(2026, 11, 25, 17, 0), AUTOMATED_HOURS, "ME")),
    ("10 M.R.S. 1498(3) does not reach a live call", {ET}, {"ME"}, V, LIVE, utc(2026, 11, 28, 15, 0),
     ALLOWED),
    ("S.C. Code 16-17-446(C)(3): automated calls end at 7pm", {ET}, {"SC"}, V, PRERECORDED,
     utc(2026, 11, 25, 0, 0), Deferred(utc(2026, 11, 25, 13, 0), AUTOMATED_HOURS, "SC")),
    ("S.C. Code 16-17-446(C)(3): texts are automated", {ET}, {"SC"}, S, TEXT, utc(2026, 11, 25, 0, 30),
     Deferred(utc(2026, 11, 25, 13, 0), AUTOMATED_HOURS, "SC")),
    ("S.C. Code 16-17-446(C)(3) does not reach a live call", {ET}, {"SC"}, V, LIVE, utc(2026, 11, 25, 0, 30),
     ALLOWED),
    ("Neb. tit. 291 ch. 11: prerecorded on sunday from 1pm", {CT}, {"NE"}, V, PRERECORDED,
     utc(2026, 11, 22, 15, 0), Deferred(utc(2026, 11, 22, 19, 0), AUTOMATED_HOURS, "NE")),
    ("Neb. tit. 291 ch. 11: prerecorded on a legal holiday from 1pm", {CT}, {"NE"}, V, AI,
     utc(2026, 11, 26, 15, 0), Deferred(utc(2026, 11, 26, 19, 0), AUTOMATED_HOURS, "NE")),
    ("Neb. tit. 291 ch. 11 does not reach texts", {CT}, {"NE"}, S, TEXT, utc(2026, 11, 22, 15, 0), ALLOWED),
    ("Neb. tit. 291 ch. 11 does not reach live calls", {CT}, {"NE"}, V, LIVE, utc(2026, 11, 22, 15, 0),
     ALLOWED),
    ("815 ILCS 305: automated calls open at 9am", {CT}, {"IL"}, V, PRERECORDED, utc(2026, 11, 24, 14, 30),
     Deferred(utc(2026, 11, 24, 15, 0), AUTOMATED_HOURS, "IL")),
    ("815 ILCS 413: live calls open at 8am", {CT}, {"IL"}, V, LIVE, utc(2026, 11, 24, 14, 30), ALLOWED),
    ("Cal. Pub. Util. Code 2872: automated calls open at 9am", {PT}, {"CA"}, S, TEXT,
     utc(2026, 11, 24, 16, 30), Deferred(utc(2026, 11, 24, 17, 0), AUTOMATED_HOURS, "CA")),
    ("Cal. Pub. Util. Code 2872(c), low confidence: a live call also waits for 9am", {PT}, {"CA"}, V, LIVE,
     utc(2026, 11, 24, 16, 30), Deferred(utc(2026, 11, 24, 17, 0), HoursReason.STATE_HOURS, "CA")),
    ("KY low confidence: live calls still wait for 10am", {ET}, {"KY"}, V, LIVE, utc(2026, 11, 24, 14, 30),
     Deferred(utc(2026, 11, 24, 15, 0), HoursReason.STATE_HOURS, "KY")),
    ("AL low-medium: live calls still banned on sunday", {CT}, {"AL"}, V, LIVE, utc(2026, 11, 22, 18, 0),
     Deferred(utc(2026, 11, 23, 14, 0), HoursReason.STATE_BANNED_DAY, "AL")),
    ("technology not said: the automated rows apply (fail closed)", {ET}, {"ME"}, V, None,
     utc(2026, 11, 28, 15, 0), Deferred(utc(2026, 11, 30, 14, 0), AUTOMATED_HOURS, "ME")),
    ("technology not said: nebraska's prerecorded row applies", {CT}, {"NE"}, V, None,
     utc(2026, 11, 22, 15, 0), Deferred(utc(2026, 11, 22, 19, 0), AUTOMATED_HOURS, "NE")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("zones", "states", "channel", "technology", "now", "expected"),
    [c[1:] for c in BY_TECHNOLOGY],
    ids=[c[0] for c in BY_TECHNOLOGY],
)
def test_rules_by_technology(
    zones: set[str],
    states: set[str],
    channel: Channel,
    technology: Technology | None,
    now: datetime,
    expected: Decision,
) -> None:
    decision = decide(zones, states, now, channel=channel, technology=technology)
    assert decision == expected
    if isinstance(decision, Deferred):
        until = decision.until_utc
        assert is_allowed(zones, states, channel, None, until, technology=technology)
        assert not is_allowed(
            zones, states, channel, None, until - timedelta(seconds=1), technology=technology
        )


def test_the_default_technology_is_the_strictest() -> None:
    # Every technology's answer is at least as late as the default's would allow.
    now = utc(2026, 11, 22, 15, 0)
    default = decide({CT, ET}, {"NE", "ME", "IL", "SC"}, now, channel=V)
    assert isinstance(default, Deferred)
    for technology in Technology:
        channel = S if technology is TEXT else V
        got = decide({CT, ET}, {"NE", "ME", "IL", "SC"}, now, channel=channel, technology=technology)
        assert got == ALLOWED or (isinstance(got, Deferred) and got.until_utc <= default.until_utc)


# ---------------------------------------------------------------- declared days


def test_a_declared_day_defers_to_the_next_day() -> None:
    proclaimed = DeclaredDay(state="LA", day=date(2026, 12, 24), source="Proclamation No. 150 JML 2026")
    now = utc(2026, 12, 24, 16, 0)  # a Thursday, 10am in Louisiana
    assert decide({CT}, {"LA"}, now) == ALLOWED
    decision = evaluate({CT}, {"LA"}, S, None, now, rules=RULES.with_declared([proclaimed]), technology=TEXT)
    assert decision == Deferred(utc(2026, 12, 26, 14, 0), HoursReason.STATE_HOLIDAY, "LA")  # 25th: Christmas


def test_a_declared_day_binds_a_live_call_too() -> None:
    proclaimed = DeclaredDay(
        state="TX", day=date(2026, 11, 24), source="Texas disaster proclamation, 2026-11-23"
    )
    book = RULES.with_declared([proclaimed])
    decision = evaluate({CT}, {"TX"}, V, None, utc(2026, 11, 24, 16, 0), rules=book, technology=LIVE)
    assert decision == Deferred(utc(2026, 11, 25, 15, 0), HoursReason.STATE_HOLIDAY, "TX")


def test_a_state_on_record_that_contradicts_the_number_brings_both_states_rules() -> None:
    # A Maine number whose record says Nebraska: Maine's automated hours and Nebraska's Sunday rule.
    from gatehouse.compliance.zones import locate

    place = locate("+12075551234", "NE")
    assert place.states == {"ME", "NE"}
    decision = evaluate(place.zones, place.states, V, None, utc(2026, 11, 22, 19, 0), technology=PRERECORDED)
    # Sunday: Maine bans it; Monday opens at 9am in the last of the zones (Nebraska's Mountain part).
    assert decision == Deferred(utc(2026, 11, 23, 16, 0), AUTOMATED_HOURS, "ME")
