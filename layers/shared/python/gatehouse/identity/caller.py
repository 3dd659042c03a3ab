"""Who is calling: resolved once per request, before any route runs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from gatehouse.errors import Forbidden
from gatehouse.identity.permissions import Permission, Role, allows


class PrincipalType(StrEnum):
    API_KEY = "api_key"
    USER = "user"
    OPERATOR = "operator"
    SYSTEM = "system"
    CONTACT = "contact"  # a person texting or calling in (STOP, START): never their number


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    role: Role
    principal_type: PrincipalType
    principal_id: str
    # Where the request came from, for the audit trail.
    request_id: str = "none"
    source_ip: str | None = None

    @property
    def actor(self) -> str:
        """How the caller is named in records and the audit log (never a secret)."""
        return f"{self.principal_type}:{self.principal_id}"

    def within(self, *, request_id: str, source_ip: str | None) -> Caller:
        return replace(self, request_id=request_id or "none", source_ip=source_ip)

    def require(self, permission: Permission) -> None:
        if not allows(self.role, permission):
            raise Forbidden(f"your role ({self.role}) lacks the permission {permission}")


def operator(tenant_id: str, operator_id: str, *, request_id: str) -> Caller:
    """A platform operator acting inside a tenant (bootstrap, support); audited like anyone else."""
    return Caller(
        tenant_id=tenant_id,
        role=Role.OWNER,
        principal_type=PrincipalType.OPERATOR,
        principal_id=operator_id,
        request_id=request_id,
    )


def system(tenant_id: str, service: str, *, request_id: str = "none") -> Caller:
    """Gatehouse itself acting for a tenant (a STOP webhook, an erasure): audited as ``system:<service>``.

    Member rank: it may add to the suppression list and write contacts, never remove a
    suppression or change who may do what; those stay with people.
    """
    return Caller(
        tenant_id=tenant_id,
        role=Role.MEMBER,
        principal_type=PrincipalType.SYSTEM,
        principal_id=service,
        request_id=request_id,
    )


def contact(tenant_id: str, contact_ref: str, *, request_id: str = "none") -> Caller:
    """A person acting on their own number through a webhook (an opt-out or opt-in keyword).

    ``contact_ref`` names them in the audit log (a contact id or a suppression reference),
    never the number. Member rank, so an opt-out may add to the suppression list; only
    ``suppression.lift_sms_stop`` accepts a contact for taking one off.
    """
    return Caller(
        tenant_id=tenant_id,
        role=Role.MEMBER,
        principal_type=PrincipalType.CONTACT,
        principal_id=contact_ref,
        request_id=request_id,
    )
