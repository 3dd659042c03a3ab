"""Verify a tenant's audit chain: recompute every hash and link, check every checkpoint.

``ChainWalk`` is the walk itself, fed entries in sequence order and checkpoints in
``from_seq`` order, lazily, so a long chain is read one page at a time and costs
O(entries walked). ``verify`` feeds it from the audit table; the export verifier feeds
it from exported files. The walk reports the first sequence number that can no longer
be proven, and why:

    edited         an entry does not match its own hash (or is not a well-formed entry), or a
                   copy kept beside it for list filters (at, action, actor, target) differs
                   from the value in its hashed body
    missing        an entry, or the checkpoint covering a stretch, is gone
    reordered      an entry sits in another entry's place, or does not follow its predecessor
    truncated      entries a signed checkpoint covers are gone from the end of the chain
    bad_signature  a checkpoint's signature (or its signed hash list) does not hold
    forged         an entry is self-consistent but is not the one a checkpoint signed

Everything before that number is verified. It never writes; a verification that fails is
logged and counted (``AuditVerifyFailed``) for the operators' alarm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from cryptography.hazmat.primitives.asymmetric import ec

from gatehouse.audit.checkpoints import Checkpoint, inspect_checkpoint, load_public_key, public_key_pem
from gatehouse.audit.entry import GENESIS_HASH, BreakReason, Defect, indexed_copies, inspect_link
from gatehouse.audit.store import AuditStore, ChainHead, StoredCheckpoint, StoredEntry
from gatehouse.observability import logger, metrics

ANCHOR_SEARCH = 20  # newest checkpoints tried as the starting point of an incremental walk

CheckpointCheck = Callable[[StoredCheckpoint], Checkpoint | Defect]


@dataclass(frozen=True)
class VerifyReport:
    """``verified_seq``: entries 1..N are intact (from ``start_seq`` on, checked in this run)."""

    tenant_id: str
    ok: bool
    verified_seq: int
    signed_seq: int
    head_seq: int
    start_seq: int
    entries_checked: int
    checkpoints_checked: int
    first_bad_seq: int | None = None
    reason: BreakReason | None = None
    detail: str = ""

    @property
    def summary(self) -> str:
        if self.ok:
            return f"verified up to {self.verified_seq} (signed up to {self.signed_seq})"
        return f"broken at {self.first_bad_seq}: {self.reason} - {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "ok": self.ok,
            "summary": self.summary,
            "verified_seq": self.verified_seq,
            "signed_seq": self.signed_seq,
            "head_seq": self.head_seq,
            "start_seq": self.start_seq,
            "entries_checked": self.entries_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "first_bad_seq": self.first_bad_seq,
            "reason": str(self.reason) if self.reason else None,
            "detail": self.detail,
        }


class ChainWalk:
    """Walks one chain from ``start_seq``; ``prev_hash`` None trusts the first link (vouched for by
    ``anchor``, a verified checkpoint covering ``start_seq``, or by nothing for a partial export)."""

    def __init__(
        self,
        tenant_id: str,
        checkpoints: Iterator[StoredCheckpoint],
        check: CheckpointCheck,
        *,
        start_seq: int = 1,
        prev_hash: str | None = GENESIS_HASH,
        anchor: Checkpoint | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.start_seq = start_seq
        self.expected = start_seq
        self._prev = prev_hash
        self._checkpoints = checkpoints
        self._next_checkpoint = next(checkpoints, None)
        self._check = check
        self._active: list[Checkpoint] = [anchor] if anchor else []
        self._covered = anchor.seq if anchor else start_seq - 1
        self.signed_seq = start_seq - 1 if anchor else 0
        self.entries_checked = 0
        self.checkpoints_checked = 1 if anchor else 0
        self._last_hash: str | None = None

    def feed(self, stored: StoredEntry) -> Defect | None:
        """Check the next stored entry; a Defect means the walk is over."""
        defect = self._pull_checkpoints(upto=self.expected)
        if defect:
            return defect
        seq = self.expected
        link = inspect_link(self.tenant_id, stored.seq, stored.body, expected_seq=seq, prev_hash=self._prev)
        if isinstance(link, Defect):
            return link
        if stored.indexed is not None and stored.indexed != indexed_copies(link):
            edited = sorted(k for k, v in indexed_copies(link).items() if stored.indexed.get(k) != v)
            return Defect(seq, BreakReason.EDITED, f"entry {seq}'s {', '.join(edited)} differ from its body")
        for checkpoint in self._active:
            if checkpoint.hashes[seq - checkpoint.from_seq] != link.hash:
                where = f"checkpoint {checkpoint.from_seq}..{checkpoint.seq}"
                return Defect(seq, BreakReason.FORGED, f"entry {seq} is not the one signed in {where}")
        if self._active:
            self.signed_seq = seq
        self._active = [c for c in self._active if c.seq > seq]
        self._prev = self._last_hash = link.hash
        self.expected += 1
        self.entries_checked += 1
        return None

    def finish(
        self, head: ChainHead | None = None, *, head_known: bool = False, open_end: bool = False
    ) -> Defect | None:
        """After the last entry: no signed entry may be gone, and the head must name the last entry.

        ``open_end``: the walk stopped early on purpose, so later entries are not expected.
        """
        defect = self._pull_checkpoints(upto=None if not open_end else self.expected - 1)
        if defect:
            return defect
        if not open_end and self._covered >= self.expected:
            return Defect(
                self.expected,
                BreakReason.TRUNCATED,
                f"entries {self.expected}..{self._covered} were signed in a checkpoint but are gone",
            )
        return self._head_defect(head) if head_known else None

    def _head_defect(self, head: ChainHead | None) -> Defect | None:
        if head is None:
            return (
                None if self.expected == 1 else Defect(self.expected, BreakReason.MISSING, "the head is gone")
            )
        if head.seq >= self.expected:
            return Defect(self.expected, BreakReason.MISSING, f"the head is at {head.seq} but the chain ends")
        if self._last_hash is not None and head.hash != self._last_hash:
            return Defect(head.seq, BreakReason.FORGED, "the head names another last entry than the chain")
        return None

    def report(self, defect: Defect | None, head_seq: int) -> VerifyReport:
        verified = self.expected - 1
        report = VerifyReport(
            tenant_id=self.tenant_id,
            ok=defect is None,
            verified_seq=verified,
            signed_seq=min(self.signed_seq, verified),
            head_seq=head_seq,
            start_seq=self.start_seq,
            entries_checked=self.entries_checked,
            checkpoints_checked=self.checkpoints_checked,
        )
        if defect is None:
            return report
        verified = min(verified, defect.seq - 1)
        return replace(
            report,
            verified_seq=verified,
            signed_seq=min(self.signed_seq, verified),
            first_bad_seq=defect.seq,
            reason=defect.reason,
            detail=defect.detail,
        )

    def _pull_checkpoints(self, upto: int | None) -> Defect | None:
        """Take in every checkpoint starting at or before ``upto`` (None: all that remain)."""
        while self._next_checkpoint is not None and (upto is None or self._next_checkpoint.from_seq <= upto):
            stored, self._next_checkpoint = self._next_checkpoint, next(self._checkpoints, None)
            self.checkpoints_checked += 1
            checkpoint = self._check(stored)
            if isinstance(checkpoint, Defect):
                return checkpoint
            if checkpoint.seq < self.start_seq:
                continue
            if checkpoint.from_seq > self._covered + 1:
                gap = f"{self._covered + 1}..{checkpoint.from_seq - 1}"
                return Defect(self._covered + 1, BreakReason.MISSING, f"no checkpoint covers entries {gap}")
            self._active.append(checkpoint)
            self._covered = max(self._covered, checkpoint.seq)
        return None


def verify(
    tenant_id: str, from_checkpoint: bool = True, *, public_key: ec.EllipticCurvePublicKey | None = None
) -> VerifyReport:
    """Verify the tenant's chain up to its current head.

    ``from_checkpoint``: start at the newest checkpoint whose signature holds (re-checking
    the stretch it covers and everything after it); otherwise start at entry 1.
    """
    report = _walk_chain(tenant_id, from_checkpoint, public_key)
    if not report.ok:
        # The checkpoint job counts broken chains hourly (AuditChainBroken); a verification
        # asked for through the API or the operator CLI is counted the moment it fails.
        metrics.add_metric(name="AuditVerifyFailed", unit=MetricUnit.Count, value=1)
        logger.error("audit chain does not verify", extra=report.as_dict())
    return report


def _walk_chain(
    tenant_id: str, from_checkpoint: bool, public_key: ec.EllipticCurvePublicKey | None
) -> VerifyReport:
    store = AuditStore(tenant_id)
    key = public_key or load_public_key(public_key_pem())
    check: CheckpointCheck = partial(inspect_checkpoint, tenant_id=tenant_id, public_key=key)
    head = store.head()
    head_seq = head.seq if head else 0
    anchor = _anchor(store, check) if from_checkpoint else None
    if anchor is None:
        walk = ChainWalk(tenant_id, store.iter_checkpoints(), check)
    else:
        walk = ChainWalk(
            tenant_id,
            store.iter_checkpoints(after_from_seq=anchor.from_seq),
            check,
            start_seq=anchor.from_seq,
            prev_hash=None,
            anchor=anchor,
        )
    for stored in store.iter_entries(from_seq=walk.start_seq):
        if head is not None and stored.seq > head_seq:
            break  # appended after the head was read: the next verification covers it
        defect = walk.feed(stored)
        if defect:
            return walk.report(defect, head_seq)
    return walk.report(walk.finish(head, head_known=True) or _beyond_head(store, head), head_seq)


def _anchor(store: AuditStore, check: CheckpointCheck) -> Checkpoint | None:
    for stored in store.latest_checkpoints(limit=ANCHOR_SEARCH):
        checkpoint = check(stored)
        if isinstance(checkpoint, Checkpoint):
            return checkpoint
    return None


def _beyond_head(store: AuditStore, head: ChainHead | None) -> Defect | None:
    """An entry past the head was not appended through the log, unless the head moved meanwhile."""
    head_seq = head.seq if head else 0
    page = store.entries(from_seq=head_seq + 1, limit=1)
    if not page.items:
        return None
    now = store.head()
    if now is not None and now.seq >= page.items[0].seq:
        return None
    return Defect(head_seq + 1, BreakReason.FORGED, f"entry {page.items[0].seq} lies beyond the chain head")
