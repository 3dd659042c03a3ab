"""Gate 7: claim each (campaign, contact, attempt) with a conditional write before any provider call.

A contact's claims live on its attempt ledger, one item per contact: the times it was
attempted in the last 24 hours across every campaign (gate 6's caps and the state rules
count them) and the claims of its recent attempts, keyed ``<campaign id>#<attempt>``.
A claim is a write of that ledger conditional on the version the gates read, so:

- of two executions, two deliveries of a batch or a retry racing its original, exactly
  one holds a claim, and only the holder calls the provider;
- the attempt is counted in the same write that claims it: two campaigns can never both
  take a contact's last attempt of the day. The one whose write loses reads the ledger
  again and asks the gates again before it claims.

A batch's claims go in transactions of 100 (one round trip each). When some items
refuse, the rest are written again without them; each refusal carries the ledger as it
now stands (ALL_OLD), which is handed back to decide again without a second read (only
a refusal DynamoDB gave no reasons for is read again). A claim outlives its send by
``CLAIM_KEPT``, far beyond any retry of its batch: a retried task finds it and sends
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from pydantic import ConfigDict

from gatehouse.errors import Conflict
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.scope import TRANSACTION_LIMIT, TransactionConflict

LEDGER_WINDOW: Final = timedelta(hours=24)
CLAIM_KEPT: Final = timedelta(days=30)
_REWRITES: Final = 3


class ClaimMark(GatehouseModel):
    """Who holds a claim: the run whose task may call the provider for it, once."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    at: datetime


class AttemptLedger(TenantRecord):
    """A contact's attempts of the last 24 hours (every campaign) and its recent claims."""

    collection = "LEDGER"

    contact_id: str
    times: list[datetime] = []
    claims: dict[str, ClaimMark] = {}

    def sort_key(self) -> str:
        return self.contact_id

    def holder(self, campaign_id: str, attempt: int) -> ClaimMark | None:
        return self.claims.get(claim_key(campaign_id, attempt))

    def recent(self, now: datetime) -> list[datetime]:
        return [t for t in self.times if now - t < LEDGER_WINDOW]


def claim_key(campaign_id: str, attempt: int) -> str:
    return f"{campaign_id}#{attempt:02d}"


@dataclass
class Claimed:
    """What one ``claim`` call came to, by contact id."""

    held: list[str] = field(default_factory=list)  # this call holds the claim: it may send, once
    taken: list[str] = field(default_factory=list)  # another claimer holds it: that one sends
    contested: dict[str, AttemptLedger] = field(default_factory=dict)  # changed meanwhile: decide again


def claim(
    scope: TenantScope,
    campaign_id: str,
    run_id: str,
    wanted: Iterable[tuple[str, int]],
    now: datetime,
    *,
    ledgers: Mapping[str, AttemptLedger] | None = None,
) -> Claimed:
    """Claim each (contact id, attempt number) on the contact's ledger as the gates read it.

    ``ledgers`` are the versions the gates decided on (read here when not given). A claim
    held by anyone, this run included, is ``taken``; a ledger that changed since it was
    read is ``contested``, returned fresh for the gates to decide again.
    """
    asked: dict[str, int] = {}  # one attempt per contact: the first asked
    for contact_id, number in wanted:
        asked.setdefault(contact_id, number)
    if ledgers is None:
        ledgers = scope.batch_get(AttemptLedger, list(asked))
    result = Claimed()
    writes: list[AttemptLedger] = []
    keys: dict[str, str] = {}
    for contact_id, number in asked.items():
        ledger = ledgers.get(contact_id) or AttemptLedger(contact_id=contact_id)
        if ledger.holder(campaign_id, number) is not None:
            result.taken.append(contact_id)
        else:
            keys[contact_id] = claim_key(campaign_id, number)
            writes.append(_claimed(ledger, campaign_id, number, run_id, now))
    refused: dict[str, AttemptLedger | None] = {}
    for start in range(0, len(writes), TRANSACTION_LIMIT):
        written, lost = _write(scope, writes[start : start + TRANSACTION_LIMIT])
        result.held.extend(w.contact_id for w in written)
        refused.update(lost)
    unknown = [cid for cid, current in refused.items() if current is None]
    fresh = scope.batch_get(AttemptLedger, unknown) if unknown else {}
    for cid, returned in refused.items():
        current = returned or fresh.get(cid) or AttemptLedger(contact_id=cid)
        if keys[cid] in current.claims:
            result.taken.append(cid)
        else:
            result.contested[cid] = current
    return result


def _claimed(
    ledger: AttemptLedger, campaign_id: str, number: int, run_id: str, now: datetime
) -> AttemptLedger:
    kept = {k: m for k, m in ledger.claims.items() if now - m.at < CLAIM_KEPT}
    kept[claim_key(campaign_id, number)] = ClaimMark(run_id=run_id, at=now)
    return ledger.model_copy(update={"times": [*ledger.recent(now), now], "claims": kept})


def _write(
    scope: TenantScope, chunk: list[AttemptLedger]
) -> tuple[list[AttemptLedger], dict[str, AttemptLedger | None]]:
    """(written, refused): the chunk in one transaction, again without the items that refused.

    Each refused contact maps to its ledger as the refusal returned it (a ledger deleted
    meanwhile: a new, empty one), or None when it must be read again.
    """
    refused: dict[str, AttemptLedger | None] = {}
    for _ in range(_REWRITES):
        if not chunk:
            return [], refused
        try:
            with scope.transaction() as txn:
                for ledger in chunk:
                    txn.save(ledger)
        except TransactionConflict as exc:
            if not exc.failed:
                break  # no reasons given: item by item below
            for n in sorted(exc.failed):
                refused[chunk[n].contact_id] = _returned(exc, n, chunk[n].contact_id)
            chunk = [w for n, w in enumerate(chunk) if n not in exc.failed]
            continue
        return chunk, refused
    written: list[AttemptLedger] = []
    for ledger in chunk:
        try:
            scope.save(ledger)
            written.append(ledger)
        except Conflict:
            refused[ledger.contact_id] = None
    return written, refused


def _returned(exc: TransactionConflict, position: int, contact_id: str) -> AttemptLedger | None:
    """The ledger a refusal carried; None when it carried none that reads as this contact's ledger."""
    if position not in exc.current:
        return None
    current = exc.current[position]
    if current is None:
        return AttemptLedger(contact_id=contact_id)
    return current if isinstance(current, AttemptLedger) and current.contact_id == contact_id else None
