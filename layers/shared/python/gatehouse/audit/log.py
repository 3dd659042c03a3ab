"""The audit log: append an entry to a tenant's chain, and list entries back.

Every state-changing operation calls ``append`` once. Appends for one tenant are
serialized twice over: inside a process by a per-tenant lock (threads never race each
other into retries), and across processes by the store's transaction, which moves the
head from n to n+1 only while it is still at n. A writer that loses learns the new head
from the failed condition itself, rebuilds its entry on top of it and tries again, a
bounded number of times with jittered backoff, so the chain never forks and never skips.

An append may carry the change it records (``change``: the tenant's staged conditional
writes): then the change, the entry and the head move in one TransactWriteItems, so a
change never stands without its entry. A retry after the head moved resends the change
with the rebuilt entry; a change whose own condition refused is never retried and writes
no entry (``TransactionConflict``). ``audit.changes.recorded`` is how domain code uses it.

The head each process saw last is kept, so an uncontended append is one DynamoDB call
(TransactWriteItems); a process's first append for a tenant adds one GetItem.

It never changes or removes an entry: the table only ever receives conditional puts.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from gatehouse.audit.entry import (
    GENESIS_HASH,
    Actor,
    AuditEntry,
    Target,
    format_time,
    indexed_copies,
    plain_changes,
)
from gatehouse.audit.store import (
    AuditStore,
    ChainCorrupt,
    ChainHead,
    EntryFilter,
    HeadMoved,
    NewEntry,
    StoredEntry,
)
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, CrossTenantAccess, Invalid
from gatehouse.observability import logger, metrics
from gatehouse.tenancy.scope import ScopedTransaction

MAX_ATTEMPTS = 30
MAX_ENTRY_BYTES = 100_000
# Full-jitter exponential backoff. The cap is long on purpose: with several processes
# appending to one tenant, each round has one winner, and a short cap keeps every loser
# in the next round (8 writers with a 0.1 s cap ran out of attempts; with 1 s none did).
_BACKOFF_BASE_SECONDS = 0.01
_BACKOFF_CAP_SECONDS = 1.0
MAX_PAGE = 500
FILTERED_QUERIES = 5  # a filtered page reads at most this many Query pages to fill itself


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    cursor: str | None


class AuditLog:
    """Appends with a per-process memory of each tenant's head. One per process is enough."""

    def __init__(
        self, *, max_attempts: int = MAX_ATTEMPTS, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._heads: dict[str, ChainHead | None] = {}

    def append(
        self,
        tenant_id: str,
        *,
        actor: Actor,
        action: str,
        target: Target,
        request_id: str,
        source_ip: str | None = None,
        before: object | None = None,
        after: object | None = None,
        clock: Clock = utc_now,
        change: ScopedTransaction | None = None,
    ) -> AuditEntry:
        """Add one entry at the end of the tenant's chain and return it, sealed with its hash.

        With ``change``, its writes commit in the same transaction as the entry, or neither
        does: TransactionConflict when one of its conditions refused, Conflict when the
        chain stayed too busy, and nothing written in either case.
        """
        if change is not None and change.tenant_id != tenant_id:
            raise CrossTenantAccess("a change is audited in its own tenant's log")
        store = AuditStore(tenant_id)
        fields = {
            "tenant_id": tenant_id,
            "actor": actor,
            "action": action,
            "target": target,
            "request_id": request_id,
            "source_ip": source_ip,
            "changes": plain_changes(before, after),
        }
        with self._lock(tenant_id):
            expected = self._heads[tenant_id] if tenant_id in self._heads else store.head()
            for attempt in range(self._max_attempts):
                entry = _next_entry(fields, expected, clock)
                try:
                    self._heads[tenant_id] = store.append(_new_entry(entry), expected, change)
                except HeadMoved as moved:
                    if moved.known:
                        expected = moved.current
                    self._sleep(_backoff(attempt))
                    continue
                except ChainCorrupt:
                    self._heads.pop(tenant_id, None)
                    raise
                return entry
        self._heads.pop(tenant_id, None)
        raise Conflict("the audit log is busy; retry")

    def _lock(self, tenant_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(tenant_id, threading.Lock())


_default_log = AuditLog()


def append(
    tenant_id: str,
    *,
    actor: Actor,
    action: str,
    target: Target,
    request_id: str,
    source_ip: str | None = None,
    before: object | None = None,
    after: object | None = None,
    clock: Clock = utc_now,
    change: ScopedTransaction | None = None,
) -> AuditEntry:
    """Record one state change in the tenant's audit log, with its writes (see ``AuditLog.append``)."""
    return _default_log.append(
        tenant_id,
        actor=actor,
        action=action,
        target=target,
        request_id=request_id,
        source_ip=source_ip,
        before=before,
        after=after,
        clock=clock,
        change=change,
    )


def list_entries(
    tenant_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: Actor | None = None,
    action: str | None = None,
    target: Target | None = None,
    limit: int = 50,
    cursor: str | None = None,
    newest_first: bool = True,
) -> AuditPage:
    """One page of entries, newest first by default, filtered by time range, actor, action and target.

    Unfiltered, a page costs one Query over ``limit`` entries. Filtered, the page is filled:
    each further Query reads at most as many entries as the page still lacks (so it never
    overflows), up to ``FILTERED_QUERIES`` of them; a sparse match may still give a short
    or empty page that carries a cursor to the rest.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit must be between 1 and {MAX_PAGE}")
    where = EntryFilter(
        since=format_time(since) if since else None,
        until=format_time(until) if until else None,
        actor=actor.label if actor else None,
        action=action,
        target=target.label if target else None,
    )
    filtered = where != EntryFilter()
    store = AuditStore(tenant_id)
    found: list[AuditEntry] = []
    for _ in range(FILTERED_QUERIES if filtered else 1):
        page = store.entries(
            limit=limit - len(found),
            cursor=cursor,
            newest_first=newest_first,
            where=where if filtered else None,
        )
        found.extend(_as_filtered(tenant_id, page.items))
        cursor = page.cursor
        if cursor is None or len(found) == limit:
            break
    return AuditPage(items=found, cursor=cursor)


def _as_filtered(tenant_id: str, stored: list[StoredEntry]) -> Iterator[AuditEntry]:
    """The entries whose filter copies equal their hashed body: a listing filters on verified values.

    The table filters on the copies; an entry whose copies were edited would sit under the
    wrong filter, so it is left out, logged and counted, and ``verify`` reports it as edited.
    """
    for item in stored:
        entry = AuditEntry.model_validate_json(item.body)
        if item.indexed is not None and item.indexed != indexed_copies(entry):
            logger.error(
                "audit entry copies differ from its body", extra={"tenant_id": tenant_id, "seq": item.seq}
            )
            metrics.add_metric(name="AuditVerifyFailed", unit=MetricUnit.Count, value=1)
            continue
        yield entry


def _next_entry(fields: dict[str, Any], head: ChainHead | None, clock: Clock) -> AuditEntry:
    """The entry built on top of ``head``: the next seq, linked to the head's hash."""
    return AuditEntry.seal(
        **fields,
        seq=(head.seq if head else 0) + 1,
        at=clock(),
        prev_hash=head.hash if head else GENESIS_HASH,
    )


def _new_entry(entry: AuditEntry) -> NewEntry:
    body = entry.canonical()
    if len(body) > MAX_ENTRY_BYTES:
        raise Invalid("the change is too large to audit; record fewer fields")
    return NewEntry(seq=entry.seq, hash=entry.hash, body=body.decode("utf-8"), **indexed_copies(entry))


def _backoff(attempt: int) -> float:
    ceiling = min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)
    return random.uniform(0, ceiling)  # noqa: S311 - jitter spreads retries; it guards no secret
