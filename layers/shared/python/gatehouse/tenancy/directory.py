"""Directory: the small repository of global (non-tenant) items.

Tenant directory entries, user identities, e-mail lookups and API-key credentials
live under their own uppercase prefixes (``TENANT#``, ``USER#``, ``EMAIL#``,
``APIKEY#``, ``SYSTEM#``). They hold no tenant data, only what is needed to find
a tenant or authenticate a caller. It never scans.
"""

from __future__ import annotations

from typing import TypeVar

from gatehouse.tenancy import store
from gatehouse.tenancy.records import GLOBAL_PREFIXES, GlobalRecord

G = TypeVar("G", bound=GlobalRecord)


def _partition(record_type: type[GlobalRecord], partition_id: str) -> str:
    if record_type.collection not in GLOBAL_PREFIXES:
        raise ValueError(f"{record_type.__name__} has no global prefix")
    return f"{record_type.collection}#{partition_id}"


class Directory:
    def get(self, record_type: type[G], partition_id: str, sort_key: str) -> G | None:
        model = store.bind()
        try:
            item = model.get(_partition(record_type, partition_id), sort_key, consistent_read=True)
        except model.DoesNotExist:
            return None
        return store.from_item(record_type, item)

    def save(self, record: G) -> G:
        store.bind()
        return store.put(record, _partition(type(record), record.partition_id()))

    def delete(self, record: GlobalRecord) -> None:
        store.bind()
        store.remove(record, _partition(type(record), record.partition_id()))


def get_directory() -> Directory:
    return Directory()
