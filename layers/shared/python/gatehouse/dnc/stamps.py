"""What a Do-Not-Call scrub says about one number, and the fixed reasons it can give.

A stamp is ``clear`` or ``listed`` only when a source actually answered for that number
at ``checked_at``. Anything else is ``error`` (the number is not dialable until a later
scrub answers) or, for a tenant whose owner acknowledged running without a provider,
``unscrubbed``: dialable on the owner's word, never presented as checked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class ScrubStatus(StrEnum):
    CLEAR = "clear"  # a source answered: not on the registry
    LISTED = "listed"  # a source answered: on the registry, never call
    ERROR = "error"  # no trustworthy answer: not dialable (fail closed)
    UNSCRUBBED = "unscrubbed"  # no provider, and the owner acknowledged running without one


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


DIALABLE = frozenset({ScrubStatus.CLEAR, ScrubStatus.UNSCRUBBED})
# Reasons about the number itself; every other error reason is the source failing (gate 4 pauses).
NUMBER_REASONS = frozenset({ScrubReason.INVALID_NUMBER, ScrubReason.NOT_COVERED})
STAMP_VALID_FOR = timedelta(days=31)


class ScrubStamp(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: ScrubStatus
    checked_at: datetime
    source: ScrubSource
    reason: ScrubReason | None = None

    @property
    def dialable(self) -> bool:
        """Whether the DNC gate lets the number through (``listed`` and ``error`` never do)."""
        return self.status in DIALABLE

    @property
    def source_failed(self) -> bool:
        """An error caused by the DNC source (down, refusing, stale, absent), not by the number."""
        return self.status is ScrubStatus.ERROR and self.reason not in NUMBER_REASONS

    def current(self, now: datetime) -> bool:
        """Whether the stamp may still be relied on: an answer no older than 31 days."""
        return self.status is not ScrubStatus.ERROR and now - self.checked_at <= STAMP_VALID_FOR


def error(reason: ScrubReason, at: datetime, source: ScrubSource = ScrubSource.NONE) -> ScrubStamp:
    return ScrubStamp(status=ScrubStatus.ERROR, checked_at=at, source=source, reason=reason)


def answered(listed: bool, at: datetime, source: ScrubSource) -> ScrubStamp:
    status = ScrubStatus.LISTED if listed else ScrubStatus.CLEAR
    return ScrubStamp(status=status, checked_at=at, source=source)
