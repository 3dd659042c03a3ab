"""The permission matrix: the one place that says which role may do what.

Every API route declares one ``Permission`` (or ``PUBLIC``); the matrix maps each
tenant role to the permissions it holds. Roles are ranked so that nobody can grant
a role above their own.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANK: Final = {Role.VIEWER: 1, Role.MEMBER: 2, Role.ADMIN: 3, Role.OWNER: 4}


class Permission(StrEnum):
    TENANT_READ = "tenant:read"
    MEMBERS_READ = "members:read"
    MEMBERS_MANAGE = "members:manage"
    API_KEYS_READ = "api_keys:read"
    API_KEYS_MANAGE = "api_keys:manage"
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    CONTACTS_EXPORT = "contacts:export"
    CONTACTS_ERASE = "contacts:erase"
    SUPPRESSION_ADD = "suppression:add"
    SUPPRESSION_REMOVE = "suppression:remove"
    CAMPAIGNS_READ = "campaigns:read"
    CAMPAIGNS_WRITE = "campaigns:write"
    CAMPAIGNS_APPROVE = "campaigns:approve"
    INTEGRATIONS_READ = "integrations:read"
    INTEGRATIONS_MANAGE = "integrations:manage"
    AUDIT_READ = "audit:read"
    AUDIT_VERIFY = "audit:verify"
    BILLING_MANAGE = "billing:manage"
    DNC_ACKNOWLEDGE = "dnc:acknowledge"


class Public:
    """Marker for the few routes anyone may call (health, docs)."""

    def __repr__(self) -> str:
        return "PUBLIC"


PUBLIC: Final = Public()

_VIEWER = frozenset(
    {Permission.TENANT_READ, Permission.MEMBERS_READ, Permission.CONTACTS_READ, Permission.CAMPAIGNS_READ}
)
_MEMBER = _VIEWER | {Permission.CONTACTS_WRITE, Permission.SUPPRESSION_ADD, Permission.CAMPAIGNS_WRITE}
_ADMIN = _MEMBER | {
    Permission.MEMBERS_MANAGE,
    Permission.API_KEYS_READ,
    Permission.API_KEYS_MANAGE,
    Permission.CONTACTS_EXPORT,
    Permission.CONTACTS_ERASE,
    Permission.CAMPAIGNS_APPROVE,
    Permission.INTEGRATIONS_READ,
    Permission.INTEGRATIONS_MANAGE,
    Permission.AUDIT_READ,
    Permission.AUDIT_VERIFY,
}
_OWNER = _ADMIN | {Permission.SUPPRESSION_REMOVE, Permission.BILLING_MANAGE, Permission.DNC_ACKNOWLEDGE}

MATRIX: Final[dict[Role, frozenset[Permission]]] = {
    Role.VIEWER: _VIEWER,
    Role.MEMBER: _MEMBER,
    Role.ADMIN: _ADMIN,
    Role.OWNER: _OWNER,
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in MATRIX[role]
