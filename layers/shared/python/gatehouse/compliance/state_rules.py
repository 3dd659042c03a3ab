"""The state calling rules: ``data/state_rules.json`` validated into typed rows at import.

This module owns the meaning of one row (hours per weekday, banned days, holidays from
the ``holidays`` package or from the statute's own list, attempt cap, which clocks the
statute is read in, whether texts are covered) and answers "does this local moment break
this state's rule, and how". A malformed file raises ``ComplianceDataInvalid`` at import:
no gate runs on a half-read rule book. It never decides which states apply to a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from dateutil.easter import easter
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from gatehouse.compliance.data_files import parse

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HoursKey = Literal["default", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: Final[tuple[Weekday, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_US_SUBDIVISIONS: Final = frozenset(holidays.list_supported_countries()["US"])
RECIPIENT: Final = "recipient"


class Channel(StrEnum):
    SMS = "sms"
    VOICE = "voice"


class Technology(StrEnum):
    """How an attempt reaches a person: it decides the consent needed and which state rules apply.

    Texts sent by the platform are autodialed. An AI voice agent is an artificial voice
    (FCC 24-17). Only a call a person places and speaks is ``live``.
    """

    AUTODIALED = "autodialed"
    LIVE = "live"
    PRERECORDED = "prerecorded"
    ARTIFICIAL_VOICE = "artificial_voice"

    @property
    def automated(self) -> bool:
        return self is not Technology.LIVE


class RuleReason(StrEnum):
    """Why a state rule refuses a moment: stable codes for reports and the audit log."""

    HOURS = "state_hours"
    BANNED_DAY = "state_banned_day"
    HOLIDAY = "state_holiday"


_CLOCK_TIME: Final = re.compile(r"([01][0-9]|2[0-4]):[0-5][0-9]")


def minutes_of(text: object) -> int:
    """Minutes after midnight of an "HH:MM" wall-clock time, 00:00 to 24:00."""
    if not isinstance(text, str) or not _CLOCK_TIME.fullmatch(text):
        raise ValueError(f"{text!r} is not an HH:MM time")
    value = int(text[:2]) * 60 + int(text[3:])
    if value > 24 * 60:
        raise ValueError(f"{text} is past 24:00")
    return value


def _clock_time(text: str) -> str:
    minutes_of(text)
    return text


ClockTime = Annotated[str, AfterValidator(_clock_time)]


def _clock(name: str) -> str:
    if name == RECIPIENT:
        return name
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"clock {name!r} is neither 'recipient' nor an IANA zone") from exc
    return name


def _subdivision(name: str) -> str:
    if not name.startswith("US-") or name[3:] not in _US_SUBDIVISIONS:
        raise ValueError(f"{name!r} is not a US subdivision the holidays package knows")
    return name


class HourRange(BaseModel):
    """[start, end) in minutes after local midnight."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int

    def holds(self, minute: int) -> bool:
        return self.start <= minute < self.end


def hour_range(value: object) -> HourRange:
    """An ``["HH:MM", "HH:MM"]`` pair as a range; the end must come after the start."""
    if isinstance(value, HourRange):
        return value
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"hours must be a [start, end] pair, not {value!r}")
    start, end = minutes_of(value[0]), minutes_of(value[1])
    if start >= end:
        raise ValueError(f"hours {value[0]}-{value[1]} end before they start")
    return HourRange(start=start, end=end)


Hours = Annotated[HourRange, BeforeValidator(hour_range)]


class ListedDay(BaseModel):
    """A holiday from a statute's own list, as a rule that yields its date in any year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=3)
    rule: Literal["fixed", "weekday_on_or_after", "easter_offset"]
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    weekday: Weekday | None = None
    offset_days: int | None = None
    observed: bool = True

    @model_validator(mode="after")
    def _fields_fit_the_rule(self) -> ListedDay:
        needs = {
            "fixed": ("month", "day"),
            "weekday_on_or_after": ("month", "day", "weekday"),
            "easter_offset": ("offset_days",),
        }[self.rule]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.name}: rule {self.rule} needs {missing}")
        if self.month is not None and self.day is not None:
            date(2024, self.month, self.day)  # raises on 31 June and the like
        return self

    def dates(self, year: int) -> frozenset[date]:
        """The day itself and, for a fixed date on a weekend, the federal observed day."""
        if self.rule == "easter_offset":
            return frozenset({easter(year) + timedelta(days=self.offset_days or 0)})
        day = date(year, self.month or 1, self.day or 1)
        if self.rule == "weekday_on_or_after":
            shift = (WEEKDAYS.index(self.weekday or "mon") - day.weekday()) % 7
            return frozenset({day + timedelta(days=shift)})
        observed = {5: day - timedelta(days=1), 6: day + timedelta(days=1)}.get(day.weekday())
        return frozenset({day, observed} if self.observed and observed else {day})


class PackageHolidays(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["package"]
    subdivision: Annotated[str, AfterValidator(_subdivision)]

    def dates(self, year: int) -> frozenset[date]:
        return _package_holidays(self.subdivision, year)


class ListedHolidays(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["list"]
    days: tuple[ListedDay, ...] = Field(min_length=1)

    def dates(self, year: int) -> frozenset[date]:
        return frozenset().union(*(day.dates(year) for day in self.days))


@lru_cache(maxsize=256)
def _package_holidays(subdivision: str, year: int) -> frozenset[date]:
    # The package lists observed days beside the days themselves: both are banned.
    calendar = holidays.country_holidays("US", subdiv=subdivision[3:], years=year)
    return frozenset(calendar.keys())


class StateRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    hours: dict[HoursKey, Hours]
    banned_days: frozenset[Weekday]
    holidays: PackageHolidays | ListedHolidays | None = Field(discriminator="kind")
    banned_dates: frozenset[date] = frozenset()
    attempt_cap_24h: int | None = Field(ge=1)
    texts: Literal["yes", "likely", "unverified", "no"]
    clocks: tuple[Annotated[str, AfterValidator(_clock)], ...] = Field(min_length=1)
    citation: str = Field(min_length=5)
    confidence: str = Field(min_length=3)
    notes: str

    @model_validator(mode="after")
    def _coherent(self) -> StateRule:
        if "default" not in self.hours:
            raise ValueError(f"{self.state}: hours need a default range")
        overlap = sorted(self.banned_days & self.hours.keys())
        if overlap:
            raise ValueError(f"{self.state}: {overlap} both banned and given hours")
        return self

    def covers(self, channel: Channel) -> bool:
        """Voice always; texts unless the row says the statute leaves them out."""
        return channel is Channel.VOICE or self.texts != "no"

    def hours_on(self, weekday: int) -> HourRange | None:
        """The day's hours, or None on a banned day."""
        name = WEEKDAYS[weekday]
        if name in self.banned_days:
            return None
        return self.hours.get(name, self.hours["default"])

    def is_holiday(self, day: date) -> bool:
        if day in self.banned_dates:
            return True
        return self.holidays is not None and day in self.holidays.dates(day.year)

    def boundaries(self) -> frozenset[int]:
        """Every minute of the day at which this rule's answer may change."""
        return frozenset(minute for r in self.hours.values() for minute in (r.start, r.end))

    def refuses(self, local: datetime) -> RuleReason | None:
        """Why the wall-clock moment ``local`` breaks this rule, or None when it keeps it."""
        hours = self.hours_on(local.weekday())
        if hours is None:
            return RuleReason.BANNED_DAY
        if self.is_holiday(local.date()):
            return RuleReason.HOLIDAY
        if not hours.holds(local.hour * 60 + local.minute):
            return RuleReason.HOURS
        return None


class FederalFloor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: ClockTime
    end: ClockTime
    citation: str = Field(min_length=5)

    @property
    def range(self) -> HourRange:
        return hour_range((self.start, self.end))


class RuleBook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    federal: FederalFloor
    rules: tuple[StateRule, ...]

    @model_validator(mode="after")
    def _one_row_per_state(self) -> RuleBook:
        states = [rule.state for rule in self.rules]
        repeated = sorted({state for state in states if states.count(state) > 1})
        if repeated:
            raise ValueError(f"more than one row for {repeated}")
        return self

    def rule_for(self, state: str) -> StateRule | None:
        return next((rule for rule in self.rules if rule.state == state), None)

    def applicable(self, states: Iterable[str], channel: Channel) -> tuple[StateRule, ...]:
        """The rows of ``states`` that cover ``channel``, in a stable order."""
        wanted = {state.strip().upper() for state in states}
        return tuple(rule for rule in self.rules if rule.state in wanted and rule.covers(channel))

    def attempt_caps(self, states: Iterable[str], channel: Channel) -> dict[str, int]:
        return {
            rule.state: rule.attempt_cap_24h
            for rule in self.applicable(states, channel)
            if rule.attempt_cap_24h is not None
        }

    # Do-Not-Call lists kept by states (``state_dnc_lists``): the model is at the end of the module.
    state_dnc_lists: tuple[StateDncList, ...] = ()

    @model_validator(mode="after")
    def _one_dnc_list_per_state(self) -> RuleBook:
        states = [row.state for row in self.state_dnc_lists]
        if len(states) != len(set(states)):
            raise ValueError("a state appears more than once in state_dnc_lists")
        return self

    def keeps_dnc_list(self, state: str) -> bool:
        """Whether ``state`` keeps a Do-Not-Call list of its own that telemarketing to it must honour."""
        return any(row.state == state.strip().upper() for row in self.state_dnc_lists)

    def dnc_list_states(self) -> tuple[str, ...]:
        return tuple(row.state for row in self.state_dnc_lists)


def load(text: str | None = None) -> RuleBook:
    """The packaged rule book, or one parsed from ``text`` (for tests of a malformed file)."""
    return parse(RuleBook, "state_rules.json", text)


class StateDncList(BaseModel):
    """A state's own Do-Not-Call list (one row of ``state_dnc_lists``), with the statute that makes it.

    Only states whose statute keeps a list of its own are rows: a row blocks telemarketing to
    the state's numbers until the tenant's source answers from that list. Left out on purpose:
    OK (15 O.S. 775B) and WY (Wyo. Stat. 40-12-301 et seq.), whose statutes were read as relying
    on the national registry (low confidence; add them if a state file turns out to exist).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    name: str = Field(min_length=3)
    citation: str = Field(min_length=5)
    confidence: Literal["high", "medium-high", "medium", "low-medium", "low"]
    notes: str = ""


RuleBook.model_rebuild()
RULES: Final = load()
