"""The state calling rules: ``data/state_rules.json`` validated into typed rows once.

This module owns the meaning of one row (the technologies it reaches, hours per weekday,
banned days, holidays from the ``holidays`` package or from the statute's own list, an
attempt cap over a window of hours, which clocks the statute is read in, whether texts are
covered, whether a hang-up on a recorded call bars calling again), the all-party-consent
recording states, and answers "does this local moment break this state's rule, and how".
Days declared by proclamation join the book through ``RuleBook.with_declared``. The file is
read on first use (``rulebook()``, or ``RULES``), and a malformed one raises
``ComplianceDataInvalid`` there: no gate runs on a half-read rule book.
It never decides which states apply to a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from gatehouse.compliance.data_files import parse
from gatehouse.compliance.holiday_sources import WEEKDAYS, HolidaySource, Weekday
from gatehouse.models import GatehouseModel

HoursKey = Literal["default", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
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


class RuleScope(StrEnum):
    """The technologies a row reaches: every attempt, automated ones, or recorded voices only."""

    ALL = "all"
    AUTOMATED = "automated"  # autodialed, prerecorded, artificial voice (texts are autodialed)
    PRERECORDED = "prerecorded"  # prerecorded or artificial voice

    def reaches(self, technology: Technology | None) -> bool:
        """None is an attempt whose technology was not said: every row reaches it (fail closed)."""
        if technology is None or self is RuleScope.ALL:
            return True
        if self is RuleScope.AUTOMATED:
            return technology.automated
        return technology in {Technology.PRERECORDED, Technology.ARTIFICIAL_VOICE}


class RuleReason(StrEnum):
    """Why a state rule refuses a moment: stable codes for reports and the audit log."""

    HOURS = "state_hours"
    BANNED_DAY = "state_banned_day"
    HOLIDAY = "state_holiday"
    AUTOMATED_HOURS = "state_automated_hours"  # any refusal by a row scoped to a technology


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


class HourRange(GatehouseModel):
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


class AttemptCap(GatehouseModel):
    """At most ``attempts`` attempts in any ``hours`` hours (a rolling window)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attempts: int = Field(ge=1)
    # The dispatch ledger keeps a contact's attempts of the last 24 hours: no window may be longer.
    hours: int = Field(ge=1, le=24)

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.hours)


class StateRule(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    scope: RuleScope
    hours: dict[HoursKey, Hours]
    banned_days: frozenset[Weekday]
    holidays: HolidaySource | None
    # Set: a holiday narrows the day to these hours instead of banning it (NE prerecorded).
    holiday_hours: Hours | None = None
    banned_dates: frozenset[date] = frozenset()
    attempt_cap: AttemptCap | None
    texts: Literal["yes", "likely", "unverified", "no"]
    clocks: tuple[Annotated[str, AfterValidator(_clock)], ...] = Field(min_length=1)
    citation: str = Field(min_length=5)
    confidence: str = Field(min_length=3)
    notes: str
    # Set: a person who hung up on a call by an artificial or prerecorded voice is never called
    # by one again (NV, NRS 597.814). Texts and live calls are not such calls.
    no_recall_after_hang_up: bool = False
    # True only on the rows ``RuleBook.with_declared`` adds: never written in the file.
    declared: bool = False

    @model_validator(mode="after")
    def _coherent(self) -> StateRule:
        if "default" not in self.hours:
            raise ValueError(f"{self.state}: hours need a default range")
        overlap = sorted(self.banned_days & self.hours.keys())
        if overlap:
            raise ValueError(f"{self.state}: {overlap} both banned and given hours")
        if self.holiday_hours is not None and self.holidays is None:
            raise ValueError(f"{self.state}: holiday_hours without holidays")
        return self

    def covers(self, channel: Channel, technology: Technology | None = None) -> bool:
        """Voice always, texts unless the row leaves them out; and only the technologies it reaches."""
        return (channel is Channel.VOICE or self.texts != "no") and self.scope.reaches(technology)

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
        ranges = [*self.hours.values(), *([self.holiday_hours] if self.holiday_hours else [])]
        return frozenset(minute for r in ranges for minute in (r.start, r.end))

    def refuses(self, local: datetime) -> RuleReason | None:
        """Why the wall-clock moment ``local`` breaks this rule, or None when it keeps it."""
        reason = self._refusal(local)
        if reason is not None and self.scope is not RuleScope.ALL:
            return RuleReason.AUTOMATED_HOURS
        return reason

    def _refusal(self, local: datetime) -> RuleReason | None:
        minute = local.hour * 60 + local.minute
        hours = self.hours_on(local.weekday())
        if hours is None:
            return RuleReason.BANNED_DAY
        narrowed = self.holiday_hours is not None and self.holiday_hours.holds(minute)
        if self.is_holiday(local.date()) and not narrowed:
            return RuleReason.HOLIDAY
        if not hours.holds(minute):
            return RuleReason.HOURS
        return None


class RecordingConsent(GatehouseModel):
    """A state whose law needs every party's consent to record a call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    citation: str = Field(min_length=5)
    confidence: str = Field(min_length=3)
    notes: str


class DeclaredDay(GatehouseModel):
    """A day a state's authority declared (a proclaimed holiday, an emergency ban): no attempt then."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    day: date
    source: str = Field(min_length=5)


class FederalFloor(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: ClockTime
    end: ClockTime
    citation: str = Field(min_length=5)

    @property
    def range(self) -> HourRange:
        return hour_range((self.start, self.end))


class ReplyHours(GatehouseModel):
    """When a member's one-off reply may go: ``campaign``, the hours a campaign attempt keeps.

    The one value the gates implement. An exception for answers (say, within 24 hours of
    the person's text) would be a new value here with its source, and code that reads it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    hours: Literal["campaign"]
    citation: str = Field(min_length=5)
    notes: str


class RuleBook(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    federal: FederalFloor
    replies: ReplyHours
    rules: tuple[StateRule, ...]
    all_party_recording: tuple[RecordingConsent, ...]

    @model_validator(mode="after")
    def _one_row_per_state_and_scope(self) -> RuleBook:
        keys = [(rule.state, rule.scope, rule.declared) for rule in self.rules]
        repeated = sorted({f"{key[0]}/{key[1]}" for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"more than one row for {repeated}")
        states = [row.state for row in self.all_party_recording]
        twice = sorted({state for state in states if states.count(state) > 1})
        if twice:
            raise ValueError(f"all_party_recording lists {twice} more than once")
        return self

    def rule_for(self, state: str, scope: RuleScope = RuleScope.ALL) -> StateRule | None:
        """The file's row for ``state`` and ``scope`` (declared rows are not rows of the file)."""
        return next((r for r in self.rules if r.state == state and r.scope is scope and not r.declared), None)

    def applicable(
        self, states: Iterable[str], channel: Channel, technology: Technology | None = None
    ) -> tuple[StateRule, ...]:
        """The rows of ``states`` that cover ``channel`` and ``technology``, in a stable order.

        ``technology`` None (not said) takes every row, whatever technology it is scoped to.
        """
        wanted = {state.strip().upper() for state in states}
        return tuple(rule for rule in self.rules if rule.state in wanted and rule.covers(channel, technology))

    def attempt_caps(
        self, states: Iterable[str], channel: Channel, technology: Technology | None = None
    ) -> tuple[tuple[str, AttemptCap], ...]:
        """(state, cap) of every applicable row that has a cap."""
        return tuple(
            (rule.state, rule.attempt_cap)
            for rule in self.applicable(states, channel, technology)
            if rule.attempt_cap is not None
        )

    def no_recall_after_hang_up(
        self, states: Iterable[str], technology: Technology | None = None
    ) -> tuple[str, ...]:
        """The given states whose row bars calling by a recorded voice a person who hung up on one, sorted.

        Only a call by an artificial or prerecorded voice (or one whose technology was not said)
        is barred: a text or a live call never is.
        """
        if not RuleScope.PRERECORDED.reaches(technology):
            return ()
        rows = self.applicable(states, Channel.VOICE, technology)
        return tuple(sorted({rule.state for rule in rows if rule.no_recall_after_hang_up}))

    def all_party_recording_states(self, states: Iterable[str]) -> tuple[str, ...]:
        """The given states whose law needs every party's consent to record a call, sorted."""
        wanted = {state.strip().upper() for state in states}
        return tuple(sorted(row.state for row in self.all_party_recording if row.state in wanted))

    def with_declared(self, days: Iterable[DeclaredDay]) -> RuleBook:
        """This book with each state's declared days banned for every attempt (texts included).

        One added row per state, beside the file's rows, so a row that leaves texts out or
        reaches only some technologies never narrows a declared ban.
        """
        by_state: dict[str, list[DeclaredDay]] = {}
        for day in days:
            by_state.setdefault(day.state, []).append(day)
        if not by_state:
            return self
        added = tuple(_declared_row(state, listed) for state, listed in sorted(by_state.items()))
        kept = tuple(rule for rule in self.rules if not rule.declared)
        return self.model_copy(update={"rules": kept + added})

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


def _declared_row(state: str, days: list[DeclaredDay]) -> StateRule:
    return StateRule(
        state=state,
        scope=RuleScope.ALL,
        hours={"default": HourRange(start=0, end=24 * 60)},
        banned_days=frozenset(),
        holidays=None,
        banned_dates=frozenset(day.day for day in days),
        attempt_cap=None,
        texts="yes",
        clocks=(RECIPIENT,),
        citation="; ".join(sorted({day.source for day in days})),
        confidence="declared",
        notes="days declared by the state's authority, added by platform operators",
        declared=True,
    )


def load(text: str | None = None) -> RuleBook:
    """The packaged rule book, or one parsed from ``text`` (for tests of a malformed file)."""
    return parse(RuleBook, "state_rules.json", text)


class StateDncList(GatehouseModel):
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


if TYPE_CHECKING:
    RULES: RuleBook  # the packaged rule book, read on first use (module ``__getattr__``)


@cache
def rulebook() -> RuleBook:
    """The packaged rule book, read and checked once, on first use: a cold start that decides
    nothing about hours or caps never reads the file, and a handler that does loads it before
    SnapStart's snapshot (``gatehouse.freshness.load_before_snapshot``)."""
    return load()


def __getattr__(name: str) -> Any:
    if name == "RULES":
        return rulebook()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
