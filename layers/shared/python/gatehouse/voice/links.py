"""Which calls a campaign placed: one small ``CampaignCall`` link per call, so a campaign's calls
are one Query of its prefix, never a Scan.

A link holds ids only (campaign, contact, call), keyed ``<campaign id>#<contact id>#<call id>``;
it is written once, when a call event first names its campaign, and removed with the call
(erasure, or a deleted contact's purge). Nothing here reads a call's content.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from gatehouse.errors import Conflict
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.records import Subject

if TYPE_CHECKING:
    from gatehouse.webhooks.voice_events import CallRecord


class CampaignCall(TenantRecord):
    collection = "CAMPAIGN_CALL"

    campaign_id: str
    contact_id: str
    call_id: str

    def sort_key(self) -> str:
        return f"{self.campaign_id}#{self.contact_id}#{self.call_id}"

    def subject(self) -> Subject | None:
        return Subject(self.contact_id, campaign_id=self.campaign_id, by_campaign=True)

    @property
    def call_key(self) -> str:
        """The linked ``CallRecord``'s sort key."""
        return f"{self.contact_id}#{self.call_id}"


def link(scope: TenantScope, call: CallRecord) -> None:
    """Link the call to its campaign once (create only if absent: a repeated event writes nothing)."""
    if call.campaign_id is None:
        return
    if scope.get(CampaignCall, f"{call.campaign_id}#{call.contact_id}#{call.call_id}") is not None:
        return
    try:
        scope.save(
            CampaignCall(campaign_id=call.campaign_id, contact_id=call.contact_id, call_id=call.call_id)
        )
    except Conflict:
        return  # another delivery of the same call linked it first


def unlink(scope: TenantScope, calls: Iterable[CallRecord]) -> int:
    keys = [f"{c.campaign_id}#{c.contact_id}#{c.call_id}" for c in calls if c.campaign_id is not None]
    return scope.batch_delete(CampaignCall, keys) if keys else 0
