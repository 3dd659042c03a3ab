"""Who is calling: resolved once per request, before any route runs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gatehouse.errors import Forbidden
from gatehouse.identity.permissions import Permission, Role, allows


class PrincipalType(StrEnum):
    API_KEY = "api_key"
    USER = "user"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    role: Role
    principal_type: PrincipalType
    principal_id: str

    @property
    def actor(self) -> str:
        """How the caller is named in records and the audit log (never a secret)."""
        return f"{self.principal_type}:{self.principal_id}"

    def require(self, permission: Permission) -> None:
        if not allows(self.role, permission):
            raise Forbidden(f"your role ({self.role}) lacks the permission {permission}")
