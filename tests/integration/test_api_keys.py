"""API keys: shown once, stored hashed, bound to tenant and role, revocable, last use tracked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from gatehouse.config import get_settings
from gatehouse.errors import Conflict, Forbidden, TenantNotActive, Unauthorized
from gatehouse.identity.api_keys import ApiKey, authenticate_api_key, create_api_key, revoke_api_key
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Role
from gatehouse.identity.tenants import TenantStatus, find_tenant
from gatehouse.tenancy import get_directory
from tests.conftest import TenantFixture


def acting(tenant: TenantFixture, role: Role) -> Caller:
    return Caller(
        tenant_id=tenant.tenant_id,
        role=role,
        principal_type=PrincipalType.USER,
        principal_id=tenant.users[role],
    )


def all_items() -> list[dict]:
    table = boto3.resource("dynamodb").Table(get_settings().main_table)
    return table.scan()["Items"]  # test inspection only: the application never scans


def test_the_key_itself_is_never_stored(tenant_a: TenantFixture) -> None:
    issued = create_api_key(tenant_a.scope, acting(tenant_a, Role.ADMIN), name="ci", role=Role.MEMBER)
    secret = issued.token.rsplit("_", 1)[-1]
    dump = repr(all_items())
    assert issued.token not in dump
    assert secret not in dump
    assert issued.key.display_prefix in dump


def test_a_key_authenticates_as_its_tenant_and_role(tenant_a: TenantFixture) -> None:
    caller = authenticate_api_key(tenant_a.keys[Role.MEMBER])
    assert (caller.tenant_id, caller.role) == (tenant_a.tenant_id, Role.MEMBER)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
        lambda t: t.replace("ghk_", "ghx_"),
        lambda t: t + "x",
        lambda t: "",
        lambda t: "ghk_" + "a" * 26 + "_" + "A" * 43,  # well-formed, unknown id
    ],
)
def test_wrong_keys_are_unauthorized(tenant_a: TenantFixture, mangle) -> None:
    with pytest.raises(Unauthorized):
        authenticate_api_key(mangle(tenant_a.keys[Role.OWNER]))


def test_a_revoked_key_stops_at_once(tenant_a: TenantFixture) -> None:
    issued = create_api_key(tenant_a.scope, acting(tenant_a, Role.OWNER), name="tmp", role=Role.VIEWER)
    authenticate_api_key(issued.token)
    revoked = revoke_api_key(tenant_a.scope, acting(tenant_a, Role.ADMIN), issued.key.key_id)
    assert revoked.revoked_at is not None
    with pytest.raises(Unauthorized):
        authenticate_api_key(issued.token)
    with pytest.raises(Conflict):
        revoke_api_key(tenant_a.scope, acting(tenant_a, Role.ADMIN), issued.key.key_id)


def test_nobody_mints_a_key_above_their_role(tenant_a: TenantFixture) -> None:
    with pytest.raises(Forbidden):
        create_api_key(tenant_a.scope, acting(tenant_a, Role.ADMIN), name="up", role=Role.OWNER)


def test_last_use_is_tracked_at_minute_resolution(tenant_a: TenantFixture) -> None:
    issued = create_api_key(tenant_a.scope, acting(tenant_a, Role.OWNER), name="t", role=Role.VIEWER)
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    authenticate_api_key(issued.token, clock=lambda: t0)
    authenticate_api_key(issued.token, clock=lambda: t0 + timedelta(seconds=30))
    assert tenant_a.scope.require(ApiKey, issued.key.key_id).last_used_at == t0
    authenticate_api_key(issued.token, clock=lambda: t0 + timedelta(minutes=2))
    assert tenant_a.scope.require(ApiKey, issued.key.key_id).last_used_at == t0 + timedelta(minutes=2)


def test_a_suspended_tenants_keys_do_nothing(tenant_a: TenantFixture) -> None:
    entry = find_tenant(tenant_a.tenant_id)
    assert entry is not None
    get_directory().save(entry.model_copy(update={"status": TenantStatus.SUSPENDED}))
    with pytest.raises(TenantNotActive):
        authenticate_api_key(tenant_a.keys[Role.OWNER])
