"""Who is calling: resolved once per request, before any route runs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from gatehouse.errors import Forbidden, TwoFactorRequired
from gatehouse.identity.permissions import READ_ONLY, Permission, Role, allows


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
    # Set for people signed in with a session cookie (never for API keys).
    session_id: str | None = None
    two_factor_pending: bool = False
    # An operator inside a tenant for support: reads only.
    read_only: bool = False
    # An operator's platform session: no tenant, operator routes only.
    platform: bool = False

    @property
    def actor(self) -> str:
        """How the caller is named in records and the audit log (never a secret)."""
        return f"{self.principal_type}:{self.principal_id}"

    def within(self, *, request_id: str, source_ip: str | None) -> Caller:
        return replace(self, request_id=request_id or "none", source_ip=source_ip)

    def require(self, permission: Permission, *, before_two_factor: bool = False) -> None:
        if self.two_factor_pending and not before_two_factor:
            raise TwoFactorRequired("complete two-factor sign-in first (POST /session/two-factor)")
        if permission is Permission.ACCOUNT_SELF:
            return  # one's own sessions and second factor: every signed-in person, whatever the role
        if self.platform:
            raise Forbidden("an operator session acts on tenants only through the operator routes")
        if self.read_only and permission not in READ_ONLY:
            raise Forbidden("support access is read-only")
        if not allows(self.role, permission):
            raise Forbidden(f"your role ({self.role}) lacks the permission {permission}")

    def require_operator(self) -> None:
        if self.two_factor_pending:
            raise TwoFactorRequired("complete two-factor sign-in first (POST /session/two-factor)")
        if not (self.platform and self.principal_type is PrincipalType.OPERATOR):
            raise Forbidden("this route is for platform operators")


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
