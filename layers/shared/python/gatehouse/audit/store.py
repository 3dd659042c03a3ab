"""The audit table's storage: chain heads, entries and signed checkpoints.

Layout (string keys; one tenant's whole log lives in one partition)::

    pk "<tenant_id>#AUDIT"  sk "E#<seq, 12 digits>"       an entry: seq, body (the entry's canonical
                                                          JSON, hash included) and copies of at,
                                                          action, actor, target for list filters
    pk "<tenant_id>#AUDIT"  sk "HEAD"                     the chain head: seq, hash, at of the last entry
    pk "<tenant_id>#AUDIT"  sk "CP#<from_seq, 12 digits>"  a checkpoint over entries from_seq..seq:
                                                          body (the signed canonical payload),
                                                          signature, key_id, hashes (the entries'
                                                          hashes, concatenated)

The table is write-once by construction: this module only ever puts, and always with a
condition (an entry or a checkpoint only if absent, the head only while it is still where
the writer read it). An append is two such puts that this module builds and the tenant's
scope commits (``TenantScope.commit``) in one TransactWriteItems, after the writes of the
change it records, if any: the change and its entry commit together or not at all, and
the door performs every write of tenant data. Reads are GetItem, BatchGetItem and Query.
It never updates, deletes or scans the audit table, and it decides nothing about what an
entry means: ``gatehouse.audit.log`` does.

The log is the tenant's own data: every request is signed with the tenant's
``TenantAccessRole`` session, the same that signs the change an append carries.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from gatehouse.config import Settings, get_settings
from gatehouse.errors import Conflict, CrossTenantAccess, GatehouseError
from gatehouse.freshness import forgotten_on_restore
from gatehouse.ids import is_tenant_id
from gatehouse.tenancy import TenantScope, decode_cursor, encode_cursor, signed_for_tenant
from gatehouse.tenancy.scope import TRANSACTION_LIMIT, ConditionalPut, PutsRefused, ScopedTransaction

COLLECTION = "AUDIT"
HEAD_KEY = "HEAD"
_ENTRY = "E#"
_CHECKPOINT = "CP#"
_DIGITS = 12
_LAST_SEQ = 10**_DIGITS - 1
_ENTRY_SLOT, _HEAD_SLOT = 0, 1  # the order of the two puts of an append, after any change's writes
MAX_CHANGE_ITEMS = TRANSACTION_LIMIT - 2  # what an audited change may write beside its entry and the head


class _AuditItem(Model):
    """What every item of the audit table has; the subclasses share this Meta (one table)."""

    class Meta:
        table_name = "gatehouse-audit"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    seq = NumberAttribute()


class AuditEntryItem(_AuditItem):
    body = UnicodeAttribute()
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    target = UnicodeAttribute()


class AuditHeadItem(_AuditItem):
    hash = UnicodeAttribute()
    at = UnicodeAttribute()


class AuditCheckpointItem(_AuditItem):
    from_seq = NumberAttribute()
    body = UnicodeAttribute()
    signature = UnicodeAttribute()
    key_id = UnicodeAttribute()
    hashes = UnicodeAttribute()


_bound: tuple[str, str, str | None] | None = None
M = TypeVar("M", bound=Model)


def bind(settings: Settings | None = None) -> None:
    """Point the audit models at the configured table (once per table name and region)."""
    global _bound  # noqa: PLW0603 - the binding is process-wide by design, like the table it names
    settings = settings or get_settings()
    target = (settings.audit_table, settings.region, settings.endpoint_url)
    if _bound != target:
        _AuditItem.Meta.table_name = settings.audit_table
        _AuditItem.Meta.region = settings.region
        for model in (AuditEntryItem, AuditHeadItem, AuditCheckpointItem):
            model._connection = None
        _bound = target


@forgotten_on_restore
def unbind() -> None:
    """Drop the audit models' connections (client, credentials, sockets); the next use binds again."""
    global _bound  # noqa: PLW0603 - see bind
    for model in (AuditEntryItem, AuditHeadItem, AuditCheckpointItem):
        model._connection = None
    _bound = None


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str
    at: str


@dataclass(frozen=True)
class StoredEntry:
    seq: int
    body: str
    # The copies kept beside the body for list filters (at, action, actor, target), as stored;
    # None where there are none (an exported file).
    indexed: dict[str, str] | None = None


@dataclass(frozen=True)
class NewEntry:
    """An entry ready to be appended: its canonical body and the copies kept for filters."""

    seq: int
    hash: str
    body: str
    at: str
    action: str
    actor: str
    target: str


@dataclass(frozen=True)
class StoredCheckpoint:
    from_seq: int
    seq: int
    body: str
    signature: str
    key_id: str
    hashes: str


@dataclass(frozen=True)
class EntryFilter:
    """List filters; times are compared as stored text (UTC, fixed width), actor/target as "type:id"."""

    since: str | None = None
    until: str | None = None
    actor: str | None = None
    action: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class EntryPage:
    items: list[StoredEntry]
    cursor: str | None


class HeadMoved(Conflict):
    """The head was not where the writer read it; ``current`` is where it is, when DynamoDB said."""

    def __init__(self, current: ChainHead | None, *, known: bool) -> None:
        super().__init__("the audit chain moved; retry")
        self.current = current
        self.known = known


class ChainCorrupt(GatehouseError):
    """An entry already occupies the slot after the head: the table was changed outside appends."""

    code = "audit_chain_corrupt"


class AuditStore:
    """One tenant's audit partition. Construct one per request or job."""

    def __init__(self, tenant_id: str) -> None:
        if not is_tenant_id(tenant_id):
            raise CrossTenantAccess("not a tenant id")
        self._tenant_id = tenant_id
        self._pk = partition(tenant_id)

    def _signed(self, model: type[M]) -> type[M]:
        """``model`` signed with the tenant's scoped credentials (cached per container)."""
        bind()
        return signed_for_tenant(self._tenant_id, model)

    def head(self) -> ChainHead | None:
        heads = self._signed(AuditHeadItem)
        try:
            item = heads.get(self._pk, HEAD_KEY, consistent_read=True)
        except heads.DoesNotExist:
            return None
        return _head(item)

    def append(
        self, entry: NewEntry, expected: ChainHead | None, change: ScopedTransaction | None = None
    ) -> ChainHead:
        """Put the entry and move the head to it in one transaction, only if the head is ``expected``.

        The tenant's scope commits the two puts; with ``change``, through the change's own
        scope and after its writes (at most ``MAX_CHANGE_ITEMS``), so nothing of it is written
        unless the entry is, and the reverse. Raises HeadMoved (with the head as it is now,
        returned with the refusal, so the writer needs no second read), ChainCorrupt, or
        TransactionConflict when one of the change's own conditions refused (``failed`` names
        its positions in ``change``).
        """
        if entry.seq != (expected.seq if expected else 0) + 1:
            raise ValueError("an entry must directly follow the head it was built on")
        writes = len(change) if change is not None else 0
        if writes > MAX_CHANGE_ITEMS:
            raise ValueError(f"an audited change writes at most {MAX_CHANGE_ITEMS} items, not {writes}")
        item = AuditEntryItem(
            self._pk,
            _entry_key(entry.seq),
            seq=entry.seq,
            body=entry.body,
            at=entry.at,
            action=entry.action,
            actor=entry.actor,
            target=entry.target,
        )
        head = AuditHeadItem(self._pk, HEAD_KEY, seq=entry.seq, hash=entry.hash, at=entry.at)
        puts = [
            ConditionalPut(item, AuditEntryItem.pk.does_not_exist()),
            ConditionalPut(head, _head_condition(expected), return_old=True),
        ]
        scope = change.scope if change is not None else TenantScope(self._tenant_id)
        try:
            scope.commit(change, puts=puts)
        except PutsRefused as refused:
            raise _append_failure(refused) from refused
        return ChainHead(seq=entry.seq, hash=entry.hash, at=entry.at)

    def entries(
        self,
        *,
        from_seq: int = 1,
        to_seq: int | None = None,
        limit: int = 100,
        cursor: str | None = None,
        newest_first: bool = False,
        where: EntryFilter | None = None,
    ) -> EntryPage:
        """One Query: entries in sequence order; with filters, a page may hold fewer than ``limit``."""
        condition = AuditEntryItem.sk.between(_entry_key(from_seq), _entry_key(to_seq or _LAST_SEQ))
        binding = json.dumps(["audit", self._pk, from_seq, to_seq, newest_first, _filter_binding(where)])
        items, last_key = _one_page(
            self._signed(AuditEntryItem),
            self._pk,
            condition,
            limit=limit,
            start=decode_cursor(cursor, self._pk, binding),
            forward=not newest_first,
            filter_condition=_filter_condition(where),
        )
        stored = [StoredEntry(seq=int(item.seq), body=item.body, indexed=_indexed(item)) for item in items]
        return EntryPage(items=stored, cursor=encode_cursor(last_key, binding))

    def iter_entries(self, *, from_seq: int = 1, page_size: int = 500) -> Iterator[StoredEntry]:
        """All entries from ``from_seq`` on, fetched one page at a time as the caller consumes them."""
        cursor: str | None = None
        while True:
            page = self.entries(from_seq=from_seq, limit=page_size, cursor=cursor)
            yield from page.items
            if page.cursor is None:
                return
            cursor = page.cursor

    def put_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        """Write a checkpoint if none starts at its ``from_seq`` yet; False when one already does."""
        item = self._signed(AuditCheckpointItem)(
            self._pk,
            _checkpoint_key(checkpoint.from_seq),
            from_seq=checkpoint.from_seq,
            seq=checkpoint.seq,
            body=checkpoint.body,
            signature=checkpoint.signature,
            key_id=checkpoint.key_id,
            hashes=checkpoint.hashes,
        )
        try:
            item.save(condition=AuditCheckpointItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def latest_checkpoints(self, limit: int = 20) -> list[StoredCheckpoint]:
        """The newest checkpoints, newest first (one Query)."""
        condition = AuditCheckpointItem.sk.startswith(_CHECKPOINT)
        checkpoints = self._signed(AuditCheckpointItem)
        items, _ = _one_page(checkpoints, self._pk, condition, limit=limit, start=None, forward=False)
        return [_checkpoint(item) for item in items]

    def iter_checkpoints(
        self, *, after_from_seq: int = 0, page_size: int = 100
    ) -> Iterator[StoredCheckpoint]:
        """Checkpoints starting after ``after_from_seq``, oldest first, one page at a time."""
        checkpoints = self._signed(AuditCheckpointItem)
        condition = AuditCheckpointItem.sk.between(
            _checkpoint_key(after_from_seq + 1), _checkpoint_key(_LAST_SEQ)
        )
        start: dict[str, Any] | None = None
        while True:
            items, start = _one_page(
                checkpoints, self._pk, condition, limit=page_size, start=start, forward=True
            )
            yield from (_checkpoint(item) for item in items)
            if start is None:
                return


def partition(tenant_id: str) -> str:
    return f"{tenant_id}#{COLLECTION}"


def read_heads(tenant_ids: Iterable[str]) -> dict[str, ChainHead]:
    """The chain heads of the given tenants; tenants without entries are absent.

    For jobs that act across tenants (checkpoints): the caller names the tenants, nothing is
    scanned. One GetItem per tenant, each with that tenant's credentials: no credentials
    here may read two tenants' heads in one request.
    """
    wanted = list(dict.fromkeys(tenant_ids))
    for tenant_id in wanted:
        if not is_tenant_id(tenant_id):
            raise CrossTenantAccess("not a tenant id")
    heads = {tenant_id: AuditStore(tenant_id).head() for tenant_id in wanted}
    return {tenant_id: head for tenant_id, head in heads.items() if head is not None}


def _indexed(item: AuditEntryItem) -> dict[str, str]:
    return {"at": item.at, "action": item.action, "actor": item.actor, "target": item.target}


def _entry_key(seq: int) -> str:
    return f"{_ENTRY}{seq:0{_DIGITS}d}"


def _checkpoint_key(from_seq: int) -> str:
    return f"{_CHECKPOINT}{from_seq:0{_DIGITS}d}"


def _head(item: AuditHeadItem) -> ChainHead:
    return ChainHead(seq=int(item.seq), hash=item.hash, at=item.at)


def _checkpoint(item: AuditCheckpointItem) -> StoredCheckpoint:
    return StoredCheckpoint(
        from_seq=int(item.from_seq),
        seq=int(item.seq),
        body=item.body,
        signature=item.signature,
        key_id=item.key_id,
        hashes=item.hashes,
    )


def _head_condition(expected: ChainHead | None) -> Any:
    if expected is None:
        return AuditHeadItem.pk.does_not_exist()
    return (AuditHeadItem.seq == expected.seq) & (AuditHeadItem.hash == expected.hash)


def _append_failure(refused: PutsRefused) -> GatehouseError:
    """Why the entry and head were refused while the change (if any) held."""
    entry_reason, head_reason = refused.reasons[_ENTRY_SLOT], refused.reasons[_HEAD_SLOT]
    if head_reason is not None and head_reason.code == "ConditionalCheckFailed":
        raw = head_reason.raw_item
        return HeadMoved(_head(AuditHeadItem.from_raw_data(raw)) if raw else None, known=True)
    if entry_reason is not None and entry_reason.code == "ConditionalCheckFailed":
        return ChainCorrupt("an audit entry exists beyond the chain head")
    # A concurrent transaction on the same items (TransactionConflict) or throttling: the
    # conditions held, so the same writes on a fresh head may go through.
    return HeadMoved(None, known=False)


def _filter_binding(where: EntryFilter | None) -> list[str | None]:
    if where is None:
        return []
    return [where.since, where.until, where.actor, where.action, where.target]


def _filter_condition(where: EntryFilter | None) -> Any:
    if where is None:
        return None
    parts = [
        part
        for wanted, part in (
            (where.since, AuditEntryItem.at >= where.since),
            (where.until, AuditEntryItem.at < where.until),
            (where.actor, AuditEntryItem.actor == where.actor),
            (where.action, AuditEntryItem.action == where.action),
            (where.target, AuditEntryItem.target == where.target),
        )
        if wanted
    ]
    return functools.reduce(operator.and_, parts) if parts else None


def _one_page(
    model: type[M],
    pk: str,
    condition: Any,
    *,
    limit: int,
    start: dict[str, Any] | None,
    forward: bool,
    filter_condition: Any = None,
) -> tuple[list[M], dict[str, Any] | None]:
    """Exactly one Query call: the items DynamoDB returned and where the next page starts."""
    results = model.query(
        pk,
        range_key_condition=condition,
        filter_condition=filter_condition,
        consistent_read=True,
        scan_index_forward=forward,
        page_size=limit,
        last_evaluated_key=start,
    )
    page = next(results.page_iter)
    items = [model.from_raw_data(raw) for raw in page.get("Items", [])]
    return items, page.get("LastEvaluatedKey")
