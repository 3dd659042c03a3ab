"""TenantScope: the one door to a tenant's data.

Bound to a single tenant at construction. Every partition key it touches is built
here as ``<tenant_id>#<collection>`` from a validated tenant id and a record
type's collection, so no caller can name another tenant's partition; items read
back are checked again before they become records. Writes are optimistic: a
record read at version n is written only while the item is still at n (version 0
means "create, only if absent"). It never scans.

Every request it makes is signed with the tenant's own ``TenantAccessRole`` session
(``tenancy.credentials``), never with the function's credentials: IAM keeps the same
boundary again, so a key built wrongly here is still refused in AWS.

A scope made for a person's request may carry a ``Restriction`` (``tenancy.restriction``):
every read (get, batch_get, query, span, due, newest) then hands out only the records
inside it, so no route can forget it. Jobs, webhooks and dispatch use unrestricted scopes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError
from pynamodb.exceptions import CancellationReason, TransactWriteError
from pynamodb.models import BatchWrite, Model
from pynamodb.transactions import TransactWrite

from gatehouse.errors import Conflict, CrossTenantAccess, NotFound
from gatehouse.ids import is_tenant_id
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import cursors, statements, store
from gatehouse.tenancy.records import GlobalRecord, Page, Record, TenantRecord, check_collection
from gatehouse.tenancy.restriction import Restriction

T = TypeVar("T", bound=TenantRecord)
G = TypeVar("G", bound=GlobalRecord)
TRANSACTION_LIMIT = 100  # items in one TransactWriteItems, across tables


class TenantScope:
    """Data access bound to one tenant. Construct one per request or job."""

    def __init__(self, tenant_id: str, *, restriction: Restriction | None = None) -> None:
        if not is_tenant_id(tenant_id):
            raise CrossTenantAccess("not a tenant id")
        self._tenant_id = tenant_id
        self._restriction = restriction

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    @property
    def restriction(self) -> Restriction | None:
        """What this scope's person may see inside the tenant (None: everything)."""
        return self._restriction

    @property
    def restricted(self) -> bool:
        """Whether this scope's person is kept to their campaigns now (the tenant's setting says so)."""
        return self._restriction is not None and self._restriction.campaigns() is not None

    def unrestricted(self) -> TenantScope:
        """The same tenant without the restriction: for the system's own reads, never a person's view."""
        return TenantScope(self._tenant_id)

    def model(self) -> type[store.Item]:
        """The table's model signed with this tenant's scoped credentials (cached per container)."""
        return store.for_tenant(self._tenant_id)

    def prefetch(self, keys: Iterable[tuple[str, str]]) -> AbstractContextManager[None]:
        """Read these items together, for the block's gets: the tenant's own, and its directory entry.

        Signed with the tenant's credentials, so only keys the tenant role may read: this
        scope's (``key``) and ``Directory.key(TenantEntry, <this tenant>, ...)``.
        """
        return store.prefetch(self.model(), keys)

    def partition(self, record_type: type[TenantRecord]) -> str:
        if not issubclass(record_type, TenantRecord):
            raise CrossTenantAccess(f"{record_type.__name__} is not a tenant record")
        return f"{self._tenant_id}#{check_collection(record_type.collection)}"

    def get(self, record_type: type[T], sort_key: str) -> T | None:
        item = store.get_item(self.model(), self.partition(record_type), sort_key)
        if item is None:
            return None
        try:
            record = self._record(record_type, item)
        except UNREADABLE as exc:
            _report_unreadable(record_type, item)
            raise store.UnreadableRecord("this record cannot be read; the operators have been told") from exc
        return record if self._admitted([record]) else None

    def key(self, record_type: type[T], sort_key: str) -> tuple[str, str]:
        """The item key of one of this tenant's records (for ``store.prefetch``)."""
        return self.partition(record_type), sort_key

    def require(self, record_type: type[T], sort_key: str) -> T:
        record = self.get(record_type, sort_key)
        if record is None:
            raise NotFound(f"{record_type.collection.lower().replace('_', ' ')} not found")
        return record

    def save(self, record: T) -> T:
        """Create (version 0) or replace the version read; Conflict when someone else won."""
        return store.put(self.model(), record, self.partition(type(record)))

    def save_each(self, records: Sequence[T]) -> list[T | Refusal[T]]:
        """Each record saved on its own condition (as ``save``), 25 per round trip, none atomic with another.

        Per record, in order: the record as written, or a ``Refusal`` with the record as it
        now stands when DynamoDB returned it. Sort keys must be distinct.
        """
        partition = {type(r): self.partition(type(r)) for r in records}
        answers = statements.put_each(self.model(), [(r, partition[type(r)]) for r in records])
        results: list[T | Refusal[T]] = []
        for record, answer in zip(records, answers, strict=True):
            if not isinstance(answer, statements.Refused):
                results.append(answer)
                continue
            current = list(self._readable(type(record), [answer.current])) if answer.current else []
            results.append(Refusal(current[0] if current else None))
        return results

    def delete(self, record: TenantRecord) -> None:
        store.remove(self.model(), record, self.partition(type(record)))

    def query(
        self,
        record_type: type[T],
        *,
        prefix: str = "",
        limit: int = 50,
        cursor: str | None = None,
        newest_first: bool = False,
        consistent: bool = True,
    ) -> Page[T]:
        """One page of a collection, in sort-key order; costs O(limit), never O(tenant).

        ``consistent=False`` reads at half the price what may lag the latest writes by a
        moment: only for a reader that reads each record again before acting on it.
        """
        model = self.model()
        partition = self.partition(record_type)
        binding = self._query_binding(partition, prefix, newest_first)
        results = model.query(
            partition,
            range_key_condition=model.sk.startswith(prefix) if prefix else None,
            limit=limit,
            last_evaluated_key=store.decode_cursor(cursor, partition, binding),
            scan_index_forward=not newest_first,
            consistent_read=consistent,
        )
        raw = list(results)
        items = self._admitted(list(self._readable(record_type, raw)))
        last_key = results.last_evaluated_key if len(raw) == limit else None
        return Page(items=items, cursor=store.encode_cursor(last_key, binding))

    def cursor_after(
        self, record_type: type[T], sort_key: str, *, prefix: str = "", newest_first: bool = False
    ) -> str:
        """The cursor ``query`` (with the same arguments) resumes from just after ``sort_key``."""
        partition = self.partition(record_type)
        last_key = {"pk": {"S": partition}, "sk": {"S": sort_key}}
        return cursors.mint(last_key, self._query_binding(partition, prefix, newest_first))

    def resumes_after(
        self, record_type: type[T], cursor: str, *, prefix: str = "", newest_first: bool = False
    ) -> str:
        """The sort key a ``query`` cursor (same arguments) resumes after; Invalid for another's."""
        partition = self.partition(record_type)
        key = store.decode_cursor(cursor, partition, self._query_binding(partition, prefix, newest_first))
        sort_key = key["sk"]["S"] if key else ""
        if not sort_key.startswith(prefix):
            raise cursors.not_valid()
        return str(sort_key)

    def position_cursor(self, what: str, position: int) -> str:
        """A sealed cursor for a position inside one of this tenant's items (e.g. a transcript's turn)."""
        return cursors.seal({"for": json.dumps(["position", self._tenant_id, what]), "at": position})

    def position_of(self, what: str, cursor: str) -> int:
        """The position a ``position_cursor`` for ``what`` holds; Invalid for any other cursor."""
        payload = cursors.unseal(cursor)
        position = payload.get("at")
        if payload.get("for") != json.dumps(["position", self._tenant_id, what]) or type(position) is not int:
            raise cursors.not_valid()
        return position

    def _query_binding(self, partition: str, prefix: str, newest_first: bool) -> str:
        """What a cursor of ``query`` is valid for: this tenant, this partition, this query."""
        return json.dumps(["query", self._tenant_id, partition, prefix, newest_first])

    def due(
        self,
        record_type: type[T],
        index: str,
        *,
        before: str,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[T]:
        """One page of this tenant's ``index`` partition on the time index, oldest first, below ``before``.

        Reads only items whose time key is under the bound (``records.time_bound``), so a job
        costs O(what fell due), never O(tenant). The index is eventually consistent: an item
        changed a moment ago may still be listed under its old key, and a write made with the
        version read from it then loses with a Conflict.
        """
        model = self.model()
        index_pk = f"{self._tenant_id}#{check_collection(index)}"
        binding = json.dumps(["due", self._tenant_id, index_pk, record_type.__name__])
        results = model.gsi2.query(
            index_pk,
            range_key_condition=model.gsi2sk < before,
            limit=limit,
            last_evaluated_key=store.decode_time_cursor(cursor, index_pk, binding),
        )
        raw = list(results)
        items = self._admitted(list(self._readable(record_type, raw)))
        last_key = results.last_evaluated_key if len(raw) == limit else None
        return Page(items=items, cursor=store.encode_cursor(last_key, binding))

    def newest(
        self,
        record_type: type[T],
        index: str,
        *,
        lookup: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[T]:
        """One page of this tenant's ``index`` partition, newest first: the time index (``time_key``)
        or, with ``lookup``, the lookup index (``lookup_key``). Costs O(limit), never O(tenant);
        both indexes are eventually consistent (a change of a moment ago may not show yet).
        """
        model = self.model()
        head, sep, tail = index.partition("#")
        index_pk = f"{self._tenant_id}#{check_collection(head)}{sep}{tail}"
        name = "gsi1" if lookup else "gsi2"
        binding = json.dumps(["newest", self._tenant_id, name, index_pk, record_type.__name__])
        results = (model.gsi1 if lookup else model.gsi2).query(
            index_pk,
            limit=limit,
            scan_index_forward=False,
            last_evaluated_key=store.decode_time_cursor(cursor, index_pk, binding, index=name),
        )
        raw = list(results)
        items = self._admitted(list(self._readable(record_type, raw)))
        last_key = results.last_evaluated_key if len(raw) == limit else None
        return Page(items=items, cursor=store.encode_cursor(last_key, binding))

    def tally(self, record: T, amount: int = 1) -> None:
        """Add ``amount`` to the record's count in one UpdateItem (created with its body if absent).

        Exact under any concurrency, with no read: for counters only (``records.Tally``). Each
        addition also adds one to the version, so a write made with a version read is refused
        when an addition came in between.
        """
        store.tally(self.model(), record, self.partition(type(record)), amount)

    def span(self, record_type: type[T], first: str, last: str, *, strict: bool = False) -> list[T]:
        """Every record of a collection whose sort key lies between ``first`` and ``last``, in order.

        For a contiguous run of keys (a batch of one page of the audience): one Query per
        megabyte instead of one BatchGetItem per hundred keys. Costs O(items in the run).
        ``strict``: an unreadable item raises ``UnreadableRecord`` (reported as always) instead of
        being left out, for a reader that must not act as if it were not there.
        """
        model = self.model()
        partition = self.partition(record_type)
        results = model.query(
            partition, range_key_condition=model.sk.between(first, last), consistent_read=True
        )
        return self._admitted(list(self._readable(record_type, results, strict=strict)))

    def batch_get(
        self, record_type: type[T], sort_keys: Iterable[str], *, strict: bool = False
    ) -> dict[str, T]:
        """The records of these sort keys that exist; ``strict`` as for ``span``."""
        found = self._batch_read(record_type, sort_keys, strict=strict)
        admitted = self._admitted(list(found.values()))
        return {record.sort_key(): record for record in admitted}

    def _batch_read(
        self, record_type: type[T], sort_keys: Iterable[str], *, strict: bool = False
    ) -> dict[str, T]:
        model = self.model()
        partition = self.partition(record_type)
        wanted = list(dict.fromkeys(sort_keys))
        found: dict[str, T] = {}
        for start in range(0, len(wanted), store.BATCH_GET_LIMIT):
            keys = [(partition, sk) for sk in wanted[start : start + store.BATCH_GET_LIMIT]]
            for record in self._readable(
                record_type, model.batch_get(keys, consistent_read=True), strict=strict
            ):
                found[record.sort_key()] = record
        return found

    @contextmanager
    def batch_writer(self) -> Iterator[ScopedBatch]:
        """Unconditional puts and deletes of this tenant's items, sent 25 per BatchWriteItem.

        For bulk data that is replaced wholesale (registry files), never for records that
        others edit: there is no optimistic lock, the last write wins. Every item's partition
        is still this scope's, so a batch can reach no other tenant. Pending writes are sent
        when the block ends.
        """
        model = self.model()
        with model.batch_write() as batch:
            yield ScopedBatch(self, batch)

    def batch_save(self, records: Iterable[TenantRecord]) -> int:
        """Write many records (consumed lazily, so any length in constant memory); returns how many."""
        with self.batch_writer() as batch:
            for record in records:
                batch.save(record)
            return batch.sent

    def batch_delete(self, record_type: type[T], sort_keys: Iterable[str]) -> int:
        """Delete many items of one collection by sort key; returns how many deletes were sent."""
        with self.batch_writer() as batch:
            for sort_key in sort_keys:
                batch.delete(record_type, sort_key)
            return batch.sent

    @contextmanager
    def transaction(self) -> Iterator[ScopedTransaction]:
        """All-or-nothing writes of this tenant's records (and global lookups tied to them).

        For a change that is audited, ``audit.changes.recorded`` stages the same writes and
        hands them back to ``commit`` with the audit entry and the chain head.
        """
        txn = ScopedTransaction(self)
        yield txn
        self.commit(txn)

    def commit(self, change: ScopedTransaction | None, *, puts: Sequence[ConditionalPut] = ()) -> None:
        """Write ``change`` and ``puts`` (this tenant's items of another table) in one transaction.

        The change's writes go first, then the puts in order. Raises TransactionConflict when
        one of the change's conditions refused (it wins: retrying the puts would not make it
        hold), PutsRefused when only puts did or the transaction was cancelled for another
        reason, and the TransactWriteError itself for what is not a cancellation.
        """
        if change is not None and change.tenant_id != self._tenant_id:
            raise CrossTenantAccess("a change commits through its own tenant's scope")
        for put in puts:
            if not str(getattr(put.item, "pk", "")).startswith(f"{self._tenant_id}#"):
                raise CrossTenantAccess("item outside the tenant scope")
        model = self.model()
        sent = change.sent() if change is not None else []
        if not sent and not puts:
            return  # DynamoDB refuses a TransactWriteItems with no items; nothing to commit is done
        try:
            # Reuse the model's connection: a new botocore client per transaction costs ~150 ms.
            # The tenant's connection signs the whole transaction, its global lookups included.
            with TransactWrite(connection=model._get_connection().connection) as write:
                if change is not None:
                    change.apply(write)
                for put in puts:
                    write.save(
                        put.item, condition=put.condition, return_values="ALL_OLD" if put.return_old else None
                    )
        except TransactWriteError as exc:
            refusal = _refusal(exc, sent, len(puts))
            if refusal is None:
                raise
            raise refusal from exc

    def _admitted(self, records: list[T]) -> list[T]:
        """The records this scope's person may see (all of them when the scope is unrestricted)."""
        if self._restriction is None:
            return records
        restriction = self._restriction
        return restriction.admitted(records, lambda keys: restriction.proof(self._batch_read, keys))

    def _readable(
        self, record_type: type[T], items: Iterable[store.Item], *, strict: bool = False
    ) -> Iterator[T]:
        """The records of ``items``; one that no longer reads as ``record_type`` is reported and skipped.

        A single bad item must not take a whole listing (and every job that pages through
        it) down with it; the operator mends it with ``python -m gatehouse.ops repair-records``.
        ``strict``: reported, then raised, for a reader that would act wrongly without it.
        """
        for item in items:
            try:
                yield self._record(record_type, item)
            except UNREADABLE as exc:
                _report_unreadable(record_type, item)
                if strict:
                    raise store.UnreadableRecord(
                        "a record cannot be read; the operators have been told"
                    ) from exc

    def _record(self, record_type: type[T], item: store.Item) -> T:
        if not item.pk.startswith(f"{self._tenant_id}#"):
            raise CrossTenantAccess("item outside the tenant scope")
        return store.from_item(record_type, item)


UNREADABLE = (ValidationError, TypeError)


def _report_unreadable(record_type: type[TenantRecord], item: store.Item) -> None:
    """Log the item's key (ids only, never its body) and count it, so an operator can repair it."""
    logger.error(
        "unreadable record",
        extra={"collection": record_type.collection, "sort_key": item.sk, "kind": item.kind},
    )
    metrics.add_metric(name="UnreadableRecords", unit=MetricUnit.Count, value=1)


@dataclass(frozen=True)
class Refusal(Generic[T]):
    """A write refused by its condition (``save_each``): the record as it stands, when DynamoDB said."""

    current: T | None  # None: not returned (an INSERT refused, an item gone or unreadable): read it


class TransactionConflict(Conflict):
    """A transaction was cancelled; ``failed`` holds the positions (saves first, in order) that refused.

    Empty when DynamoDB gave no reasons: then any item may have refused. ``current`` holds,
    for each refused save, the record as it now stands (None: absent), as DynamoDB returned
    it with the refusal (ALL_OLD), so the writer needs no second read.
    """

    def __init__(
        self, message: str, *, failed: frozenset[int], current: Mapping[int, Record | None] | None = None
    ) -> None:
        super().__init__(message)
        self.failed = failed
        self.current: Mapping[int, Record | None] = current or {}


def conflict(
    failed: frozenset[int], current: Mapping[int, Record | None] | None = None
) -> TransactionConflict:
    """What a caller gets when records of its transaction refused (positions as in ``ScopedTransaction``)."""
    return TransactionConflict(
        "the change conflicts with a concurrent change; retry", failed=failed, current=current
    )


@dataclass(frozen=True)
class ConditionalPut:
    """A conditional put of one of the tenant's items of another table, committed with a change.

    With ``return_old``, a refusal carries the item as it stands (``PutsRefused.reasons``).
    """

    item: Model
    condition: Any
    return_old: bool = False


class PutsRefused(Conflict):
    """The change held but the transaction was cancelled: one reason per put, in order (None: it held)."""

    def __init__(self, reasons: list[CancellationReason | None]) -> None:
        super().__init__("the transaction was cancelled; retry")
        self.reasons = reasons


def _refusal(exc: TransactWriteError, sent: list[Staged], puts: int) -> Conflict | None:
    """What a cancelled ``commit`` means to its caller; None when it is no cancellation to explain."""
    reasons = exc.cancellation_reasons
    if not puts:
        if exc.cause_response_code not in store.CONDITION_FAILED:
            return None
        failed = frozenset(
            staged.position for staged, why in zip(sent, reasons, strict=False) if why is not None
        )
        return conflict(failed, _current(sent, reasons))
    if exc.cause_response_code != "TransactionCanceledException" or len(reasons) != len(sent) + puts:
        return None
    refused = frozenset(
        staged.position for staged, why in zip(sent, reasons, strict=False) if _condition_failed(why)
    )
    if refused:
        return conflict(refused, _current(sent, reasons))
    return PutsRefused(reasons[len(sent) :])


def _condition_failed(why: CancellationReason | None) -> bool:
    return why is not None and why.code == "ConditionalCheckFailed"


def _current(sent: list[Staged], reasons: list[CancellationReason | None]) -> dict[int, Record | None]:
    """The refused saves' records as DynamoDB returned them with the refusal; unreadable ones left out."""
    current: dict[int, Record | None] = {}
    for staged, why in zip(sent, reasons, strict=False):
        if not staged.saved or why is None or not _condition_failed(why):
            continue
        if why.raw_item is None:
            current[staged.position] = None
            continue
        item = store.Item.from_raw_data(why.raw_item)
        if item.pk != staged.item.pk:
            continue  # never trust an item for another key (another tenant's, above all)
        try:
            current[staged.position] = store.from_item(type(staged.record), item)
        except UNREADABLE:
            continue
    return current


class ScopedBatch:
    """Puts and deletes for one scope's batch; a key repeated within one request starts the next one."""

    def __init__(self, scope: TenantScope, batch: BatchWrite[store.Item]) -> None:
        self._scope = scope
        self._batch = batch
        self._pending: set[tuple[str, str]] = set()
        self.sent = 0

    def save(self, record: TenantRecord) -> None:
        item = store.to_item(record, self._scope.partition(type(record)), self._batch.model)
        item.version = record.version + 1
        self._add((item.pk, item.sk), lambda: self._batch.save(item))

    def delete(self, record_type: type[TenantRecord], sort_key: str) -> None:
        item = self._batch.model(self._scope.partition(record_type), sort_key)
        self._add((item.pk, item.sk), lambda: self._batch.delete(item))

    def _add(self, key: tuple[str, str], add: Callable[[], None]) -> None:
        store.forget(*key)
        # DynamoDB refuses a BatchWriteItem that names one key twice.
        if key in self._pending:
            self._batch.commit()
        add()
        if len(self._batch.pending_operations) == 1:
            self._pending.clear()
        self._pending.add(key)
        self.sent += 1


@dataclass(frozen=True)
class Staged:
    """One write of a ``ScopedTransaction``: its position (saves first, then deletes) and what it writes."""

    position: int
    item: store.Item
    record: Record
    saved: bool


class ScopedTransaction:
    """Collects writes; the scope commits them in one transaction (an audited change, with its entry).

    Positions count saves first, then deletes, each in the order staged.
    """

    def __init__(self, scope: TenantScope) -> None:
        self._scope = scope
        self._saves: list[tuple[store.Item, Record]] = []
        self._deletes: list[tuple[store.Item, Record]] = []

    def save(self, record: T) -> T:
        self._saves.append((store.to_item(record, self._scope.partition(type(record))), record))
        return record.model_copy(update={"version": record.version + 1})

    def delete(self, record: TenantRecord) -> None:
        self._deletes.append((store.key_item(record, self._scope.partition(type(record))), record))

    def save_global(self, record: G) -> G:
        self._saves.append((store.to_item(record, store.global_partition(record)), record))
        return record.model_copy(update={"version": record.version + 1})

    def delete_global(self, record: GlobalRecord) -> None:
        self._deletes.append((store.key_item(record, store.global_partition(record)), record))

    @property
    def scope(self) -> TenantScope:
        return self._scope

    @property
    def tenant_id(self) -> str:
        return self._scope.tenant_id

    def __len__(self) -> int:
        """How many items the writes put into the transaction."""
        return len(self._saves) + len(self._deletes)

    def sent(self) -> list[Staged]:
        """The writes in the order the transaction sends them: PynamoDB puts deletes before puts."""
        saves = len(self._saves)
        deletes = [Staged(saves + n, item, record, False) for n, (item, record) in enumerate(self._deletes)]
        return [*deletes, *(Staged(n, item, record, True) for n, (item, record) in enumerate(self._saves))]

    def apply(self, write: TransactWrite) -> None:
        """Add the writes to ``write`` (any number of times: each attempt of a retried transaction)."""
        store.bind()
        for item, _ in (*self._saves, *self._deletes):
            store.forget(item.pk, item.sk)
        for item, record in self._saves:
            item.version = record.version + 1
            write.save(item, condition=store.write_condition(record), return_values="ALL_OLD")
        for item, record in self._deletes:
            write.delete(item, condition=store.Item.version == record.version)
