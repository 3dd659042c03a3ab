"""Where each contact stands in each campaign: the record the batch writes and the report reads.

``ContactOutcome`` (collection ``OUTCOME``, sort key ``<campaign id>#<contact id>``) holds
the last decision and its ``Reason`` code (``dispatch.gates``), the attempts used, and,
while deferred, its place on the time index the deferred-attempts job reads.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from gatehouse.dispatch.delivery import DeliveryStatus
from gatehouse.tenancy import TenantRecord
from gatehouse.tenancy.records import Subject, time_sort_key

DEFERRED_INDEX: Final = "OUTCOME_DEFERRED"


class OutcomeStatus(StrEnum):
    SENT = "sent"
    SEND_FAILED = "send_failed"
    BLOCKED = "blocked"
    DEFERRED = "deferred"


class ContactOutcome(TenantRecord):
    """Where one contact stands in one campaign: the campaign report reads these.

    The delivery fields say what the provider reported of the last send (``provider_ref``).
    The batch never writes them: ``report`` fills them from the status callbacks' own
    records (``dispatch.delivery``), which may arrive before the batch records the send.
    """

    collection = "OUTCOME"

    campaign_id: str
    contact_id: str
    status: OutcomeStatus
    reason: str | None = None
    until: datetime | None = None
    attempts: int = 0
    provider_ref: str | None = None
    updated_at: datetime
    delivery_status: DeliveryStatus | None = None
    error_code: str | None = None
    duration_seconds: int | None = None
    failed_batches: int = 0  # batches that failed with this contact in them, since its last outcome
    dnc_status: str | None = None  # the contact's DNC stamp when decided; "unscrubbed" is reported so

    def time_key(self) -> tuple[str, str] | None:
        """While deferred: on the time index at the instant it may be tried again (the deferred job)."""
        if self.status is OutcomeStatus.DEFERRED and self.until is not None:
            return DEFERRED_INDEX, time_sort_key(self.until, f"{self.campaign_id}#{self.contact_id}")
        return None

    def sort_key(self) -> str:
        return f"{self.campaign_id}#{self.contact_id}"

    def subject(self) -> Subject | None:
        """The campaign's record of the contact: only for the people of that campaign (scoped access)."""
        return Subject(self.contact_id, campaign_id=self.campaign_id, by_campaign=True)
