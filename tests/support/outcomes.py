"""A contact's outcome in a campaign as the readers see it: an item, or a first send's mark on a sheet."""

from __future__ import annotations

from gatehouse.dispatch.outcomes import ContactOutcome, find_one
from gatehouse.tenancy import TenantScope


def outcome_of(scope: TenantScope, sort_key: str) -> ContactOutcome:
    """The outcome under ``<campaign id>#<contact id>``; fails the test when there is none."""
    found = find_one(scope, sort_key)
    assert found is not None, f"no outcome for {sort_key}"
    return found
