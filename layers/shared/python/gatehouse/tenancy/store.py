"""The one PynamoDB model behind the data door, and the record <-> item mapping.

Single-table layout: ``pk``/``sk`` keys, ``gsi1pk``/``gsi1sk`` for the overloaded lookup
index, ``gsi2pk``/``gsi2sk`` for the sparse time index (``<tenant_id>#<name>`` / instant,
tenant records only: what falls due when), ``expires_at`` for TTL, ``version`` for
optimistic locking, ``kind`` naming the record type and ``body`` holding the record's
fields; ``hits`` is the one attribute updated in place, by the rate limiter's per-window
counters. Only ``tenancy`` imports this module; it never scans.

Every call names the model it goes through, and so the credentials that sign it: ``bind()``
is the function's own (global items only), ``for_tenant(tenant_id)`` a copy of the model
signed with that tenant's ``TenantAccessRole`` session, one class and one connection per
tenant and credential lifetime.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final, TypeVar, cast

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError
from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, Index
from pynamodb.models import Model

from gatehouse.config import Settings, get_settings
from gatehouse.errors import Conflict, GatehouseError, Invalid
from gatehouse.freshness import forgotten_on_restore
from gatehouse.tenancy import credentials, cursors
from gatehouse.tenancy.records import GlobalRecord, Record, Tally, TenantRecord, check_collection

R = TypeVar("R", bound=Record)
M = TypeVar("M", bound=Model)
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
    """The model on the configured table, signed with the function's own credentials (global items only)."""
    global _bound  # noqa: PLW0603 - the binding is process-wide by design, like the table it names
    settings = settings or get_settings()
    target = (settings.main_table, settings.region, settings.endpoint_url)
    if _bound != target:
        Item.Meta.table_name = settings.main_table
        Item.Meta.region = settings.region
        Item._connection = None
        if _bound is not None:
            # Another table or endpoint: copies signed for the old one, and their credentials, are stale.
            with _signed_guard:
                _signed.clear()
            credentials.forget_all()
        _bound = target
    return Item


def for_tenant(tenant_id: str, model: type[M] = Item) -> type[M]:  # type: ignore[assignment]
    """``model`` (the main table's by default) signed with ``tenant_id``'s scoped credentials."""
    bind()  # first: a new table or endpoint forgets the credentials of the old one
    return signed_as(model, credentials.for_tenant(tenant_id))


_signed: dict[tuple[type[Model], str], tuple[tuple[str, ...], type[Model]]] = {}
_signed_guard = threading.Lock()
# Each tenant's classes hold botocore clients (megabytes each): a container that has served many
# tenants keeps only the most recently built ones; an evicted tenant builds its clients again.
SIGNED_TENANTS_HELD: Final = 32


def signed_as(model: type[M], scoped: credentials.TenantCredentials) -> type[M]:
    """A subclass of ``model`` on the same table whose connection signs with ``scoped``.

    PynamoDB keeps one connection per model class, so a tenant's class is its connection:
    built once per tenant and credential lifetime (a botocore client costs ~150 ms), and
    shared by the container's threads. Indexes are bound anew, or a query on the copy's
    index would go out through the original's connection.
    """
    target = (scoped.access_key_id, str(model.Meta.table_name), str(model.Meta.region))
    held = _signed.get((model, scoped.tenant_id))  # every access asks: no lock when it is there
    if held is not None and held[0] == target:
        return held[1]  # type: ignore[return-value]
    with _signed_guard:
        held = _signed.get((model, scoped.tenant_id))
        if held is not None and held[0] == target:
            return held[1]  # type: ignore[return-value]
        meta = type(
            "Meta",
            (cast(type, model.Meta),),
            {
                "aws_access_key_id": scoped.access_key_id,
                "aws_secret_access_key": scoped.secret_access_key,
                "aws_session_token": scoped.session_token,
            },
        )
        namespace: dict[str, Any] = {"Meta": meta, "__module__": model.__module__, "_connection": None}
        for owner in reversed(model.__mro__):
            namespace.update(
                {name: type(value)() for name, value in vars(owner).items() if isinstance(value, Index)}
            )
        signed = type(f"{model.__name__}For{scoped.tenant_id}", (model,), namespace)
        _signed.pop((model, scoped.tenant_id), None)  # re-inserted: the newest, evicted last
        _signed[(model, scoped.tenant_id)] = (target, signed)
        _evict_oldest_tenants()
        return signed


def _evict_oldest_tenants() -> None:
    """Forget the classes of the tenants built longest ago, past ``SIGNED_TENANTS_HELD`` (guard held)."""
    tenants = list(dict.fromkeys(tenant for _, tenant in _signed))
    for tenant in tenants[: max(0, len(tenants) - SIGNED_TENANTS_HELD)]:
        for key in [k for k in _signed if k[1] == tenant]:
            del _signed[key]


@forgotten_on_restore
def unbind() -> None:
    """Drop the model's connection (its client, credentials and sockets); the next use binds again."""
    global _bound  # noqa: PLW0603 - see bind
    Item._connection = None
    _bound = None
    with _signed_guard:
        _signed.clear()  # every tenant's class holds a client signed before the snapshot
    credentials.forget_all()


class UnreadableRecord(GatehouseError):
    """A stored item no longer reads as its record type (``gatehouse.ops repair-records`` mends it)."""

    code = "record_unreadable"


def checked_body(record: Record) -> dict[str, Any]:
    """The item body of ``record``, refused when it would not read back as the same record type.

    A record changed with ``model_copy(update=...)`` skips validation; every write passes
    here first, so nothing unreadable ever reaches the table. Fields at their defaults are
    left out when the record reads back the same without them (a default that picks a
    union's member, say, is kept): an item's size is what every read and write of it costs.
    """
    try:
        body = record.model_dump(mode="json", exclude={"version"}, warnings=False)
        full = type(record).model_validate({**body, "version": record.version})
    except ValidationError as exc:
        fields = sorted({".".join(str(part) for part in error["loc"]) or "record" for error in exc.errors()})
        details = [{"field": field, "reason": "not a valid value"} for field in fields]
        raise Invalid(f"the {record.collection.lower()} would not be valid", details=details) from None
    except PydanticSerializationError:
        raise Invalid(f"the {record.collection.lower()} would not be valid") from None
    compact = record.model_dump(mode="json", exclude={"version"}, exclude_defaults=True, warnings=False)
    if compact != body:
        try:
            if type(record).model_validate({**compact, "version": record.version}) == full:
                return compact
        except ValidationError:
            pass  # a default the record needs spelled out: the whole body
    return body


def key_item(record: Record, pk: str, model: type[Item] = Item) -> Item:
    """Only the key of ``record``'s item (for deletes, which must work on any stored item)."""
    return model(pk, record.sort_key())


def to_item(record: Record, pk: str, model: type[Item] = Item) -> Item:
    body = checked_body(record)
    expires = record.expires()
    index = record.index_key() or lookup_index(record, pk)
    timed = time_index(record, pk)
    return model(
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


def lookup_index(record: Record, pk: str) -> tuple[str, str] | None:
    """The record's gsi1 keys from its ``lookup_key``, named under the tenant of its own partition."""
    looked = record.lookup_key() if isinstance(record, TenantRecord) else None
    if looked is None:
        return None
    name, sort_key = looked
    head, sep, tail = name.partition("#")  # e.g. ``CONVERSATION_ASSIGNEE#usr_...``
    return f"{pk.partition('#')[0]}#{check_collection(head)}{sep}{tail}", sort_key


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
    counted = {"count": int(item.hits or 0)} if issubclass(record_type, Tally) else {}
    return record_type.model_validate({**item.body, **counted, "version": item.version})


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


def decode_time_cursor(
    cursor: str | None, index_pk: str, binding: str, *, index: str = "gsi2"
) -> dict[str, Any] | None:
    """An index (gsi2 by default) start key back from its cursor; refuse one minted for another tenant's."""
    if not cursor:
        return None
    key = cursors.start_key(cursor, binding)
    if set(key) != {"pk", "sk", f"{index}pk", f"{index}sk"} or _string(key, "sk") is None:
        raise cursors.not_valid()
    tenant_prefix = f"{index_pk.partition('#')[0]}#"
    pk = _string(key, "pk")
    if _string(key, f"{index}pk") != index_pk or pk is None or not pk.startswith(tenant_prefix):
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
def prefetch(model: type[Item], keys: Iterable[tuple[str, str]]) -> Iterator[None]:
    """Read these items, of any partitions, in one BatchGetItem per 100 for the block that follows.

    Inside the block the first ``get_item`` of each key is answered from what was read
    (absent included) and later ones read again, so a record read twice is never older the
    second time; a write through this module forgets the key first. A task that needs
    several single items (its campaign, its tenant, its credentials...) pays one round trip.
    """
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


def get_item(model: type[Item], pk: str, sk: str) -> Item | None:
    """One item by key (strongly consistent), or None; from ``prefetch`` the first time if it read it."""
    held = _prefetched.get()
    if held is not None and (pk, sk) in held:
        return held.pop((pk, sk))
    try:
        return model.get(pk, sk, consistent_read=True)
    except model.DoesNotExist:
        return None


def forget(pk: str, sk: str) -> None:
    """A write is coming: a prefetched copy of the item must not answer a later get."""
    held = _prefetched.get()
    if held is not None:
        held.pop((pk, sk), None)


def put(model: type[Item], record: R, pk: str) -> R:
    forget(pk, record.sort_key())
    item = to_item(record, pk, model)
    item.version = record.version + 1
    try:
        item.save(condition=write_condition(record))
    except PutError as exc:
        if exc.cause_response_code in CONDITION_FAILED:
            raise Conflict(f"{record.collection.lower()} changed or already exists") from exc
        raise
    return record.model_copy(update={"version": record.version + 1})


def count_hit(model: type[Item], pk: str, sk: str, *, limit: int, expires_at: int) -> bool:
    """Add one hit to the counter item (created if absent) unless it already holds ``limit``.

    One conditional UpdateItem: concurrent requests can never both take the last hit.
    """
    item = model(pk, sk)
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


def take(model: type[Item], pk: str, sk: str, *, wanted: int, limit: int, expires_at: int) -> range:
    """Reserve up to ``wanted`` of the ``limit`` a fixed-window counter allows: the positions granted.

    One conditional UpdateItem when all fit; otherwise the count is read and the rest
    reserved with a write conditional on that count, so concurrent takers never
    together exceed the limit. The positions (0 to ``limit`` - 1 in the window, ``len`` of
    them granted) are this taker's alone, so what it spreads by position (senders in turn)
    shares the window evenly with every other taker.
    """
    if wanted <= 0:
        return range(0)
    if wanted <= limit:
        after = _add_if(
            model,
            pk,
            sk,
            wanted,
            Item.hits.does_not_exist() | (Item.hits <= limit - wanted),
            expires_at=expires_at,
        )
        if after is not None:
            return range(after - wanted, after)
    for _ in range(5):
        try:
            used = int(model.get(pk, sk, consistent_read=True).hits or 0)
        except model.DoesNotExist:
            used = 0
        grant = min(wanted, limit - used)
        if grant <= 0:
            return range(0)
        unchanged = (Item.hits == used) if used else Item.hits.does_not_exist()
        if _add_if(model, pk, sk, grant, unchanged, expires_at=expires_at) is not None:
            return range(used, used + grant)
    return range(0)


def _add_if(
    model: type[Item], pk: str, sk: str, count: int, condition: Any, *, expires_at: int
) -> int | None:
    """Add ``count`` when ``condition`` holds: the counter after it (None: the condition failed)."""
    item = model(pk, sk)
    try:
        item.update(
            actions=[Item.hits.add(count), Item.kind.set("Counter"), Item.expires_at.set(expires_at)],
            condition=condition,
        )
    except UpdateError as exc:
        if exc.cause_response_code in CONDITION_FAILED:
            return None
        raise
    return int(item.hits or 0)  # the item as the update left it (UpdateItem answers ALL_NEW)


def tally(model: type[Item], record: Record, pk: str, amount: int) -> None:
    """ADD ``amount`` to the item's ``hits`` and 1 to its version; set its kind, body and index keys."""
    forget(pk, record.sort_key())
    shape = to_item(record, pk, model)
    actions: list[Action] = [
        Item.hits.add(amount),
        Item.version.add(1),
        Item.kind.set(shape.kind),
        Item.body.set({k: v for k, v in shape.body.items() if k != "count"}),
    ]
    if shape.gsi2pk is not None and shape.gsi2sk is not None:
        actions += [Item.gsi2pk.set(shape.gsi2pk), Item.gsi2sk.set(shape.gsi2sk)]
    if shape.expires_at is not None:
        actions.append(Item.expires_at.set(shape.expires_at))
    model(pk, record.sort_key()).update(actions=actions)


def remove(model: type[Item], record: Record, pk: str) -> None:
    forget(pk, record.sort_key())
    try:
        key_item(record, pk, model).delete(condition=Item.version == record.version)
    except DeleteError as exc:
        if exc.cause_response_code in CONDITION_FAILED:
            raise Conflict(f"{record.collection.lower()} changed") from exc
        raise
