"""Candidate zones and states: the number's place and the state on record, never fewer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from phonenumbers import geocoder, timezone
from phonenumbers.tzdata import TIMEZONE_DATA

from gatehouse.compliance.hours import Deferred, HoursReason, evaluate
from gatehouse.compliance.state_rules import Channel, Technology
from gatehouse.compliance.zones import (
    AREA_CODES,
    STATE_ZONES,
    UnknownState,
    ahead_of_library,
    candidate_zones,
    locate,
    number_place,
    states_for,
    zones_of_state,
)
from gatehouse.contacts.records import US_REGIONS, InvalidPhone, normalize_phone
from gatehouse.errors import Invalid

ET, CT, MT, PT = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
FIFTY_AND_DC = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND",
    "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
}  # fmt: skip


def test_every_state_and_dc_has_zones_that_exist_and_a_source() -> None:
    assert STATE_ZONES.states.keys() >= FIFTY_AND_DC
    for state, row in STATE_ZONES.states.items():
        assert row.source, state
        for zone in row.zones:
            ZoneInfo(zone)


@pytest.mark.parametrize(
    ("state", "must_include"),
    [
        ("FL", {ET, CT}),
        ("TX", {CT, MT}),
        ("KS", {CT, MT}),
        ("NE", {CT, MT}),
        ("SD", {CT, MT}),
        ("ND", {CT, MT}),
        ("ID", {"America/Boise", PT}),
        ("OR", {PT, "America/Boise"}),
        ("IN", {"America/Indiana/Indianapolis", CT}),
        ("KY", {ET, CT}),
        ("TN", {ET, CT}),
        ("MI", {"America/Detroit", "America/Menominee"}),
        ("AK", {"America/Anchorage", "America/Adak"}),
        ("AZ", {"America/Phoenix", MT}),
        ("NY", {ET}),
        ("HI", {"Pacific/Honolulu"}),
    ],
)
def test_multi_zone_states_yield_every_zone(state: str, must_include: set[str]) -> None:
    assert must_include <= zones_of_state(state)


def test_arizona_keeps_no_dst_and_the_navajo_nation() -> None:
    zones = zones_of_state("AZ")
    assert "America/Phoenix" in zones  # MST all year
    assert MT in zones  # Navajo Nation observes DST


@pytest.mark.parametrize(
    ("e164", "state", "expected"),
    [
        ("+12125551234", "NY", {ET}),
        ("+12125551234", None, {ET}),
        ("+18504321234", None, {ET, CT}),  # 850 spans zones: the whole of Florida
        ("+17135551234", None, {CT}),  # Houston: one zone, trusted
        ("+17135551234", "NY", {ET, CT}),  # travelling mobile: both places
        ("+12125551234", "tx", {ET, CT, MT}),  # state on record: every Texas zone
        ("+12705551234", None, set(zones_of_state("KY"))),  # 270: libphonenumber says Eastern only
        ("+14585551234", None, {PT, "America/Boise"}),  # overlay with no exchange data
        ("+18005551234", None, set()),  # toll-free names no place
        ("+18885551234", "FL", {ET, CT}),
        ("+15005551234", None, set()),  # personal 5XX
        ("+19005551234", None, set()),  # premium
        ("+19285551234", None, {"America/Phoenix", MT}),
        ("+442071234567", None, {"Europe/London"}),
        ("", None, set()),
        ("not a number", None, set()),
        ("+1555555555", None, set()),
        ("2125551234", None, set()),  # not E.164
        ("", " ", set()),
    ],
)
def test_candidate_zones(e164: str, state: str | None, expected: set[str]) -> None:
    assert candidate_zones(e164, state) == frozenset(expected)


@pytest.mark.parametrize(
    ("e164", "state", "expected"),
    [
        ("+17135551234", "NY", {"NY", "TX"}),
        ("+12125551234", "NY", {"NY"}),
        ("+12125551234", None, {"NY"}),
        ("+18005551234", "fl ", {"FL"}),
        ("+442071234567", None, set()),
        ("junk", None, set()),
        ("+17875551234", None, {"PR"}),
    ],
)
def test_states_for_names_the_record_and_the_area_code(
    e164: str, state: str | None, expected: set[str]
) -> None:
    assert states_for(e164, state) == frozenset(expected)


@pytest.mark.parametrize("bad", ["ZZ", "Texas", "T", "XX1", "--"])
def test_an_unknown_state_on_record_is_a_domain_error(bad: str) -> None:
    with pytest.raises(UnknownState) as raised:
        candidate_zones("+12125551234", bad)
    assert isinstance(raised.value, Invalid)
    assert raised.value.code == "unknown_state"


def test_a_number_never_removes_the_states_zones() -> None:
    for e164 in ("+12125551234", "+18005551234", "junk", "+19075551234"):
        for state in ("FL", "IN", "AK"):
            assert zones_of_state(state) <= candidate_zones(e164, state)


def test_postal_code_does_not_narrow_the_state_yet() -> None:
    assert candidate_zones("+12125551234", "FL", "32501") == candidate_zones("+12125551234", "FL")


def test_locate_returns_zones_and_states_together() -> None:
    location = locate("+17135551234", "NY")
    assert location.zones == frozenset({ET, CT})
    assert location.states == frozenset({"NY", "TX"})


def test_area_code_file_agrees_with_libphonenumber_geocoding() -> None:
    for area_code, state in AREA_CODES.area_codes.items():
        number = phonenumbers.parse(f"+1{area_code}2345678")
        place = geocoder.description_for_number(number, "en")
        if not place:
            continue
        named = STATE_NAMES.get(place) or place.rsplit(", ", 1)[-1]
        assert named == state, (area_code, place)


def test_every_area_code_libphonenumber_splits_across_zones_is_marked_as_spanning() -> None:
    split: dict[str, set[str]] = {}
    for prefix, zones in TIMEZONE_DATA.items():
        if prefix.startswith("1") and len(prefix) > 4 and prefix[1:4] in AREA_CODES.area_codes:
            split.setdefault(prefix[1:4], set()).update(zones)
    spanning = {code for code, zones in split.items() if len(zones) > 1}
    assert spanning <= AREA_CODES.spans_zones


def test_number_place_is_cached_and_pure() -> None:
    assert number_place("+12125551234") is number_place("+12125551234")


def test_data_files_ship_inside_the_package() -> None:
    data = resources.files("gatehouse.compliance").joinpath("data")
    for name in ("state_zones.json", "area_codes.json", "state_rules.json"):
        json.loads(data.joinpath(name).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the file against the library

# Subscriber numbers tried per area code: the library's valid ranges differ by code (684 wants 633...).
SAMPLES = ("2345678", "6331234", "6421234", "4567890", "8675309")
NOT_A_PLACE = {
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.UAN,
    phonenumbers.PhoneNumberType.VOICEMAIL,
}
# The calling-rules reference (December 2026 review): in service, not in libphonenumber 9.0.43.
AHEAD = {
    "357": "CA", "436": "OH", "457": "LA", "621": "TX", "624": "NY", "679": "MI", "729": "TN",
    "837": "CA", "861": "IL", "924": "MN", "465": "NY", "471": "MS", "483": "AL",
}  # fmt: skip


def _library_sample(area_code: str) -> phonenumbers.PhoneNumber | None:
    """A number of ``area_code`` the library calls a valid US place, or None when it knows none."""
    for subscriber in SAMPLES:
        number = phonenumbers.parse(f"+1{area_code}{subscriber}")
        if (
            phonenumbers.is_valid_number(number)
            and phonenumbers.region_code_for_number(number) in US_REGIONS
            and phonenumbers.number_type(number) not in NOT_A_PLACE
        ):
            return number
    return None


LIBRARY_CODES = {str(code) for code in range(200, 1000) if _library_sample(str(code)) is not None}


def test_the_area_code_file_and_libphonenumber_know_the_same_codes() -> None:
    in_file = AREA_CODES.area_codes.keys() - AREA_CODES.ahead_of_library.keys()
    assert sorted(LIBRARY_CODES - in_file) == [], "the library knows codes the file lacks: add them"
    assert sorted(in_file - LIBRARY_CODES) == [], "the file has codes the library does not know"


def test_codes_ahead_of_the_library_are_the_referenced_ones_with_a_source() -> None:
    assert AREA_CODES.ahead_of_library.keys() == AHEAD.keys()
    for code, state in AHEAD.items():
        assert AREA_CODES.area_codes[code] == state
        assert "nanpa" in AREA_CODES.ahead_of_library[code].lower()


@pytest.mark.parametrize("code", sorted(AHEAD))
def test_a_code_ahead_of_the_library_leaves_the_list_once_the_library_knows_it(code: str) -> None:
    assert code not in LIBRARY_CODES, f"libphonenumber now knows {code}: move it out of ahead_of_library"


@pytest.mark.parametrize("code", sorted(AREA_CODES.area_codes.keys() - AREA_CODES.ahead_of_library.keys()))
def test_the_librarys_zones_for_a_code_are_inside_its_states_zones(code: str) -> None:
    number = _library_sample(code)
    assert number is not None
    zones = set(timezone.time_zones_for_number(number)) - {"Etc/Unknown"}
    ours = zones_of_state(AREA_CODES.area_codes[code])
    # The library names Michigan New_York where the state file says Detroit: the same clock.
    assert all(any(_same_clock(zone, mine) for mine in ours) for zone in zones), (code, zones)


@pytest.mark.parametrize(("code", "state"), sorted(AHEAD.items()))
def test_a_number_the_library_rejects_still_gets_its_states_rules(code: str, state: str) -> None:
    e164 = f"+1{code}2345678"
    assert not phonenumbers.is_valid_number(phonenumbers.parse(e164))  # the library's view today
    assert normalize_phone(f"({code}) 234-5678") == e164  # intake keeps the contact
    assert ahead_of_library(e164) == state
    place = locate(e164, "NY")
    assert place.states == {"NY", state}  # a record in another state adds to it, never replaces it
    assert zones_of_state(state) <= place.zones


def test_a_texas_number_ahead_of_the_library_keeps_texas_sunday_hours() -> None:
    # Tex. Bus. & Com. Code 301.051: Sunday noon; a 621 number recorded in New York.
    place = locate("+16212345678", "NY")
    decision = evaluate(place.zones, place.states, Channel.SMS, None, _utc(2026, 11, 22, 16, 0),
                        technology=Technology.AUTODIALED)  # fmt: skip
    assert isinstance(decision, Deferred)
    assert (decision.reason, decision.state) == (HoursReason.STATE_HOURS, "TX")


@pytest.mark.parametrize("raw", ["(622) 234-5678", "+1 621 123 4567", "(999) 234-5678"])
def test_intake_still_refuses_numbers_no_one_places(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


@pytest.mark.parametrize(("code", "state"), [("931", "TN"), ("729", "TN"), ("915", "TX")])
def test_nanpa_spanning_codes_take_every_zone_of_their_state(code: str, state: str) -> None:
    assert code in AREA_CODES.spans_zones
    assert candidate_zones(f"+1{code}2345678", None) == zones_of_state(state)


def _same_clock(first: str, second: str) -> bool:
    """Two zones that keep the same offset on every day of 2026 (Detroit and New_York do)."""
    days = [datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=n) for n in range(365)]
    return all(day.astimezone(ZoneInfo(first)).utcoffset() == day.astimezone(ZoneInfo(second)).utcoffset()
               for day in days)  # fmt: skip


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


STATE_NAMES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS",
    "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA",
    "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO", "Montana": "MT",
    "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM",
    "New York": "NY", "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK",
    "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC",
    "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington State": "WA", "Washington D.C.": "DC", "West Virginia": "WV",
    "Wisconsin": "WI", "Wyoming": "WY", "Puerto Rico": "PR", "U.S. Virgin Islands": "VI", "Guam": "GU",
    "Northern Mariana Islands": "MP", "American Samoa": "AS",
}  # fmt: skip
