"""Bootstrap a tenant: the directory entry, its first owner and that owner's first API key.

Onboarding is invite-only; this is how the very first person of a tenant gets in.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.audit.changes import recorded
from gatehouse.clock import Clock, utc_now
from gatehouse.identity.api_keys import create_api_key
from gatehouse.identity.caller import operator
from gatehouse.identity.members import add_member
from gatehouse.identity.permissions import Role
from gatehouse.identity.tenants import TenantEntry
from gatehouse.identity.users import ensure_user
from gatehouse.ids import new_tenant_id
from gatehouse.tenancy import TenantScope


@dataclass(frozen=True)
class BootstrapResult:
    tenant_id: str
    owner_user_id: str
    api_key: str
    api_key_id: str


def bootstrap_tenant(
    name: str, owner_email: str, *, operator_id: str = "cli", clock: Clock = utc_now
) -> BootstrapResult:
    tenant_id = new_tenant_id()
    entry = TenantEntry(tenant_id=tenant_id, name=name, created_at=clock())
    caller = operator(tenant_id, operator_id, request_id=f"bootstrap-{tenant_id}")
    scope = TenantScope(tenant_id)
    with recorded(scope, caller, "tenant.created", "tenant", tenant_id, after=entry) as txn:
        txn.save_global(entry)
    owner = ensure_user(owner_email, clock=clock)
    add_member(scope, caller, user_id=owner.user_id, email=owner.email, role=Role.OWNER, clock=clock)
    issued = create_api_key(scope, caller, name="bootstrap", role=Role.OWNER, clock=clock)
    return BootstrapResult(
        tenant_id=tenant_id, owner_user_id=owner.user_id, api_key=issued.token, api_key_id=issued.key.key_id
    )
