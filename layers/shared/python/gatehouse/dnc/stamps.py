"""What a Do-Not-Call scrub says about one number, and the fixed reasons it can give.

A stamp is ``clear`` or ``listed`` only when a source actually answered for that number
at ``checked_at``, and it names the version of the data that answer relied on
(``data_as_of``: the registry file's load, or the provider's as-of date), because the
31 days of 16 CFR 310.4(b)(3)(iv) and 47 CFR 64.1200(c)(2)(i)(D) count from that version,
not from the scrub. ``state_lists`` holds the answers of the state Do-Not-Call lists the
source consulted, each with its own version. Anything else is ``error`` (the number is not
dialable until a later scrub answers) or, for a tenant whose owner acknowledged running
without a provider, ``unscrubbed``: never presented as checked, and dialable on the owner's
word only where the registry does not bind the attempt (an informational campaign, or a
person's signed written agreement, 47 CFR 64.1200(c)(2)(ii)); gate 4 decides which.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from pydantic import ConfigDict

from gatehouse.models import GatehouseModel


class ScrubStatus(StrEnum):
    CLEAR = "clear"  # a source answered: not on the registry
    LISTED = "listed"  # a source answered: on the registry, never call
    ERROR = "error"  # no trustworthy answer: not dialable (fail closed)
    UNSCRUBBED = "unscrubbed"  # no provider, and the owner acknowledged running without one (see gate 4)


class ScrubSource(StrEnum):
    REGISTRY = "registry"  # the tenant's loaded National DNC Registry files
    HTTPS = "https"  # the tenant's commercial scrub API
    SANDBOX = "sandbox"  # the local runtime's deterministic stand-in
    NONE = "none"  # nothing was asked


class ScrubReason(StrEnum):
    NO_PROVIDER = "no_provider"  # no DNC integration and no acknowledgment
    ACKNOWLEDGED_NO_PROVIDER = "acknowledged_no_provider"  # no integration, owner acknowledged
    INVALID_NUMBER = "invalid_number"  # not E.164
    NOT_COVERED = "not_covered"  # the registry holds US numbers (+1, 10 digits) only
    REGISTRY_MISSING = "registry_missing"  # no file loaded for the area code (or another registry)
    REGISTRY_STALE = "registry_stale"  # the area code's data is older than 31 days
    REGISTRY_UNAVAILABLE = "registry_unavailable"  # the registry could not be read
    CREDENTIALS_UNREADABLE = "credentials_unreadable"  # the stored credentials do not open
    PROVIDER_UNAVAILABLE = "provider_unavailable"  # timeout, 5xx, unreachable, vault unavailable
    PROVIDER_REFUSED = "provider_refused"  # 401/403 or another 4xx
    PROVIDER_MALFORMED = "provider_malformed"  # a reply we cannot read
    NOT_IN_REPLY = "not_in_reply"  # the provider answered, but not for this number
    PROVIDER_UNDATED = "provider_undated"  # the reply does not say how old its data is
    PROVIDER_DATED_AHEAD = "provider_dated_ahead"  # the reply's as-of date is in the future


DIALABLE = frozenset({ScrubStatus.CLEAR, ScrubStatus.UNSCRUBBED})
# Reasons about the number itself; every other error reason is the source failing (gate 4 pauses).
NUMBER_REASONS = frozenset({ScrubReason.INVALID_NUMBER, ScrubReason.NOT_COVERED})
# 16 CFR 310.4(b)(3)(iv), 47 CFR 64.1200(c)(2)(i)(D): the data used may be at most 31 days old
# when the call is made. Counted to the instant, which is stricter than counting calendar days.
DATA_VALID_FOR: Final = timedelta(days=31)
STAMP_VALID_FOR: Final = DATA_VALID_FOR


class StateListAnswer(GatehouseModel):
    """One state Do-Not-Call list's answer for a number, and the version of that list."""

    model_config = ConfigDict(frozen=True)

    listed: bool
    as_of: datetime


class ScrubStamp(GatehouseModel):
    model_config = ConfigDict(frozen=True)

    status: ScrubStatus
    checked_at: datetime
    source: ScrubSource
    reason: ScrubReason | None = None
    # None on an answer stored before versions were recorded: such an answer counts as stale.
    data_as_of: datetime | None = None
    state_lists: dict[str, StateListAnswer] = {}

    @property
    def dialable(self) -> bool:
        """Whether the stamp can let the number through: ``listed`` and ``error`` never; ``unscrubbed``
        only where gate 4 finds the registry does not bind the attempt."""
        return self.status in DIALABLE

    @property
    def source_failed(self) -> bool:
        """An error caused by the DNC source (down, refusing, stale, absent), not by the number."""
        return self.status is ScrubStatus.ERROR and self.reason not in NUMBER_REASONS

    def dated_from(self, states: Iterable[str] = ()) -> datetime | None:
        """The instant the stamp's 31 days count from, for a person in ``states`` (None: stale now).

        An answer counts from the oldest data it relied on: the federal data and the lists of
        ``states`` it holds. ``unscrubbed`` and ``error`` relied on no data: they count from the
        check, so a source connected (or mended) meanwhile is asked within the interval.
        """
        if self.status in {ScrubStatus.UNSCRUBBED, ScrubStatus.ERROR}:
            return self.checked_at
        if self.data_as_of is None:
            return None
        versions = [self.state_lists[s].as_of for s in states if s in self.state_lists]
        return min([self.data_as_of, *versions])

    def current(self, now: datetime) -> bool:
        """Whether the stamp may still be relied on: federal data no older than 31 days at ``now``."""
        if self.status is ScrubStatus.ERROR:
            return False
        since = self.dated_from()
        return since is not None and now - since <= DATA_VALID_FOR


def error(reason: ScrubReason, at: datetime, source: ScrubSource = ScrubSource.NONE) -> ScrubStamp:
    return ScrubStamp(status=ScrubStatus.ERROR, checked_at=at, source=source, reason=reason)


def answered(
    listed: bool,
    at: datetime,
    source: ScrubSource,
    *,
    as_of: datetime,
    state_lists: dict[str, StateListAnswer] | None = None,
) -> ScrubStamp:
    status = ScrubStatus.LISTED if listed else ScrubStatus.CLEAR
    return ScrubStamp(
        status=status, checked_at=at, source=source, data_as_of=as_of, state_lists=state_lists or {}
    )
