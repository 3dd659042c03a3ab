"""One isolation case per API route: how to aim a request at tenant A's resources.

The harness runs every case as tenant B (must get 404 or only its own data) and
as every role of tenant A (must get exactly what the permission matrix allows).
A route without a case here fails ``test_every_route_has_an_isolation_case``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from gatehouse.dnc import WORDING, LoadKind, acknowledge, load
from gatehouse.identity.api_keys import create_api_key
from gatehouse.identity.caller import Caller, operator
from gatehouse.identity.members import add_member
from gatehouse.identity.permissions import Role
from gatehouse.identity.users import ensure_user
from gatehouse.ids import new_id
from gatehouse.suppression import SuppressionSource, suppress
from gatehouse.vault import Provider, connect
from tests.conftest import TenantFixture


class Kind(Enum):
    PUBLIC = "public"  # no tenant data at all
    COLLECTION = "collection"  # lists the caller's own tenant only
    RESOURCE = "resource"  # names one resource by id: another tenant's id is 404
    NAMED = "named"  # names the caller's own resource by a fixed name (a provider): never another's


@dataclass
class Target:
    method: str
    path: str
    body: Any = None
    secrets: list[str] = field(default_factory=list)  # tenant A values that must never leak
    raw_body: str | None = None  # a body sent as is (text/plain), instead of ``body`` as JSON
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class Case:
    kind: Kind
    target: Callable[[TenantFixture], Target]


def fixture_operator(tenant: TenantFixture) -> Caller:
    return operator(tenant.tenant_id, "fixtures", request_id="fixtures")


def spare_member(tenant: TenantFixture) -> str:
    user = ensure_user(f"{new_id('x')}@spare.test")
    add_member(
        tenant.scope, fixture_operator(tenant), user_id=user.user_id, email=user.email, role=Role.VIEWER
    )
    return user.user_id


def spare_key(tenant: TenantFixture) -> str:
    issued = create_api_key(tenant.scope, fixture_operator(tenant), name="spare", role=Role.VIEWER)
    return issued.key.key_id


TWILIO_SID = "AC" + "a1" * 16
TWILIO_TOKEN = "0f" * 16


def twilio_credentials(tenant: TenantFixture) -> dict[str, Any]:
    return {
        "account_sid": TWILIO_SID,
        "auth_token": TWILIO_TOKEN,
        "sender_numbers": ["+15005550006"],
    }


def connected_twilio(tenant: TenantFixture) -> str:
    """Connect tenant A's Twilio integration; the values that must never reach anyone else."""
    connect(tenant.scope, fixture_operator(tenant), Provider.TWILIO, twilio_credentials(tenant))
    return TWILIO_SID


SUPPRESSED_NUMBER = "+12025550143"


def suppressed_number(tenant: TenantFixture) -> str:
    """Put a number on tenant A's suppression list; its hash reference must never reach tenant B."""
    added = suppress(tenant.scope, fixture_operator(tenant), SUPPRESSED_NUMBER, SuppressionSource.MANUAL)
    return added.entry.ref


def acknowledged(tenant: TenantFixture) -> str:
    """Tenant A's owner acknowledgment; the acknowledging actor must never reach tenant B."""
    return acknowledge(tenant.scope, fixture_operator(tenant), WORDING).acknowledgment.acknowledged_by


def loaded_registry(tenant: TenantFixture) -> str:
    """Load a registry file into tenant A; its reference must never reach tenant B."""
    return load(tenant.scope, fixture_operator(tenant), "202", ["2025550143"], LoadKind.FULL).registry_ref


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/health"): Case(Kind.PUBLIC, lambda t: Target("GET", "/health")),
    ("GET", "/docs"): Case(Kind.PUBLIC, lambda t: Target("GET", "/docs")),
    ("GET", "/openapi.json"): Case(Kind.PUBLIC, lambda t: Target("GET", "/openapi.json")),
    ("GET", "/members"): Case(
        Kind.COLLECTION,
        lambda t: Target("GET", "/members", secrets=[t.users[Role.OWNER], f"owner@{'alpha'}.test"]),
    ),
    ("PATCH", "/members/<user_id>"): Case(
        Kind.RESOURCE, lambda t: Target("PATCH", f"/members/{spare_member(t)}", body={"role": "member"})
    ),
    ("DELETE", "/members/<user_id>"): Case(
        Kind.RESOURCE, lambda t: Target("DELETE", f"/members/{spare_member(t)}")
    ),
    ("GET", "/api-keys"): Case(Kind.COLLECTION, lambda t: Target("GET", "/api-keys", secrets=[spare_key(t)])),
    ("POST", "/api-keys"): Case(
        Kind.COLLECTION, lambda t: Target("POST", "/api-keys", body={"name": "iso", "role": "viewer"})
    ),
    ("DELETE", "/api-keys/<key_id>"): Case(
        Kind.RESOURCE, lambda t: Target("DELETE", f"/api-keys/{spare_key(t)}")
    ),
    ("GET", "/audit"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/audit", secrets=[t.users[Role.OWNER]])
    ),
    ("POST", "/audit/verify"): Case(
        Kind.COLLECTION, lambda t: Target("POST", "/audit/verify", body={"full": True})
    ),
    ("GET", "/audit/export"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/audit/export", secrets=[spare_key(t)])
    ),
    ("GET", "/audit/checkpoints"): Case(Kind.COLLECTION, lambda t: Target("GET", "/audit/checkpoints")),
    ("GET", "/audit/public-key"): Case(Kind.PUBLIC, lambda t: Target("GET", "/audit/public-key")),
    ("GET", "/integrations"): Case(
        Kind.COLLECTION,
        lambda t: Target("GET", "/integrations", secrets=[connected_twilio(t), TWILIO_TOKEN[-4:]]),
    ),
    ("POST", "/integrations/<provider>"): Case(
        Kind.COLLECTION,
        lambda t: Target("POST", "/integrations/twilio", body=twilio_credentials(t), secrets=[TWILIO_TOKEN]),
    ),
    ("GET", "/integrations/<provider>"): Case(
        Kind.NAMED, lambda t: Target("GET", "/integrations/twilio", secrets=[connected_twilio(t)])
    ),
    ("PATCH", "/integrations/<provider>"): Case(
        Kind.NAMED,
        lambda t: Target(
            "PATCH",
            "/integrations/twilio",
            body={"sender_numbers": ["+15005550007"]},
            secrets=[connected_twilio(t)],
        ),
    ),
    ("DELETE", "/integrations/<provider>"): Case(
        Kind.NAMED, lambda t: Target("DELETE", "/integrations/twilio", secrets=[connected_twilio(t)])
    ),
    ("POST", "/integrations/<provider>/test"): Case(
        Kind.NAMED,
        lambda t: Target("POST", "/integrations/twilio/test", secrets=[connected_twilio(t), TWILIO_TOKEN]),
    ),
    ("POST", "/suppressions"): Case(
        Kind.COLLECTION,
        lambda t: Target("POST", "/suppressions", body={"number": "(202) 555-0188", "reason": "asked"}),
    ),
    ("GET", "/suppressions"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/suppressions", secrets=[suppressed_number(t)])
    ),
    ("POST", "/suppressions/check"): Case(
        Kind.COLLECTION,
        lambda t: Target(
            "POST",
            "/suppressions/check",
            body={"numbers": [SUPPRESSED_NUMBER]},
            secrets=[suppressed_number(t), SUPPRESSED_NUMBER],
        ),
    ),
    ("POST", "/suppressions/remove"): Case(
        Kind.RESOURCE,
        lambda t: Target(
            "POST",
            "/suppressions/remove",
            body={"number": SUPPRESSED_NUMBER, "reason": "new written consent on file"},
            secrets=[suppressed_number(t)],
        ),
    ),
    ("GET", "/dnc/status"): Case(
        Kind.COLLECTION,
        lambda t: Target("GET", "/dnc/status", secrets=[loaded_registry(t), acknowledged(t)]),
    ),
    ("GET", "/dnc/acknowledgment"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/dnc/acknowledgment", secrets=[acknowledged(t)])
    ),
    ("POST", "/dnc/acknowledgment"): Case(
        Kind.COLLECTION, lambda t: Target("POST", "/dnc/acknowledgment", body={"wording": WORDING})
    ),
    ("POST", "/dnc/registry/<area_code>"): Case(
        Kind.COLLECTION,
        lambda t: Target(
            "POST",
            "/dnc/registry/212",
            raw_body="2125550100\n2125550101\n",
            headers={"Content-Type": "text/plain"},
            secrets=[loaded_registry(t)],
        ),
    ),
}

# What each state-changing route must write to the audit log: exactly one entry with this action.
AUDITED: dict[tuple[str, str], str] = {
    ("PATCH", "/members/<user_id>"): "member.role_changed",
    ("DELETE", "/members/<user_id>"): "member.removed",
    ("POST", "/api-keys"): "api_key.created",
    ("DELETE", "/api-keys/<key_id>"): "api_key.revoked",
    ("POST", "/integrations/<provider>"): "integration.connected",
    ("PATCH", "/integrations/<provider>"): "integration.updated",
    ("DELETE", "/integrations/<provider>"): "integration.revoked",
    ("POST", "/integrations/<provider>/test"): "integration.tested",
    ("POST", "/suppressions"): "suppression.added",
    ("POST", "/suppressions/remove"): "suppression.removed",
    ("POST", "/dnc/acknowledgment"): "dnc.acknowledged",
    ("POST", "/dnc/registry/<area_code>"): "dnc.registry_loaded",
}
# Routes whose method is not GET but change nothing.
READ_ONLY_POSTS = {("POST", "/audit/verify"), ("POST", "/suppressions/check")}


def missing_cases(routes: set[tuple[str, str]], cases: dict[tuple[str, str], Case]) -> set[tuple[str, str]]:
    return routes - set(cases)
