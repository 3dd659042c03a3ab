"""Gate 7: claim each (campaign, contact, attempt) with a conditional write before any provider call.

The claim's key is deterministic (campaign id, contact id, attempt number), and a claim
is a create-if-absent write, so of two executions, two deliveries of a batch or a retry
racing its original, exactly one ever holds a claim; only the holder calls the provider.
A batch is claimed in one transaction; when another claimer won some of its items the
transaction fails whole, and the rest are then claimed one by one, each still
conditional. A claim outlives its send: a retried task finds the claim and sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Final

from gatehouse.errors import Conflict
from gatehouse.tenancy import TenantRecord, TenantScope

TRANSACTION_LIMIT: Final = 100


class AttemptStatus(StrEnum):
    CLAIMED = "claimed"  # the provider may be called by the claim's holder, once
    SENT = "sent"
    FAILED = "failed"


class Attempt(TenantRecord):
    collection = "ATTEMPT"

    campaign_id: str
    contact_id: str
    attempt: int
    run_id: str
    status: AttemptStatus
    claimed_at: datetime
    provider_ref: str | None = None
    error: str | None = None

    def sort_key(self) -> str:
        return attempt_key(self.campaign_id, self.contact_id, self.attempt)


def attempt_key(campaign_id: str, contact_id: str, attempt: int) -> str:
    return f"{campaign_id}#{contact_id}#{attempt:02d}"


def claim(
    scope: TenantScope,
    campaign_id: str,
    run_id: str,
    wanted: Iterable[tuple[str, int]],
    now: datetime,
) -> list[Attempt]:
    """Claim each (contact id, attempt number); the attempts this call holds, in the order asked.

    Anything already claimed, by this run or any other, is left out: its holder sends.
    """
    asked = list(dict.fromkeys(wanted))
    held: list[Attempt] = []
    for start in range(0, len(asked), TRANSACTION_LIMIT):
        chunk = asked[start : start + TRANSACTION_LIMIT]
        taken = scope.batch_get(Attempt, [attempt_key(campaign_id, c, n) for c, n in chunk])
        fresh = [
            Attempt(
                campaign_id=campaign_id,
                contact_id=contact_id,
                attempt=number,
                run_id=run_id,
                status=AttemptStatus.CLAIMED,
                claimed_at=now,
            )
            for contact_id, number in chunk
            if attempt_key(campaign_id, contact_id, number) not in taken
        ]
        held.extend(_claim_all(scope, fresh))
    return held


def _claim_all(scope: TenantScope, attempts: list[Attempt]) -> list[Attempt]:
    if not attempts:
        return []
    try:
        with scope.transaction() as txn:
            saved = [txn.save(attempt) for attempt in attempts]
    except Conflict:
        # Someone claimed part of the batch between our read and our write: one by one.
        return [won for attempt in attempts if (won := _claim_one(scope, attempt)) is not None]
    return saved


def _claim_one(scope: TenantScope, attempt: Attempt) -> Attempt | None:
    try:
        return scope.save(attempt)
    except Conflict:
        return None
