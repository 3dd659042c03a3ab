"""Where a state's holidays come from: the ``holidays`` package, a statute's own list, or both.

This module owns turning one holiday source of a rules row into the dates it bans in a
given year (observed days included). It never decides whether an attempt may go.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Annotated, Final, Literal

from dateutil.easter import easter
from pydantic import AfterValidator, ConfigDict, Field, model_validator

from gatehouse.models import GatehouseModel

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: Final[tuple[Weekday, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The US subdivisions the ``holidays`` package knows (a unit test holds this to the package's
# own list): importing the package to ask it costs a cold start ~400 ms, so the calendars
# load at the first date they are asked for, never to check the rules file.
_US_CODES: Final = (
    "AK AL AR AS AZ CA CO CT DC DE FL GA GU HI IA ID IL IN KS KY LA MA MD ME MI MN MO MP MS MT NC ND NE "
    "NH NJ NM NV NY OH OK OR PA PR RI SC SD TN TX UM UT VA VI VT WA WI WV WY"
)
US_SUBDIVISIONS: Final = frozenset(_US_CODES.split())


def _subdivision(name: str) -> str:
    if not name.startswith("US-") or name[3:] not in US_SUBDIVISIONS:
        raise ValueError(f"{name!r} is not a US subdivision the holidays package knows")
    return name


class ListedDay(GatehouseModel):
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


class PackageHolidays(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["package"]
    subdivision: Annotated[str, AfterValidator(_subdivision)]

    def dates(self, year: int) -> frozenset[date]:
        return _package_holidays(self.subdivision, year)


class ListedHolidays(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["list"]
    days: tuple[ListedDay, ...] = Field(min_length=1)

    def dates(self, year: int) -> frozenset[date]:
        return frozenset().union(*(day.dates(year) for day in self.days))


class UnionHolidays(GatehouseModel):
    """Every day of each source: a statute's list beside a regulator's, the strict reading."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["union"]
    of: tuple[Annotated[PackageHolidays | ListedHolidays, Field(discriminator="kind")], ...] = Field(
        min_length=2
    )

    def dates(self, year: int) -> frozenset[date]:
        return frozenset().union(*(source.dates(year) for source in self.of))


HolidaySource = Annotated[PackageHolidays | ListedHolidays | UnionHolidays, Field(discriminator="kind")]


@lru_cache(maxsize=256)
def _package_holidays(subdivision: str, year: int) -> frozenset[date]:
    import holidays  # noqa: PLC0415 - ~400 ms of calendars, loaded at the first date asked for

    # The package lists observed days beside the days themselves: both are banned.
    calendar = holidays.country_holidays("US", subdiv=subdivision[3:], years=year)
    return frozenset(calendar.keys())
