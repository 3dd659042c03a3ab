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

from gatehouse.identity.api_keys import create_api_key
from gatehouse.identity.caller import Caller, operator
from gatehouse.identity.members import add_member
from gatehouse.identity.permissions import Role
from gatehouse.identity.users import ensure_user
from gatehouse.ids import new_id
from tests.conftest import TenantFixture


class Kind(Enum):
    PUBLIC = "public"  # no tenant data at all
    COLLECTION = "collection"  # lists the caller's own tenant only
    RESOURCE = "resource"  # names one resource by id: another tenant's id is 404
    # Public, and the body carries a one-time credential minted for tenant A: what it
    # does is decided by the credential alone, never by who else presents it.
    CREDENTIAL = "credential"
    PLATFORM = "platform"  # platform operators only: every tenant role of every tenant is refused


class Auth(Enum):
    KEY = "key"  # each role is played by that role's API key
    SESSION = "session"  # the route acts on the signed-in person: each role is played by a session cookie


@dataclass
class Target:
    method: str
    path: str
    # A body, or a function of the acting person's user id that builds one (e.g. a fresh TOTP code).
    body: Any = None
    secrets: list[str] = field(default_factory=list)  # tenant A values that must never leak

    def body_for(self, user_id: str) -> Any:
        return self.body(user_id) if callable(self.body) else self.body


@dataclass(frozen=True)
class Case:
    kind: Kind
    target: Callable[[TenantFixture], Target]
    auth: Auth = Auth.KEY


ORIGIN = "https://app.gatehouse.test"


def session_headers(user_id: str, tenant_id: str | None) -> dict[str, str]:
    """The cookies and CSRF header a browser signed in as ``user_id`` would send."""
    from gatehouse.identity import sessions

    issued = sessions.start(user_id, tenant_id, two_factor_pending=False, source_ip=None)
    return {
        "Cookie": f"__Host-gatehouse_session={issued.token}; __Host-gatehouse_csrf={issued.csrf_token}",
        "X-CSRF-Token": issued.csrf_token,
        "Origin": ORIGIN,
    }


def credentials(tenant: TenantFixture, role: Role, case: Case) -> dict[str, Any]:
    """How ``role`` of ``tenant`` calls ``case``: its API key, or a session of its member."""
    if case.auth is Auth.SESSION:
        return {"headers": session_headers(tenant.users[role], tenant.tenant_id)}
    return {"token": tenant.keys[role]}


def operator_headers() -> tuple[str, dict[str, str]]:
    """A platform operator's console session (its user id, and the headers it sends)."""
    from gatehouse.identity.operators import grant_operator

    user = grant_operator(f"{new_id('op')}@operators.test")
    return user.user_id, session_headers(user.user_id, None)


def spare_invitation(tenant: TenantFixture) -> str:
    from gatehouse.identity.invitations import invite

    return invite(
        tenant.scope, fixture_operator(tenant), email=f"{new_id('x')}@invited.test", role=Role.VIEWER
    ).invitation_id


def invitation_token(tenant: TenantFixture) -> str:
    from gatehouse.identity.invitations import invite
    from tests.conftest import outbox
    from tests.support.mailbox import last_token

    address = f"{new_id('x')}@invited.test"
    invite(tenant.scope, fixture_operator(tenant), email=address, role=Role.VIEWER)
    return last_token(outbox(), address, "invitation")


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
    ("GET", "/invitations"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/invitations", secrets=[spare_invitation(t)])
    ),
    ("POST", "/invitations"): Case(
        Kind.COLLECTION,
        lambda t: Target("POST", "/invitations", body={"email": f"{new_id('x')}@iso.test", "role": "viewer"}),
    ),
    ("DELETE", "/invitations/<invitation_id>"): Case(
        Kind.RESOURCE, lambda t: Target("DELETE", f"/invitations/{spare_invitation(t)}")
    ),
    ("POST", "/invitations/accept"): Case(
        Kind.CREDENTIAL, lambda t: Target("POST", "/invitations/accept", body={"token": invitation_token(t)})
    ),
}

# What each state-changing route must write to the audit log: exactly one entry with this action.
AUDITED: dict[tuple[str, str], str] = {
    ("PATCH", "/members/<user_id>"): "member.role_changed",
    ("DELETE", "/members/<user_id>"): "member.removed",
    ("POST", "/api-keys"): "api_key.created",
    ("DELETE", "/api-keys/<key_id>"): "api_key.revoked",
    ("POST", "/invitations"): "invitation.created",
    ("DELETE", "/invitations/<invitation_id>"): "invitation.revoked",
    ("POST", "/invitations/accept"): "invitation.accepted",
}
# Routes whose method is not GET but change nothing.
READ_ONLY_POSTS = {("POST", "/audit/verify")}


def missing_cases(routes: set[tuple[str, str]], cases: dict[tuple[str, str], Case]) -> set[tuple[str, str]]:
    return routes - set(cases)
