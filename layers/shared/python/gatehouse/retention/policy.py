"""A tenant's retention windows and DNC re-scrub interval: defaults, bounds, read and change (audited).

Stored as one ``RetentionPolicy`` (collection ``RETENTION``, sort key ``POLICY``); a tenant
that never set one gets the defaults. Windows are whole days counted from when the data
arrived (a message received, a call started) or, for a deleted contact, from the delete.
No state in the rule book (``docs/compliance-rules.md``, the reference calling rules) sets
a retention cap, so no per-state cap applies; the bounds below are the platform's own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Self

from pydantic import ConfigDict, Field, model_validator

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantRecord, TenantScope

MAX_RESCRUB_DAYS: Final = 31  # 16 CFR 310.4(b)(3)(iv): a DNC answer older than 31 days is no answer
MAX_DAYS: Final = 3650

Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]


class RetentionWindows(GatehouseModel):
    """The settings themselves; every field has the documented default."""

    model_config = ConfigDict(extra="forbid")

    message_bodies_days: Days = Field(
        default=90, description="an inbound message's text is blanked this many days after it arrived"
    )
    inbound_messages_days: Days = Field(
        default=365, description="an inbound message record is deleted this many days after it arrived"
    )
    call_recordings_days: Days = Field(
        default=90, description="a call's recording reference is removed this many days after the call"
    )
    transcripts_days: Days = Field(
        default=180, description="a call's transcript and summary are removed this many days after the call"
    )
    deleted_contacts_days: Annotated[int, Field(ge=0, le=365)] = Field(
        default_factory=lambda: get_settings().contact_purge_grace_days,
        description="a soft-deleted contact (with its messages and calls) is purged this many days later",
    )
    dnc_rescrub_days: Annotated[int, Field(ge=1, le=MAX_RESCRUB_DAYS)] = Field(
        default=30, description="contacts whose DNC data is older than this are scrubbed again (1-31)"
    )

    @model_validator(mode="after")
    def _body_within_record(self) -> Self:
        if self.message_bodies_days > self.inbound_messages_days:
            raise ValueError("message_bodies_days cannot exceed inbound_messages_days")
        return self


class RetentionPolicy(TenantRecord):
    collection = "RETENTION"

    windows: RetentionWindows
    updated_at: datetime
    updated_by: str

    def sort_key(self) -> str:
        return "POLICY"


class RetentionPolicyView(RetentionWindows):
    updated_at: datetime | None = None
    updated_by: str | None = None


def windows_of(scope: TenantScope) -> RetentionWindows:
    """The tenant's windows (the defaults when it set none)."""
    stored = scope.get(RetentionPolicy, "POLICY")
    return stored.windows if stored else RetentionWindows()


def view(scope: TenantScope) -> RetentionPolicyView:
    stored = scope.get(RetentionPolicy, "POLICY")
    if stored is None:
        return RetentionPolicyView()
    return RetentionPolicyView(
        **stored.windows.model_dump(), updated_at=stored.updated_at, updated_by=stored.updated_by
    )


def set_policy(
    scope: TenantScope, caller: Caller, windows: RetentionWindows, *, clock: Clock = utc_now
) -> RetentionPolicyView:
    """Owners and admins set the windows; audited with before and after, in the same transaction."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    before = scope.get(RetentionPolicy, "POLICY")
    previous = before.windows if before else RetentionWindows()
    with audit.recorded(
        scope, caller, "retention.changed", "retention", "policy", before=previous, after=windows
    ) as txn:
        txn.save(
            RetentionPolicy(
                windows=windows,
                updated_at=clock(),
                updated_by=caller.actor,
                version=before.version if before else 0,
            )
        )
    return view(scope)
