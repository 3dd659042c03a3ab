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
    # Read the replies held for review and decide them (suppress, or release with a reason).
    OPTOUT_REVIEW = "optout:review"
    CAMPAIGNS_READ = "campaigns:read"
    # Calls with their transcripts (personal data: not for viewers), their CSV, and playback.
    CALLS_READ = "calls:read"
    CALLS_EXPORT = "calls:export"
    # The inbox: conversations and their threads (personal data: not for viewers), marking them
    # read, taking one; assigning to anyone (and a campaign's members) is for owners and admins.
    CONVERSATIONS_READ = "conversations:read"
    CONVERSATIONS_WRITE = "conversations:write"
    CONVERSATIONS_ASSIGN = "conversations:assign"
    RECORDINGS_PLAY = "recordings:play"
    CAMPAIGNS_WRITE = "campaigns:write"
    # Answer a person in a conversation with a one-off text (it passes every campaign gate).
    CONVERSATIONS_REPLY = "conversations:reply"
    CAMPAIGNS_APPROVE = "campaigns:approve"
    INTEGRATIONS_READ = "integrations:read"
    INTEGRATIONS_MANAGE = "integrations:manage"
    AUDIT_READ = "audit:read"
    AUDIT_VERIFY = "audit:verify"
    BILLING_MANAGE = "billing:manage"
    DNC_ACKNOWLEDGE = "dnc:acknowledge"
    # A signed-in person's own sign-in: sessions and two-factor (every role).
    ACCOUNT_SELF = "account:self"
    SECURITY_POLICY_MANAGE = "security_policy:manage"


class Public:
    """Marker for the few routes anyone may call (health, docs)."""

    def __repr__(self) -> str:
        return "PUBLIC"


class OperatorOnly:
    """Marker for the platform operator routes: no tenant role, not even owner, holds it."""

    def __repr__(self) -> str:
        return "OPERATOR"


PUBLIC: Final = Public()
OPERATOR: Final = OperatorOnly()

_VIEWER = frozenset(
    {
        Permission.TENANT_READ,
        Permission.MEMBERS_READ,
        Permission.CONTACTS_READ,
        Permission.CAMPAIGNS_READ,
        Permission.ACCOUNT_SELF,
    }
)
_MEMBER = _VIEWER | {
    Permission.CONTACTS_WRITE,
    Permission.SUPPRESSION_ADD,
    Permission.CAMPAIGNS_WRITE,
    Permission.CALLS_READ,
    Permission.CONVERSATIONS_READ,
    Permission.CONVERSATIONS_WRITE,
    Permission.CONVERSATIONS_REPLY,
}
_ADMIN = _MEMBER | {
    Permission.MEMBERS_MANAGE,
    Permission.API_KEYS_READ,
    Permission.API_KEYS_MANAGE,
    Permission.CONTACTS_EXPORT,
    Permission.CONTACTS_ERASE,
    Permission.CALLS_EXPORT,
    Permission.CONVERSATIONS_ASSIGN,
    Permission.RECORDINGS_PLAY,
    Permission.CAMPAIGNS_APPROVE,
    Permission.OPTOUT_REVIEW,
    Permission.INTEGRATIONS_READ,
    Permission.INTEGRATIONS_MANAGE,
    Permission.AUDIT_READ,
    Permission.AUDIT_VERIFY,
}
_OWNER = _ADMIN | {
    Permission.SUPPRESSION_REMOVE,
    Permission.BILLING_MANAGE,
    Permission.DNC_ACKNOWLEDGE,
    Permission.SECURITY_POLICY_MANAGE,
}

MATRIX: Final[dict[Role, frozenset[Permission]]] = {
    Role.VIEWER: _VIEWER,
    Role.MEMBER: _MEMBER,
    Role.ADMIN: _ADMIN,
    Role.OWNER: _OWNER,
}


# What an operator in a tenant for support may do: look, never change.
READ_ONLY: Final = frozenset(
    {
        Permission.TENANT_READ,
        Permission.MEMBERS_READ,
        Permission.API_KEYS_READ,
        Permission.CONTACTS_READ,
        Permission.CAMPAIGNS_READ,
        Permission.INTEGRATIONS_READ,
        Permission.AUDIT_READ,
        Permission.AUDIT_VERIFY,
    }
)


def allows(role: Role, permission: Permission) -> bool:
    return permission in MATRIX[role]


def needs_two_factor(role: Role) -> bool:
    """Roles a tenant's two-factor policy covers: owner and admin, and any role that can
    approve campaigns or change billing (derived from the matrix, so it follows it)."""
    held = MATRIX[role]
    return role in (Role.OWNER, Role.ADMIN) or bool(
        held & {Permission.CAMPAIGNS_APPROVE, Permission.BILLING_MANAGE}
    )
