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

from gatehouse.clock import utc_now
from gatehouse.contacts.imports import CallerRef, ImportJob, ImportStatus
from gatehouse.contacts.records import ContactInput
from gatehouse.contacts.service import new_contact
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
    raw_body: str | None = None
    secrets: list[str] = field(default_factory=list)  # tenant A values that must never leak


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


CONTACT_PHONE = "+14155550101"
CONTACT_NAME = "Alphaperson"
CSV_UPLOAD = "phone,first_name\n+13125550102,Importee\n"


def spare_contact(tenant: TenantFixture) -> str:
    """A contact of tenant A; its number and name must never reach anyone else."""
    request = ContactInput(phone=CONTACT_PHONE, first_name=CONTACT_NAME, state="CA")
    contact = new_contact(tenant.scope, request, actor="operator:fixtures", now=utc_now(), suppressed=False)
    existing = tenant.scope.get(type(contact), contact.contact_id)
    if existing is None:
        tenant.scope.save(contact)
    return contact.contact_id


def spare_import(tenant: TenantFixture) -> str:
    job = ImportJob(
        import_id=new_id("imp"),
        requested_by=CallerRef.of(fixture_operator(tenant)),
        status=ImportStatus.COMPLETED,
        created_at=utc_now(),
        created_by="operator:fixtures",
    )
    tenant.scope.save(job)
    return job.import_id


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
}

CASES.update(
    {
        ("POST", "/contacts"): Case(
            Kind.COLLECTION,
            lambda t: Target("POST", "/contacts", body={"phone": "+13125550199", "state": "IL"}),
        ),
        ("GET", "/contacts"): Case(
            Kind.COLLECTION,
            lambda t: Target("GET", "/contacts", secrets=[spare_contact(t), CONTACT_PHONE, CONTACT_NAME]),
        ),
        ("GET", "/contacts/export"): Case(
            Kind.COLLECTION,
            lambda t: Target(
                "GET", "/contacts/export", secrets=[spare_contact(t), CONTACT_PHONE, CONTACT_NAME]
            ),
        ),
        ("POST", "/contacts/imports"): Case(
            Kind.COLLECTION, lambda t: Target("POST", "/contacts/imports", raw_body=CSV_UPLOAD)
        ),
        ("GET", "/contacts/imports/<import_id>"): Case(
            Kind.RESOURCE, lambda t: Target("GET", f"/contacts/imports/{spare_import(t)}")
        ),
        ("GET", "/contacts/imports/<import_id>/errors"): Case(
            Kind.RESOURCE, lambda t: Target("GET", f"/contacts/imports/{spare_import(t)}/errors")
        ),
        ("GET", "/contacts/<contact_id>"): Case(
            Kind.RESOURCE,
            lambda t: Target("GET", f"/contacts/{spare_contact(t)}", secrets=[CONTACT_PHONE, CONTACT_NAME]),
        ),
        ("PATCH", "/contacts/<contact_id>"): Case(
            Kind.RESOURCE, lambda t: Target("PATCH", f"/contacts/{spare_contact(t)}", body={"tags": ["iso"]})
        ),
        ("DELETE", "/contacts/<contact_id>"): Case(
            Kind.RESOURCE, lambda t: Target("DELETE", f"/contacts/{spare_contact(t)}")
        ),
        ("GET", "/contacts/<contact_id>/data"): Case(
            Kind.RESOURCE,
            lambda t: Target(
                "GET", f"/contacts/{spare_contact(t)}/data", secrets=[CONTACT_PHONE, CONTACT_NAME]
            ),
        ),
    }
)

# What each state-changing route must write to the audit log: exactly one entry with this action.
AUDITED: dict[tuple[str, str], str] = {
    ("POST", "/contacts"): "contact.created",
    ("PATCH", "/contacts/<contact_id>"): "contact.updated",
    ("DELETE", "/contacts/<contact_id>"): "contact.deleted",
    ("POST", "/contacts/imports"): "contacts.import_started",
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
}
# Routes whose method is not GET but change nothing.
# Entries a route's asynchronous follow-up writes later (the intake function finishing an import).
FOLLOW_UP_ACTIONS = {("POST", "/contacts/imports"): {"contacts.imported"}}
READ_ONLY_POSTS = {("POST", "/audit/verify"), ("POST", "/suppressions/check")}


def missing_cases(routes: set[tuple[str, str]], cases: dict[tuple[str, str], Case]) -> set[tuple[str, str]]:
    return routes - set(cases)
