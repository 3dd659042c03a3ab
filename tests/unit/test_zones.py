"""Candidate zones and states: the number's place and the state on record, never fewer."""

from __future__ import annotations

import json
from importlib import resources
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from phonenumbers import geocoder
from phonenumbers.tzdata import TIMEZONE_DATA

from gatehouse.compliance.zones import (
    AREA_CODES,
    STATE_ZONES,
    UnknownState,
    candidate_zones,
    locate,
    number_place,
    states_for,
    zones_of_state,
)
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
