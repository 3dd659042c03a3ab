"""The tenant data door.

``TenantScope`` is the only way domain code reaches tenant-owned items: it is bound
to one tenant when created, builds every key itself (``<tenant_id>#<collection>``),
refuses items outside its tenant and never scans. ``Directory`` is the small
repository for global items (tenant directory, identities, credential lookups),
which hold no tenant data. ``TenantScope.commit`` also writes what the audit store
hands it (the entry and chain head of an append), with the change it records; the
audit store pages its own table with the same sealed cursors.

This package's names, and those of ``records`` and ``scope``, are its public API;
``store`` (the PynamoDB model and its item mapping) is for ``tenancy`` alone, which
``make lint-imports`` enforces.

The door itself (``TenantScope``, ``Directory`` and the store's names) loads on first use
(module ``__getattr__``): a module that only declares records (``TenantRecord``) does not
bring PynamoDB and botocore with it, so a handler can register what it serves at import
and reach the store at its first request.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gatehouse.tenancy.records import GlobalRecord, Page, TenantRecord

if TYPE_CHECKING:
    from gatehouse.tenancy.directory import Directory, get_directory
    from gatehouse.tenancy.scope import TenantScope
    from gatehouse.tenancy.store import BATCH_GET_LIMIT, decode_cursor, encode_cursor
    from gatehouse.tenancy.store import for_tenant as signed_for_tenant

# Name -> (the module that defines it, its name there), imported when the name is first asked for.
_ON_FIRST_USE = {
    "Directory": ("gatehouse.tenancy.directory", "Directory"),
    "get_directory": ("gatehouse.tenancy.directory", "get_directory"),
    "TenantScope": ("gatehouse.tenancy.scope", "TenantScope"),
    "BATCH_GET_LIMIT": ("gatehouse.tenancy.store", "BATCH_GET_LIMIT"),
    "decode_cursor": ("gatehouse.tenancy.store", "decode_cursor"),
    "encode_cursor": ("gatehouse.tenancy.store", "encode_cursor"),
    "signed_for_tenant": ("gatehouse.tenancy.store", "for_tenant"),
}

__all__ = [
    "BATCH_GET_LIMIT",
    "Directory",
    "GlobalRecord",
    "Page",
    "TenantRecord",
    "TenantScope",
    "decode_cursor",
    "encode_cursor",
    "get_directory",
    "signed_for_tenant",
]


def __getattr__(name: str) -> Any:
    found = _ON_FIRST_USE.get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = found
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # the next lookup finds it without coming here
    return value
