"""API keys through a member's life: rank to act on a key, offboarding, expiry, rotation, last use.

The attack found an admin revoking an owner's key, and a removed admin's keys still
working (200 on GET /api-keys, 201 on POST /api-keys), a demoted admin's keys keeping
the admin role. Keys now belong to the member who created them and follow the member.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse import audit
from gatehouse.errors import Unauthorized
from gatehouse.identity.api_keys import (
    ROTATION_GRACE,
    ApiKey,
    IssuedKey,
    authenticate_api_key,
    create_api_key,
)
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture


def person(tenant: TenantFixture, role: Role) -> Caller:
    """The member holding ``role`` in the fixture tenant, as their signed-in session acts."""
    return Caller(
        tenant_id=tenant.tenant_id,
        role=role,
        principal_type=PrincipalType.USER,
        principal_id=tenant.users[role],
    )


def own_key(tenant: TenantFixture, role: Role, key_role: Role | None = None) -> IssuedKey:
    return create_api_key(tenant.scope, person(tenant, role), name=f"{role} own key", role=key_role or role)


def test_an_admin_cannot_revoke_or_rotate_an_owners_key(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owners = own_key(tenant_a, Role.OWNER)
    admin = tenant_a.keys[Role.ADMIN]

    revoked = api("DELETE", f"/api-keys/{owners.key.key_id}", token=admin)
    rotated = api("POST", f"/api-keys/{owners.key.key_id}/rotate", token=admin)

    assert (revoked.status, revoked.json()["error"]["code"]) == (403, "forbidden")
    assert (rotated.status, rotated.json()["error"]["code"]) == (403, "forbidden")
    assert api("GET", "/api-keys", token=owners.token).status == 200
    members_key = own_key(tenant_a, Role.MEMBER).key.key_id
    assert api("DELETE", f"/api-keys/{members_key}", token=admin).status == 200


def test_removing_a_member_revokes_their_keys_in_the_same_audited_change(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    admins = own_key(tenant_a, Role.ADMIN)
    made_with_it = api("POST", "/api-keys", token=admins.token, body={"name": "ci", "role": "member"}).json()
    someone_elses = own_key(tenant_a, Role.MEMBER)
    assert made_with_it["owner_id"] == tenant_a.users[Role.ADMIN]

    removed = api("DELETE", f"/members/{tenant_a.users[Role.ADMIN]}", token=tenant_a.keys[Role.OWNER])

    assert removed.status == 204, removed.body
    assert api("GET", "/api-keys", token=admins.token).status == 401
    assert api("POST", "/api-keys", token=admins.token, body={"name": "x", "role": "viewer"}).status == 401
    assert api("GET", "/contacts", token=made_with_it["token"]).status == 401
    assert api("GET", "/contacts", token=someone_elses.token).status == 200
    (entry,) = audit.list_entries(tenant_a.tenant_id, action="member.removed", limit=10).items
    assert entry.changes.after is not None
    assert sorted(entry.changes.after["api_keys_revoked"]) == sorted(
        [admins.key.key_id, made_with_it["key_id"]]
    )
    revoked = tenant_a.scope.require(ApiKey, admins.key.key_id)
    assert revoked.revoked_by == f"api_key:{_key_id(tenant_a.keys[Role.OWNER])}"


def test_demoting_a_member_caps_their_keys_role_and_says_so_in_the_audit_entry(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    admins = own_key(tenant_a, Role.ADMIN)
    viewer_key = own_key(tenant_a, Role.ADMIN, key_role=Role.VIEWER)

    demoted = api(
        "PATCH",
        f"/members/{tenant_a.users[Role.ADMIN]}",
        token=tenant_a.keys[Role.OWNER],
        body={"role": "member"},
    )

    assert demoted.status == 200, demoted.body
    assert tenant_a.scope.require(ApiKey, admins.key.key_id).role is Role.MEMBER
    assert tenant_a.scope.require(ApiKey, viewer_key.key.key_id).role is Role.VIEWER
    assert authenticate_api_key(admins.token).role is Role.MEMBER
    assert api("POST", "/api-keys", token=admins.token, body={"name": "x", "role": "viewer"}).status == 403
    (entry,) = audit.list_entries(tenant_a.tenant_id, action="member.role_changed", limit=10).items
    assert entry.changes.after is not None
    assert entry.changes.after["api_keys_capped"] == [admins.key.key_id]


def test_a_key_stops_working_when_it_expires(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    body = {"name": "short", "role": "viewer", "expires_at": (now + timedelta(hours=1)).isoformat()}
    created = api("POST", "/api-keys", token=tenant_a.keys[Role.OWNER], body=body)
    past = api(
        "POST",
        "/api-keys",
        token=tenant_a.keys[Role.OWNER],
        body={**body, "expires_at": "2020-01-01T00:00:00Z"},
    )

    assert created.status == 201, created.body
    token = created.json()["token"]
    assert authenticate_api_key(token).tenant_id == tenant_a.tenant_id
    with pytest.raises(Unauthorized):
        authenticate_api_key(token, clock=lambda: now + timedelta(hours=1, seconds=1))
    assert past.status == 400


def test_rotation_gives_a_new_secret_and_the_old_one_works_for_the_grace_period_only(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    key = own_key(tenant_a, Role.MEMBER)

    rotated = api("POST", f"/api-keys/{key.key.key_id}/rotate", token=tenant_a.keys[Role.ADMIN])

    assert rotated.status == 200, rotated.body
    new_token = rotated.json()["token"]
    assert new_token != key.token
    assert api("GET", "/contacts", token=new_token).status == 200
    assert api("GET", "/contacts", token=key.token).status == 200
    later = datetime.now(UTC) + ROTATION_GRACE + timedelta(seconds=1)
    with pytest.raises(Unauthorized):
        authenticate_api_key(key.token, clock=lambda: later)
    assert authenticate_api_key(new_token, clock=lambda: later).principal_id == key.key.key_id
    assert [
        e.action for e in audit.list_entries(tenant_a.tenant_id, action="api_key.rotated", limit=5).items
    ] == ["api_key.rotated"]


def test_listings_show_when_each_key_was_last_used(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    key = own_key(tenant_a, Role.VIEWER)
    api("GET", "/contacts", token=key.token)

    listed = {
        k["key_id"]: k for k in api("GET", "/api-keys", token=tenant_a.keys[Role.OWNER]).json()["items"]
    }

    assert listed[key.key.key_id]["last_used_at"] is not None


def _key_id(token: str) -> str:
    return "key_" + token.split("_")[1]
