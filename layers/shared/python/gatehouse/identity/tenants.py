"""The tenant directory: which tenants exist and whether they may act.

Every tenant entry is also listed on the gsi1 index under ``TENANTS``, ordered by tenant
id, so jobs that act for every tenant (audit checkpoints) page through the tenants
without a scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum

from gatehouse import tenancy
from gatehouse.errors import TenantNotActive
from gatehouse.ids import is_tenant_id
from gatehouse.tenancy import GlobalRecord, Page

TENANTS_INDEX = "TENANTS"
PAGE_SIZE = 100


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class TenantEntry(GlobalRecord):
    collection = "TENANT"

    tenant_id: str
    name: str
    status: TenantStatus = TenantStatus.ACTIVE
    created_at: datetime

    def partition_id(self) -> str:
        return self.tenant_id

    def sort_key(self) -> str:
        return "PROFILE"

    def index_key(self) -> tuple[str, str] | None:
        return (TENANTS_INDEX, self.tenant_id)


def find_tenant(tenant_id: str) -> TenantEntry | None:
    if not is_tenant_id(tenant_id):
        return None
    return tenancy.get_directory().get(TenantEntry, tenant_id, "PROFILE")


def require_active_tenant(tenant_id: str) -> TenantEntry:
    """The first gate of everything a tenant does: unknown or suspended tenants do nothing."""
    entry = find_tenant(tenant_id)
    if entry is None or entry.status is not TenantStatus.ACTIVE:
        raise TenantNotActive("tenant is not active")
    return entry


def list_tenants(limit: int = PAGE_SIZE, cursor: str | None = None) -> Page[TenantEntry]:
    """One page of every tenant (active or not), by tenant id; from the index, so eventually consistent."""
    return tenancy.get_directory().query_index(TenantEntry, TENANTS_INDEX, limit=limit, cursor=cursor)


def iter_tenant_id_pages(page_size: int = PAGE_SIZE) -> Iterator[list[str]]:
    """The ids of every tenant, one index page at a time, fetched as the caller consumes them."""
    cursor: str | None = None
    while True:
        page = list_tenants(limit=page_size, cursor=cursor)
        if page.items:
            yield [entry.tenant_id for entry in page.items]
        if page.cursor is None:
            return
        cursor = page.cursor


def iter_tenant_ids(page_size: int = PAGE_SIZE) -> Iterator[str]:
    for ids in iter_tenant_id_pages(page_size):
        yield from ids
