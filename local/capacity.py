"""DynamoDB capacity counted per partition key from each request, for benches and the scale model.

This module owns the sizing rules for read and write units and the per-key tally. It reads
the requests :class:`gatehouse.aws_calls.AwsCallCounter` shows it and never changes one.
A key is tallied under a label in which the tenant id reads ``<tenant>`` (``<tenant>#CONTACT``,
``<tenant>#LEDGER``, ``TENANT#<tenant>``), so one label is one collection; a label without
``<tenant>`` is one key that every tenant shares. Writes are also tallied on the gsi1/gsi2
partitions an item puts itself on, since an index partition has the same limits.

Sizing (DynamoDB's rules, item size from the request's or the answer's JSON, which is a
little larger than DynamoDB's own measure): a write is 1 unit per KB of the item (2 inside a
transaction), an update or delete 1; a PartiQL INSERT or UPDATE in a BatchExecuteStatement
is a single write, 1 unit per KB of the item it writes. A read is 1 unit per 4 KB of the
item when strongly consistent, half when eventually consistent; a key that finds no item
still costs one read. A Query is charged when its answer arrives (``answered``), for the
bytes of the items it returned, rounded up to 4 KB per request (halved when eventually
consistent), at least one read: DynamoDB charges a Query for the items it reads, whatever
its ``Limit``, and a projection does not make an item cheaper to read.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Final

from gatehouse.aws_calls import AwsCall

INDEX_KEYS: Final = {"gsi1": "gsi1pk", "gsi2": "gsi2pk"}
_TENANT_ID = re.compile(r"tnt_[A-Za-z0-9]+")
_OTHER_ID = re.compile(r"\b[a-z]{3}_[A-Za-z0-9]{20,}")  # a campaign's, a key's, a webhook's (gatehouse.ids)


@dataclass
class KeyTally:
    """What one partition key (table, index, key) took during a count."""

    operations: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    items_written: int = 0
    bytes_written: int = 0


@dataclass(frozen=True)
class Partition:
    table: str
    index: str  # "" for the table itself
    key: str


class PartitionCapacity:
    """An ``observe`` callback for ``AwsCallCounter``: units by partition key, and their totals."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[Partition, KeyTally] = defaultdict(KeyTally)
        self._queries: dict[int, tuple[Partition, float]] = {}  # by request context: (key, unit price)

    @property
    def reads(self) -> float:
        return sum(t.read_units for t in self.tallies().values())

    @property
    def writes(self) -> float:
        return sum(t.write_units for t in self.tallies().values())

    def tallies(self) -> dict[Partition, KeyTally]:
        with self._lock:
            return {p: KeyTally(**asdict(t)) for p, t in self._keys.items()}

    def __call__(self, call: AwsCall, request: Any) -> None:
        if call.service != "dynamodb" or request is None or not request.body:
            return
        body = json.loads(request.body)
        with self._lock:
            if call.operation == "Query":  # charged when its answer says what it read
                partition = Partition(body["TableName"], body.get("IndexName", ""), _queried_key(body))
                self._queries[id(request.context)] = (partition, _read_price(body))
                return
            for partition, reads, writes, item in _charges(call.operation, body):
                self._charge(partition, reads, writes, item)

    def answered(self, call: AwsCall, context: dict[str, Any], parsed: dict[str, Any]) -> None:
        """An ``AwsCallCounter`` answer observer: a Query is charged for the items it returned."""
        if call.service != "dynamodb" or call.operation != "Query":
            return
        with self._lock:
            pending = self._queries.pop(id(context), None)
            if pending is None:
                return
            partition, price = pending
            returned = sum(_size(item) for item in parsed.get("Items", []))
            self._charge(partition, max(1, math.ceil(returned / 4096)) * price, 0, None)

    def _charge(self, partition: Partition, reads: float, writes: float, item: dict[str, Any] | None) -> None:
        tally = self._keys[partition]
        tally.operations += 1
        tally.read_units += reads
        tally.write_units += writes
        if item is not None:
            tally.items_written += 1
            tally.bytes_written += _size(item)

    def records(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        """One JSON-ready row per key: its label, the key (tenant id masked) and its tally."""
        rows = []
        for partition, tally in sorted(self.tallies().items(), key=lambda kv: repr(kv[0])):
            rows.append(
                {"table": partition.table, "index": partition.index, "key": _masked(partition.key, tenant_id)}
                | {"label": label(partition, tenant_id)}
                | asdict(tally)
            )
        return rows


def label(partition: Partition, tenant_id: str | None = None) -> str:
    """``<tenant>#CONTACT``, ``gsi2:<tenant>#DUE``, ``audit:<tenant>#AUDIT``, ``LIMIT#<tenant>:<id>``."""
    key = _OTHER_ID.sub("<id>", _masked(partition.key, tenant_id))
    head, sep, rest = key.partition("#")
    collection = head + sep + rest.split("#", 1)[0] if head == "<tenant>" else key
    table = next((f"{name}:" for name in ("audit", "idempotency") if name in partition.table.lower()), "")
    index = f"{partition.index}:" if partition.index else ""
    return f"{table}{index}{collection}"


def slug(collection: str) -> str:
    """``<tenant>#CONTACT`` -> ``contact``, ``gsi2:<tenant>#DUE`` -> ``gsi2_due``: a figure's name."""
    named = collection.replace("<tenant>", "").replace("<id>", "id").lower()
    return re.sub(r"[^a-z0-9]+", "_", named).strip("_")


def _masked(key: str, tenant_id: str | None) -> str:
    if tenant_id:
        return key.replace(tenant_id, "<tenant>")
    return _TENANT_ID.sub("<tenant>", key)


Charge = tuple[Partition, float, float, dict[str, Any] | None]


def _charges(operation: str, body: dict[str, Any]) -> Iterator[Charge]:
    charge = _BY_OPERATION.get(operation)
    return charge(body) if charge else iter(())


def _put_item(body: dict[str, Any]) -> Iterator[Charge]:
    yield from _put(body["TableName"], body["Item"], _kb(body["Item"]))


def _update_or_delete(body: dict[str, Any]) -> Iterator[Charge]:
    yield Partition(body["TableName"], "", _pk(body["Key"])), 0, 1, None


def _batch_write(body: dict[str, Any]) -> Iterator[Charge]:
    for table, writes in body["RequestItems"].items():
        for write in writes:
            if "PutRequest" in write:
                item = write["PutRequest"]["Item"]
                yield from _put(table, item, _kb(item))
            else:
                yield Partition(table, "", _pk(write["DeleteRequest"]["Key"])), 0, 1, None


def _transact_write(body: dict[str, Any]) -> Iterator[Charge]:
    for entry in body["TransactItems"]:
        ((_kind, part),) = entry.items()
        if "Item" in part:
            yield from _put(part["TableName"], part["Item"], 2 * _kb(part["Item"]))
        else:  # an update, delete or condition check: 2 units, like a small put
            yield Partition(part["TableName"], "", _pk(part["Key"])), 0, 2, None


def _get_item(body: dict[str, Any]) -> Iterator[Charge]:
    yield Partition(body["TableName"], "", _pk(body["Key"])), _read_price(body), 0, None


def _batch_get(body: dict[str, Any]) -> Iterator[Charge]:
    for table, wanted in body["RequestItems"].items():
        for key in wanted["Keys"]:
            yield Partition(table, "", _pk(key)), _read_price(wanted), 0, None


def _batch_statements(body: dict[str, Any]) -> Iterator[Charge]:
    """PartiQL INSERT and UPDATE statements, each a single write of the item its parameters make."""
    for statement in body["Statements"]:
        text = statement["Statement"]
        table = re.search(r'(?:INTO|UPDATE)\s+"([^"]+)"', text)
        params = statement.get("Parameters", [])
        keys = _statement_key(text, params)
        if table is None or keys is None:
            continue
        written = {f"p{n}": value for n, value in enumerate(params)}
        yield Partition(table.group(1), "", keys), 0, _kb(written), written


def _statement_key(text: str, params: list[dict[str, Any]]) -> str | None:
    """The partition key value a statement names: its ``'pk'`` (INSERT) or ``"pk"=?`` (UPDATE) parameter."""
    markers = [m.start() for m in re.finditer(r"\?", text)]
    found = re.search(r"""['"]pk['"]\s*[:=]\s*\?""", text)
    if found is None:
        return None
    position = sum(1 for m in markers if m < found.end() - 1)
    return str(next(iter(params[position].values())))


_BY_OPERATION: Final[dict[str, Callable[[dict[str, Any]], Iterator[Charge]]]] = {
    "PutItem": _put_item,
    "UpdateItem": _update_or_delete,
    "DeleteItem": _update_or_delete,
    "BatchWriteItem": _batch_write,
    "TransactWriteItems": _transact_write,
    "GetItem": _get_item,
    "BatchGetItem": _batch_get,
    "BatchExecuteStatement": _batch_statements,
}


def _put(table: str, item: dict[str, Any], units: int) -> Iterator[Charge]:
    yield Partition(table, "", _pk(item)), 0, units, item
    for index, attribute in INDEX_KEYS.items():
        if attribute in item:  # the index holds a copy of the item (all attributes projected)
            yield Partition(table, index, item[attribute]["S"]), 0, units, None


def _read_price(body: dict[str, Any]) -> float:
    """Units per 4 KB read: 1 strongly consistent, 0.5 eventually consistent (DynamoDB's default)."""
    return 1.0 if body.get("ConsistentRead") else 0.5


def _pk(key: dict[str, Any]) -> str:
    value = key.get("pk") or key.get("id") or next(iter(key.values()))
    return str(next(iter(value.values())))


def _queried_key(body: dict[str, Any]) -> str:
    """The partition key value of a Query's key condition (``#n = :v``, as PynamoDB writes it)."""
    names = {v: k for k, v in body.get("ExpressionAttributeNames", {}).items()}
    hash_attribute = INDEX_KEYS.get(body.get("IndexName", ""), "pk")
    placeholder = names.get(hash_attribute, hash_attribute)
    found = re.search(rf"{re.escape(placeholder)}\s*=\s*(:\w+)", body["KeyConditionExpression"])
    if found is None:
        return "?"
    return str(next(iter(body["ExpressionAttributeValues"][found.group(1)].values())))


def _size(item: dict[str, Any]) -> int:
    return len(json.dumps(item))


def _kb(item: dict[str, Any]) -> int:
    return max(1, math.ceil(_size(item) / 1024))
