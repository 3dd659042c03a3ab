"""Platform operators: a flag on a person's global identity, never a tenant role.

An operator signs in to the operator console (a session with no tenant, always behind
two-factor) and from there lists tenants, suspends or reactivates one, or enters one
read-only for support. Whatever an operator does inside a tenant is written to that
tenant's own audit trail under ``operator:<user id>``: suspension and reactivation,
entering for support, and every request made while inside.
"""

from __future__ import annotations

from datetime import timedelta

from gatehouse.audit.changes import record, recorded
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, NotFound
from gatehouse.identity import sessions
from gatehouse.identity.caller import Caller, operator
from gatehouse.identity.tenants import TenantEntry, TenantStatus, find_tenant
from gatehouse.identity.users import UserIdentity, ensure_user
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantScope, get_directory

SUPPORT_LIFETIME = timedelta(hours=1)


class StatusChange(GatehouseModel):
    """What the audit log keeps of a suspension or reactivation."""

    tenant_id: str
    status: TenantStatus
    reason: str | None = None


def grant_operator(email: str, *, clock: Clock = utc_now) -> UserIdentity:
    """Make the person with this address a platform operator (operator CLI only, never the API)."""
    user = ensure_user(email, clock=clock)
    if user.is_operator:
        return user
    return get_directory().save(user.model_copy(update={"is_operator": True}))


def set_status(
    console: Caller, tenant_id: str, status: TenantStatus, *, reason: str | None = None
) -> TenantEntry:
    """Suspend or reactivate a tenant; recorded in that tenant's trail with the operator as actor."""
    entry = find_tenant(tenant_id)
    if entry is None:
        raise NotFound("tenant not found")
    if entry.status is status:
        raise Conflict(f"tenant is already {status}")
    action = "tenant.suspended" if status is TenantStatus.SUSPENDED else "tenant.reactivated"
    with recorded(
        TenantScope(tenant_id),
        inside(console, tenant_id),
        action,
        "tenant",
        tenant_id,
        before=StatusChange(tenant_id=tenant_id, status=entry.status),
        after=StatusChange(tenant_id=tenant_id, status=status, reason=reason),
    ) as txn:
        saved = txn.save_global(entry.model_copy(update={"status": status}))
    return saved


def enter_for_support(
    console: Caller, console_session: sessions.Session, tenant_id: str, *, clock: Clock = utc_now
) -> sessions.IssuedSession:
    """Trade the console session for a read-only session inside ``tenant_id`` (one hour at most)."""
    if find_tenant(tenant_id) is None:
        raise NotFound("tenant not found")
    issued = sessions.start(
        console.principal_id,
        tenant_id,
        two_factor_pending=False,
        source_ip=console.source_ip,
        support=True,
        lifetime=SUPPORT_LIFETIME,
        clock=clock,
    )
    sessions.end(console_session)
    record(inside(console, tenant_id), "operator.support_started", "session", issued.session.session_id)
    return issued


def record_support_request(caller: Caller, method: str, path: str) -> None:
    """One trail entry per request an operator makes inside a tenant for support."""
    record(caller, "operator.support_request", "route", f"{method} {path}"[:200])


def inside(console: Caller, tenant_id: str) -> Caller:
    """The operator, as the actor of an action inside one tenant."""
    return operator(tenant_id, console.principal_id, request_id=console.request_id).within(
        request_id=console.request_id, source_ip=console.source_ip
    )
