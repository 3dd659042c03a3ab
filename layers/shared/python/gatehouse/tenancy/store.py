"""The one PynamoDB model behind the data door, and the record <-> item mapping.

Single-table layout: ``pk``/``sk`` keys, ``gsi1pk``/``gsi1sk`` for the overloaded lookup
index, ``gsi2pk``/``gsi2sk`` for the sparse time index (``<tenant_id>#<name>`` / instant,
tenant records only: what falls due when), ``expires_at`` for TTL, ``version`` for
optimistic locking, ``kind`` naming the record type and ``body`` holding the record's
fields; ``hits`` is the one attribute updated in place, by the rate limiter's per-window
counters. Only ``tenancy`` imports this module; it never scans.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final, TypeVar

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError
from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from gatehouse.config import Settings, get_settings
from gatehouse.errors import Conflict, GatehouseError, Invalid
from gatehouse.freshness import forgotten_on_restore
from gatehouse.tenancy import cursors
from gatehouse.tenancy.records import GlobalRecord, Record, TenantRecord, check_collection

R = TypeVar("R", bound=Record)
CONDITION_FAILED = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException"})
BATCH_GET_LIMIT: Final = 100


class Gsi1(GlobalSecondaryIndex["Item"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["Item"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Item(Model):
    class Meta:
        table_name = "gatehouse-main"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    version = NumberAttribute(default=0)
    body = JSONAttribute(default=dict)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    hits = NumberAttribute(null=True)
    gsi1 = Gsi1()
    gsi2 = Gsi2()


_bound: tuple[str, str, str | None] | None = None


def bind(settings: Settings | None = None) -> type[Item]:
    """Point the model at the configured table (once per table name and region)."""
    global _bound  # noqa: PLW0603 - the binding is process-wide by design, like the table it names
    settings = settings or get_settings()
    target = (settings.main_table, settings.region, settings.endpoint_url)
    if _bound != target:
        Item.Meta.table_name = settings.main_table
        Item.Meta.region = settings.region
        Item._connection = None
        _bound = target
    return Item


@forgotten_on_restore
def unbind() -> None:
    """Drop the model's connection (its client, credentials and sockets); the next use binds again."""
    global _bound  # noqa: PLW0603 - see bind
    Item._connection = None
    _bound = None


class UnreadableRecord(GatehouseError):
    """A stored item no longer reads as its record type (``gatehouse.ops repair-records`` mends it)."""

    code = "record_unreadable"


def checked_body(record: Record) -> dict[str, Any]:
    """The item body of ``record``, refused when it would not read back as the same record type.

    A record changed with ``model_copy(update=...)`` skips validation; every write passes
    here first, so nothing unreadable ever reaches the table.
    """
    try:
        body = record.model_dump(mode="json", exclude={"version"}, warnings=False)
        type(record).model_validate({**body, "version": record.version})
    except ValidationError as exc:
        fields = sorted({".".join(str(part) for part in error["loc"]) or "record" for error in exc.errors()})
        details = [{"field": field, "reason": "not a valid value"} for field in fields]
        raise Invalid(f"the {record.collection.lower()} would not be valid", details=details) from None
    except PydanticSerializationError:
        raise Invalid(f"the {record.collection.lower()} would not be valid") from None
    return body


def key_item(record: Record, pk: str) -> Item:
    """Only the key of ``record``'s item (for deletes, which must work on any stored item)."""
    return Item(pk, record.sort_key())


def to_item(record: Record, pk: str) -> Item:
    body = checked_body(record)
    expires = record.expires()
    index = record.index_key()
    timed = time_index(record, pk)
    return Item(
        pk,
        record.sort_key(),
        kind=type(record).__name__,
        version=record.version,
        body=body,
        gsi1pk=index[0] if index else None,
        gsi1sk=index[1] if index else None,
        gsi2pk=timed[0] if timed else None,
        gsi2sk=timed[1] if timed else None,
        expires_at=int(expires.timestamp()) if expires else None,
    )


def time_index(record: Record, pk: str) -> tuple[str, str] | None:
    """The record's gsi2 keys, its name under the tenant of its own partition (tenant records only)."""
    timed = record.time_key() if isinstance(record, TenantRecord) else None
    if timed is None:
        return None
    name, sort_key = timed
    return f"{pk.partition('#')[0]}#{check_collection(name)}", sort_key


def from_item(record_type: type[R], item: Item) -> R:
    if item.kind != record_type.__name__:
        raise TypeError(f"item {item.sk!r} is a {item.kind}, not a {record_type.__name__}")
    return record_type.model_validate({**item.body, "version": item.version})


def encode_cursor(last_key: dict[str, Any] | None, binding: str) -> str | None:
    """An opaque, authenticated cursor for ``last_key``, valid only for what ``binding`` names."""
    if not last_key:
        return None
    return cursors.mint(last_key, binding)


def _string(key: dict[str, Any], name: str) -> str | None:
    part = key.get(name)
    value = part.get("S") if isinstance(part, dict) else None
    return value if isinstance(value, str) else None


def decode_cursor(cursor: str | None, expected_pk: str, binding: str) -> dict[str, Any] | None:
    """The start key of a cursor minted for ``binding``; refuse one minted for another partition."""
    if not cursor:
        return None
    key = cursors.start_key(cursor, binding)
    if set(key) != {"pk", "sk"} or _string(key, "pk") != expected_pk or _string(key, "sk") is None:
        raise cursors.not_valid()
    return key


def decode_time_cursor(cursor: str | None, index_pk: str, binding: str) -> dict[str, Any] | None:
    """A gsi2 start key back from its cursor; refuse one minted for another tenant's partition."""
    if not cursor:
        return None
    key = cursors.start_key(cursor, binding)
    if set(key) != {"pk", "sk", "gsi2pk", "gsi2sk"} or _string(key, "sk") is None:
        raise cursors.not_valid()
    tenant_prefix = f"{index_pk.partition('#')[0]}#"
    pk = _string(key, "pk")
    if _string(key, "gsi2pk") != index_pk or pk is None or not pk.startswith(tenant_prefix):
        raise cursors.not_valid()
    return key


def global_partition(record: GlobalRecord) -> str:
    return f"{check_collection(record.collection)}#{record.partition_id()}"


def write_condition(record: Record) -> Any:
    """Optimistic lock: version 0 creates only if absent, version n replaces only n."""
    return Item.pk.does_not_exist() if record.version == 0 else Item.version == record.version


# Items read ahead by ``prefetch`` in this context (a task's thread), each served to one get.
_prefetched: ContextVar[dict[tuple[str, str], Item | None] | None] = ContextVar("prefetched", default=None)


@contextmanager
def prefetch(keys: Iterable[tuple[str, str]]) -> Iterator[None]:
    """Read these items, of any partitions, in one BatchGetItem per 100 for the block that follows.

    Inside the block the first ``get_item`` of each key is answered from what was read
    (absent included) and later ones read again, so a record read twice is never older the
    second time; a write through this module forgets the key first. A task that needs
    several single items (its campaign, its tenant, its credentials...) pays one round trip.
    """
    model = bind()
    wanted = list(dict.fromkeys(keys))
    held: dict[tuple[str, str], Item | None] = dict.fromkeys(wanted)
    for start in range(0, len(wanted), BATCH_GET_LIMIT):
        for item in model.batch_get(wanted[start : start + BATCH_GET_LIMIT], consistent_read=True):
            held[(item.pk, item.sk)] = item
    token = _prefetched.set(held)
    try:
        yield
    finally:
        _prefetched.reset(token)


def get_item(pk: str, sk: str) -> Item | None:
    """One item by key (strongly consistent), or None; from ``prefetch`` the first time if it read it."""
    held = _prefetched.get()
    if held is not None and (pk, sk) in held:
        return held.pop((pk, sk))
    model = bind()
    try:
        return model.get(pk, sk, consistent_read=True)
    except model.DoesNotExist:
        return None


def forget(pk: str, sk: str) -> None:
    """A write is coming: a prefetched copy of the item must not answer a later get."""
    held = _prefetched.get()
    if held is not None:
        held.pop((pk, sk), None)


def put(record: R, pk: str) -> R:
    forget(pk, record.sort_key())
    item = to_item(record, pk)
    item.version = record.version + 1
    try:
        item.save(condition=write_condition(record))
    except PutError as exc:
        if exc.cause_response_code in CONDITION_FAILED:
            raise Conflict(f"{record.collection.lower()} changed or already exists") from exc
        raise
    return record.model_copy(update={"version": record.version + 1})


def count_hit(pk: str, sk: str, *, limit: int, expires_at: int) -> bool:
    """Add one hit to the counter item (created if absent) unless it already holds ``limit``.

    One conditional UpdateItem: concurrent requests can never both take the last hit.
    """
    item = Item(pk, sk)
    try:
        item.update(
            actions=[Item.hits.add(1), Item.kind.set("Counter"), Item.expires_at.set(expires_at)],
            condition=Item.hits.does_not_exist() | (Item.hits < limit),
        )
    except UpdateError as exc:
        if exc.cause_response_code in CONDITION_FAILED:
            return False
        raise
    return True


def take(pk: str, sk: str, *, wanted: int, limit: int, expires_at: int) -> int:
    """Reserve up to ``wanted`` of the ``limit`` a fixed-window counter allows; how many were granted.

    One conditional UpdateItem when all fit; otherwise the count is read and the rest
    reserved with a write conditional on that count, so concurrent takers never
    together exceed the limit.
    """
    if wanted <= 0:
        return 0
    if wanted <= limit and _add_if(
        pk, sk, wanted, Item.hits.does_not_exist() | (Item.hits <= limit - wanted), expires_at
    ):
        return wanted
    for _ in range(5):
        try:
            used = int(Item.get(pk, sk, consistent_read=True).hits or 0)
        except Item.DoesNotExist:
            used = 0
        grant = min(wanted, limit - used)
        if grant <= 0:
            return 0
        unchanged = (Item.hits == used) if used else Item.hits.does_not_exist()
        if _add_if(pk, sk, grant, unchanged, expires_at):
            return grant
    return 0


def _add_if(pk: str, sk: str, count: int, condition: Any, expires_at: int) -> bool:
    try:
        Item(pk, sk).update(
            actions=[Item.hits.add(count), Item.kind.set("Counter"), Item.expires_at.set(expires_at)],
            condition=condition,
        )
    except UpdateError as exc:
        if exc.cause_response_code in CONDITION_FAILED:
            return False
        raise
    return True


def remove(record: Record, pk: str) -> None:
    forget(pk, record.sort_key())
    try:
        key_item(record, pk).delete(condition=Item.version == record.version)
    except DeleteError as exc:
        if exc.cause_response_code in CONDITION_FAILED:
            raise Conflict(f"{record.collection.lower()} changed") from exc
        raise
