"""A contact's outcome in a campaign as the readers see it: an item, or a first send's mark on a sheet."""

from __future__ import annotations

from datetime import datetime, timedelta

from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus, find_one
from gatehouse.tenancy import TenantScope


def outcome_of(scope: TenantScope, sort_key: str) -> ContactOutcome:
    """The outcome under ``<campaign id>#<contact id>``; fails the test when there is none."""
    found = find_one(scope, sort_key)
    assert found is not None, f"no outcome for {sort_key}"
    return found


def busy_deferral(campaign_id: str, contact_id: str, at: datetime) -> ContactOutcome:
    """What a batch that lost every claim round records: the contact deferred a minute, no attempt made."""
    return ContactOutcome(
        campaign_id=campaign_id,
        contact_id=contact_id,
        status=OutcomeStatus.DEFERRED,
        reason="attempt_ledger_busy",
        until=at + timedelta(minutes=1),
        updated_at=at,
    )
