"""Directory: the small repository of global (non-tenant) items.

Tenant directory entries, user identities, e-mail lookups, API-key credentials,
one-time token hashes, session hashes, rate-limit counters, webhook refs and Stripe
customers live under their own uppercase prefixes (``TENANT#``, ``USER#``, ``EMAIL#``,
``APIKEY#``, ``SYSTEM#``, ``TOKEN#``, ``SESSION#``, ``LIMIT#``, ``WEBHOOK#``, ``STRIPE#``).
They hold no tenant data, only what is needed to find a tenant or authenticate a caller.
Lists that cross partitions (every tenant, for jobs) read the gsi1 index one page at a
time and return only global items of the asked type. It never scans. Its requests are
signed with the function's own credentials, which reach only these prefixes: a tenant
record it hands out (a person's memberships) is read through that tenant's scope.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from gatehouse.errors import CrossTenantAccess, Invalid
from gatehouse.ids import is_tenant_id
from gatehouse.tenancy import cursors, store
from gatehouse.tenancy.records import GLOBAL_PREFIXES, GlobalRecord, Page, TenantRecord, check_collection
from gatehouse.tenancy.scope import TenantScope

G = TypeVar("G", bound=GlobalRecord)
T = TypeVar("T", bound=TenantRecord)
MAX_PAGE = 1000


def _partition(record_type: type[GlobalRecord], partition_id: str) -> str:
    return f"{_prefix(record_type)}#{partition_id}"


def _prefix(record_type: type[GlobalRecord]) -> str:
    if record_type.collection not in GLOBAL_PREFIXES:
        raise ValueError(f"{record_type.__name__} has no global prefix")
    return record_type.collection


class Directory:
    def key(self, record_type: type[G], partition_id: str, sort_key: str) -> tuple[str, str]:
        """The item key of a global record (for ``store.prefetch``)."""
        return _partition(record_type, partition_id), sort_key

    def get(self, record_type: type[G], partition_id: str, sort_key: str) -> G | None:
        item = store.get_item(store.bind(), _partition(record_type, partition_id), sort_key)
        return None if item is None else store.from_item(record_type, item)

    def save(self, record: G) -> G:
        return store.put(store.bind(), record, _partition(type(record), record.partition_id()))

    def delete(self, record: GlobalRecord) -> None:
        store.remove(store.bind(), record, _partition(type(record), record.partition_id()))

    def query_partition(self, record_type: type[G], partition_id: str, *, limit: int = MAX_PAGE) -> list[G]:
        """Every item of one small global partition (a fixed list such as the declared dates).

        One Query, strongly consistent; a partition with more than ``limit`` items is refused
        rather than cut short, so a caller never acts on half a list.
        """
        model = store.bind()
        partition = _partition(record_type, partition_id)
        results = model.query(partition, limit=limit + 1, consistent_read=True)
        items = [store.from_item(record_type, item) for item in results]
        if len(items) > limit:
            raise Invalid(f"{partition} holds more than {limit} items")
        return items

    def query_index(
        self, record_type: type[G], index_pk: str, *, limit: int = 100, cursor: str | None = None
    ) -> Page[G]:
        """One page of the gsi1 partition ``index_pk``, in index sort-key order; costs O(limit).

        The index is eventually consistent: an item saved a moment ago may not be listed yet.
        """
        if not 1 <= limit <= MAX_PAGE:
            raise Invalid(f"limit must be between 1 and {MAX_PAGE}")
        prefix = f"{_prefix(record_type)}#"
        model = store.bind()
        binding = json.dumps(["index", index_pk, prefix])
        results = model.gsi1.query(
            index_pk, limit=limit, last_evaluated_key=decode_index_cursor(cursor, index_pk, prefix, binding)
        )
        items = []
        for item in results:
            # The index is shared with tenant records; the directory hands out global items only.
            if not item.pk.startswith(prefix):
                raise CrossTenantAccess("index item outside the directory")
            items.append(store.from_item(record_type, item))
        last_key = results.last_evaluated_key if len(items) == limit else None
        return Page(items=items, cursor=store.encode_cursor(last_key, binding))

    def count_hit(self, partition_id: str, window: str, *, limit: int, expires_at: int) -> bool:
        """One hit on the per-window counter ``LIMIT#<partition_id>`` / ``window``; False when full."""
        return store.count_hit(
            store.bind(), f"LIMIT#{partition_id}", window, limit=limit, expires_at=expires_at
        )

    def hits(self, partition_id: str, window: str) -> int:
        """What the counter ``LIMIT#<partition_id>`` / ``window`` holds (0 when it has none)."""
        item = store.get_item(store.bind(), f"LIMIT#{partition_id}", window)
        return int(item.hits or 0) if item is not None else 0

    def take(self, partition_id: str, window: str, *, wanted: int, limit: int, expires_at: int) -> range:
        """Up to ``wanted`` of what the fixed-window counter ``LIMIT#<partition_id>``/``window`` has left:
        the positions in the window granted (``len``: how many)."""
        return store.take(
            store.bind(), f"LIMIT#{partition_id}", window, wanted=wanted, limit=limit, expires_at=expires_at
        )

    def find_in_tenants(
        self, record_type: type[T], index_pk: str, *, limit: int = 100
    ) -> list[tuple[str, T]]:
        """Tenant records listed on gsi1 under a person's key, with the tenant each lives in.

        The one read that crosses tenants, and only by design: at sign-in a person's own
        memberships are found by their user id. The index is read for keys only (the
        function's credentials may see no tenant item's body); each item's tenant comes from
        its own key (checked to be ``<tenant_id>#<collection>``), and the record itself is
        read through that tenant's scope. Items of any other type are skipped.
        """
        if not 1 <= limit <= MAX_PAGE:
            raise Invalid(f"limit must be between 1 and {MAX_PAGE}")
        model = store.bind()
        collection = check_collection(record_type.collection)
        found: list[tuple[str, T]] = []
        keys_only = ["pk", "sk", "kind"]
        for item in model.gsi1.query(index_pk, limit=limit, attributes_to_get=keys_only):
            tenant_id, _, rest = item.pk.partition("#")
            if item.kind != record_type.__name__:
                continue
            if not is_tenant_id(tenant_id) or rest != collection:
                raise CrossTenantAccess("index item is not a tenant record")
            record = TenantScope(tenant_id).get(record_type, item.sk)
            if record is not None:
                found.append((tenant_id, record))
        return found


def decode_index_cursor(
    cursor: str | None, index_pk: str, table_prefix: str, binding: str
) -> dict[str, Any] | None:
    """A gsi1 start key back from its cursor; refuse one minted for another index partition or
    pointing at an item outside the directory collection being listed."""
    if not cursor:
        return None
    key = cursors.start_key(cursor, binding)
    if set(key) != {"pk", "sk", "gsi1pk", "gsi1sk"}:
        raise cursors.not_valid()
    values = {name: part.get("S") if isinstance(part, dict) else None for name, part in key.items()}
    if not all(isinstance(value, str) for value in values.values()):
        raise cursors.not_valid()
    if values["gsi1pk"] != index_pk or not str(values["pk"]).startswith(table_prefix):
        raise cursors.not_valid()
    return key


def get_directory() -> Directory:
    return Directory()
