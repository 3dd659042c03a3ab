"""Scoped access inside a tenant: the setting, and the restriction a person's request carries.

With ``conversation_access: assigned_campaigns`` a member or a viewer sees only the
conversations whose campaign is one of theirs and the contacts one of their campaigns has
an outcome for; owners and admins see everything. An API key is restricted by its role, like
a person of that role, to the campaigns of the person it belongs to (a key of nobody's sees
no contact at all). The restriction is enforced by the data door (``tenancy.restriction``)
on every read of a scope made for the request; jobs, webhooks and dispatch use unrestricted
scopes. Nothing here is read until a request reads a contact or a conversation.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from gatehouse import audit
from gatehouse.campaigns.members import campaigns_of
from gatehouse.clock import Clock, utc_now
from gatehouse.conversations.listing import person_of
from gatehouse.dispatch.outcomes import proven
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission, Role
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.restriction import Restriction

RESTRICTED_ROLES: Final = frozenset({Role.MEMBER, Role.VIEWER})


class ConversationAccess(StrEnum):
    ALL = "all"  # every member sees every contact and conversation of the tenant
    ASSIGNED_CAMPAIGNS = "assigned_campaigns"  # members and viewers see only their campaigns'


class AccessPolicy(TenantRecord):
    """Who sees which contacts and conversations inside the tenant (owners change it, audited)."""

    collection = "POLICY"

    conversation_access: ConversationAccess = ConversationAccess.ALL
    changed_by: str | None = None
    changed_at: datetime | None = None

    def sort_key(self) -> str:
        return "access"


def policy(scope: TenantScope) -> AccessPolicy:
    return scope.get(AccessPolicy, "access") or AccessPolicy()


def set_policy(
    scope: TenantScope, caller: Caller, access: ConversationAccess, *, clock: Clock = utc_now
) -> AccessPolicy:
    caller.require(Permission.SECURITY_POLICY_MANAGE)
    current = policy(scope)
    changed = current.model_copy(
        update={"conversation_access": access, "changed_by": caller.actor, "changed_at": clock()}
    )
    with audit.recorded(
        scope, caller, "access_policy.changed", "policy", "access", before=current, after=changed
    ) as txn:
        return txn.save(changed)


def restriction_for(caller: Caller) -> Restriction | None:
    """What the caller's requests may see: None for owners and admins, else a restriction read when needed."""
    if caller.role not in RESTRICTED_ROLES:
        return None
    system_view = TenantScope(caller.tenant_id)

    def load() -> frozenset[str] | None:
        if policy(system_view).conversation_access is ConversationAccess.ALL:
            return None
        person = person_of(system_view, caller)
        return campaigns_of(system_view, person) if person else frozenset()

    return Restriction(load, proof=proven)
