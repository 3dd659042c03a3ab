"""The IAM wall in the data door: tenant items are reached only with the tenant's own session.

moto does not enforce IAM, so each DynamoDB request is recorded (``tests.support.signed_requests``)
with the access key that signed it, and each AssumeRole with the session tags of the key it
issued: a tenant's items, its audit log included, must be signed by a session tagged with
that tenant, and the function's own credentials must reach only global items.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from gatehouse import clients
from gatehouse.identity.api_keys import create_api_key
from gatehouse.identity.caller import operator
from gatehouse.identity.members import Membership
from gatehouse.identity.permissions import Role
from gatehouse.ids import is_tenant_id, new_id, new_tenant_id
from gatehouse.ops.bootstrap import bootstrap_tenant
from gatehouse.tenancy import TenantScope, credentials
from tests.support.signed_requests import SignedRequests

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def signed(aws: None) -> Iterator[SignedRequests]:
    """Recording from a clean slate: no cached credentials, a new STS client inside the block."""
    with SignedRequests() as recording:
        credentials.forget_all()
        clients._client.cache_clear()
        yield recording
    credentials.forget_all()


def _owner(key: str) -> str | None:
    head = key.split("#", 1)[0]
    return head if is_tenant_id(head) else None


def test_tenant_items_are_read_and_written_only_with_a_session_tagged_with_their_tenant(
    signed: SignedRequests,
) -> None:
    boot = bootstrap_tenant("Wall", "owner@wall.test")
    scope, other = TenantScope(boot.tenant_id), TenantScope(new_tenant_id())
    caller = operator(boot.tenant_id, "tests", request_id="wall")
    create_api_key(scope, caller, name="reporting", role=Role.VIEWER)  # tenant + global lookup + audit entry
    saved = other.save(Membership(user_id=new_id("usr"), email="o@x.test", role=Role.VIEWER, joined_at=NOW))
    assert other.get(Membership, saved.user_id) == saved
    assert other.query(Membership).items == [saved]
    assert scope.get(Membership, saved.user_id) is None

    reached: dict[str, int] = {}
    for request in signed.requests:
        session_tenant = signed.tenant_of(request.access_key)
        for key in request.items_named():
            owner = _owner(key)
            if owner is not None:
                assert session_tenant == owner, (request.operation, key)
                reached[owner] = reached.get(owner, 0) + 1
            elif session_tenant is not None:
                # A tenant session writes a global item only as part of its own change.
                assert request.operation in {"TransactWriteItems", "BatchGetItem"}, (request.operation, key)
    assert set(reached) == {boot.tenant_id, other.tenant_id}
    assert {tags["tenant"] for tags in signed.assume_calls} == {boot.tenant_id, other.tenant_id}


def test_one_assume_role_per_tenant_while_the_credentials_last(signed: SignedRequests) -> None:
    scope = TenantScope(new_tenant_id())
    for n in range(5):
        scope.save(Membership(user_id=new_id("usr"), email=f"{n}@x.test", role=Role.VIEWER, joined_at=NOW))
    TenantScope(scope.tenant_id).query(Membership)
    assert signed.assume_calls == [{"tenant": scope.tenant_id}]
