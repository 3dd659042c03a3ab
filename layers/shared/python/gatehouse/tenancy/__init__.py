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
"""

from gatehouse.tenancy.directory import Directory, get_directory
from gatehouse.tenancy.records import GlobalRecord, Page, TenantRecord
from gatehouse.tenancy.scope import TenantScope
from gatehouse.tenancy.store import BATCH_GET_LIMIT, decode_cursor, encode_cursor
from gatehouse.tenancy.store import for_tenant as signed_for_tenant

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
