"""Where a person may be: the candidate time zones and US states of a contact.

This module owns the answer to "which clocks and which state laws apply to this
contact", from the phone number (libphonenumber's zones, and the area code's state from
``data/area_codes.json``) and the state on record (every zone of it, from
``data/state_zones.json``). Candidates only ever add up: a number never removes a zone
the state on record brings, and when nothing is known the set is empty, which the
calling-hours gate blocks on. It never reads the clock or decides whether to call.

Input handling: a phone number that cannot be parsed, is not valid, or is not tied to
a place (toll-free 8XX, personal 5XX, premium 900, an "every NANP zone" answer) gives
no location and never raises. A US number with an area code the data file lists as
ahead of libphonenumber (in service, not yet in the library) is placed in its state by
the file: the library calling it invalid must never drop that state's rules. The data files
and libphonenumber load on first use (``state_zones()``, ``area_codes()``). A state on
record that is not a US state, DC or territory code raises ``UnknownState`` (an
``Invalid``), so an import can report the row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from gatehouse.compliance.data_files import parse
from gatehouse.errors import Invalid
from gatehouse.models import GatehouseModel

StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
AreaCode = Annotated[str, StringConstraints(pattern=r"^[2-9][0-9]{2}$")]


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA zone {name!r}") from exc
    return name


ZoneName = Annotated[str, AfterValidator(_known_zone)]


class StateZones(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    zones: tuple[ZoneName, ...] = Field(min_length=1)
    source: str = Field(min_length=10)


class StateZonesFile(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    sources: dict[str, str]
    states: dict[StateCode, StateZones]


class AreaCodesFile(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    sources: dict[str, str]
    area_codes: dict[AreaCode, StateCode]
    spans_zones: frozenset[AreaCode]
    ahead_of_library: dict[AreaCode, Annotated[str, Field(min_length=10)]]  # code -> its source

    @model_validator(mode="after")
    def _listed_codes_are_known(self) -> AreaCodesFile:
        for name in ("spans_zones", "ahead_of_library"):
            unknown = sorted(set(getattr(self, name)) - self.area_codes.keys())
            if unknown:
                raise ValueError(f"{name} lists area codes with no state: {unknown}")
        return self


if TYPE_CHECKING:
    STATE_ZONES: StateZonesFile  # read on first use (module ``__getattr__``), as is AREA_CODES
    AREA_CODES: AreaCodesFile


@cache
def state_zones() -> StateZonesFile:
    return parse(StateZonesFile, "state_zones.json")


@cache
def area_codes() -> AreaCodesFile:
    codes = parse(AreaCodesFile, "area_codes.json")
    unmapped = sorted(set(codes.area_codes.values()) - state_zones().states.keys())
    if unmapped:  # pragma: no cover - the data files are checked by tests too
        raise RuntimeError(f"area_codes.json names states without zones: {unmapped}")
    return codes


def __getattr__(name: str) -> Any:
    if name == "STATE_ZONES":
        return state_zones()
    if name == "AREA_CODES":
        return area_codes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Answers wider than this are libphonenumber's "somewhere in NANP", not a place.
_MAX_PLACE_ZONES: Final = 8
_E164: Final = re.compile(r"^\+[1-9][0-9]{6,14}$")
_NANP: Final = re.compile(r"^\+1([2-9][0-9]{2})[2-9][0-9]{6}$")
_UNKNOWN_ZONE: Final = "Etc/Unknown"


class UnknownState(Invalid):
    code = "unknown_state"


@dataclass(frozen=True)
class NumberPlace:
    """What the number alone says: its zones and, for a US area code, its state."""

    zones: frozenset[str]
    state: str | None


@dataclass(frozen=True)
class Location:
    zones: frozenset[str]
    states: frozenset[str]


def zones_of_state(state: str) -> frozenset[str]:
    """Every zone a person in ``state`` may be in; raises ``UnknownState`` for a bad code."""
    row = state_zones().states.get(state)
    if row is None:
        raise UnknownState("the state is not a US state, DC or territory code")  # never echo the value
    return frozenset(row.zones)


def normalize_state(state: str | None) -> str | None:
    """The two-letter code of a state on record, or None when there is none.

    Blank means "not on record"; anything else must be a known code (any case, any
    surrounding spaces), or ``UnknownState`` is raised.
    """
    if state is None:
        return None
    code = state.strip().upper()
    if not code:
        return None
    zones_of_state(code)
    return code


def ahead_of_library(e164: str) -> str | None:
    """The state of a US number whose area code is in service but unknown to libphonenumber."""
    match = _NANP.fullmatch(e164.strip()) if isinstance(e164, str) else None
    if match is None or match.group(1) not in area_codes().ahead_of_library:
        return None
    return area_codes().area_codes[match.group(1)]


@cache
def _not_a_place() -> frozenset[int]:
    from phonenumbers import PhoneNumberType  # noqa: PLC0415 - with the library, on first use

    return frozenset(
        {
            PhoneNumberType.TOLL_FREE,
            PhoneNumberType.PREMIUM_RATE,
            PhoneNumberType.SHARED_COST,
            PhoneNumberType.PERSONAL_NUMBER,
            PhoneNumberType.UAN,
            PhoneNumberType.VOICEMAIL,
            PhoneNumberType.UNKNOWN,
        }
    )


@lru_cache(maxsize=4096)
def number_place(e164: str) -> NumberPlace:
    """The zones and state the number itself points to; empty when it names no place."""
    # libphonenumber loads its metadata with the package: only where a number is placed.
    import phonenumbers  # noqa: PLC0415
    from phonenumbers import timezone  # noqa: PLC0415

    nowhere = NumberPlace(frozenset(), None)
    if not isinstance(e164, str) or not _E164.fullmatch(e164.strip()):
        return nowhere
    try:
        number = phonenumbers.parse(e164.strip(), None)
    except phonenumbers.NumberParseException:
        return nowhere
    if not phonenumbers.is_valid_number(number):
        ahead = ahead_of_library(e164)
        return nowhere if ahead is None else NumberPlace(zones_of_state(ahead), ahead)
    if phonenumbers.number_type(number) in _not_a_place():
        return nowhere
    zones = frozenset(timezone.time_zones_for_number(number)) - {_UNKNOWN_ZONE}
    if len(zones) > _MAX_PLACE_ZONES:
        return nowhere
    state = None
    if number.country_code == 1:
        area_code = phonenumbers.national_significant_number(number)[:3]
        state = area_codes().area_codes.get(area_code)
        if state is not None and (area_code in area_codes().spans_zones or not zones):
            # libphonenumber answers these per exchange at best: trust only the whole state.
            zones |= zones_of_state(state)
    return NumberPlace(frozenset(zones), state)


def states_for(e164: str, state_on_record: str | None) -> frozenset[str]:
    """The state on record and the state of the number's area code (a mobile travels)."""
    states = {normalize_state(state_on_record), number_place(e164).state}
    return frozenset(state for state in states if state is not None)


def candidate_zones(e164: str, state: str | None, postal_code: str | None = None) -> frozenset[str]:
    """Every IANA zone the person may be in: the number's zones and all of the state's.

    ``postal_code`` is accepted for a finer narrowing of the state's part that is not
    made today: the whole state is kept, the strict reading. Empty means unknown.
    """
    del postal_code
    recorded = normalize_state(state)
    zones = set(number_place(e164).zones)
    if recorded is not None:
        zones |= zones_of_state(recorded)
    return frozenset(zones)


def locate(e164: str, state: str | None, postal_code: str | None = None) -> Location:
    """Zones and states together, as the calling-hours and caps gates take them."""
    return Location(candidate_zones(e164, state, postal_code), states_for(e164, state))
