"""The tenant directory: which tenants exist and whether they may act."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from gatehouse.errors import TenantNotActive
from gatehouse.ids import is_tenant_id
from gatehouse.tenancy import GlobalRecord, get_directory


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


def find_tenant(tenant_id: str) -> TenantEntry | None:
    if not is_tenant_id(tenant_id):
        return None
    return get_directory().get(TenantEntry, tenant_id, "PROFILE")


def require_active_tenant(tenant_id: str) -> TenantEntry:
    """The first gate of everything a tenant does: unknown or suspended tenants do nothing."""
    entry = find_tenant(tenant_id)
    if entry is None or entry.status is not TenantStatus.ACTIVE:
        raise TenantNotActive("tenant is not active")
    return entry
