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

Each claim is a write of its own (PartiQL statements, 25 per round trip: one write unit
per ledger, where a transaction would charge two, and no claim depends on another's
write going through). A refusal carries the ledger as it now stands (ALL_OLD), which is
handed back to decide again without a second read (only a refusal that carried no
ledger is read again). A claim outlives its send by
``CLAIM_KEPT``, far beyond any retry of its batch: a retried task finds it and sends
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from pydantic import ConfigDict

from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.scope import Refusal

LEDGER_WINDOW: Final = timedelta(hours=24)
CLAIM_KEPT: Final = timedelta(days=30)


class ClaimMark(GatehouseModel):
    """Who holds a claim: the run whose task may call the provider for it, once."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    at: datetime


class AttemptLedger(TenantRecord):
    """A contact's attempts of the last 24 hours (every campaign), its recent claims, and when it
    last hung up on a call by a recorded voice (``voice.hang_ups``; kept for good: NRS 597.814)."""

    collection = "LEDGER"

    contact_id: str
    times: list[datetime] = []
    claims: dict[str, ClaimMark] = {}
    hung_up_at: datetime | None = None

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
    written, lost = _write(scope, writes)
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
    """(written, refused): each ledger written on its own condition, 25 per round trip.

    Each refused contact maps to its ledger as the refusal returned it, or None when it
    must be read again (a refused INSERT, or a ledger deleted meanwhile).
    """
    written: list[AttemptLedger] = []
    refused: dict[str, AttemptLedger | None] = {}
    for ledger, result in zip(chunk, scope.save_each(chunk), strict=True):
        if isinstance(result, Refusal):
            current = result.current
            refused[ledger.contact_id] = (
                current if current and current.contact_id == ledger.contact_id else None
            )
        else:
            written.append(ledger)
    return written, refused
