"""Cursors are opaque and authenticated: bound to the tenant, the collection and the query.

An unsigned cursor (base64 JSON) showed the key layout and could be edited: wrong shapes,
a missing ``sk`` or an audit cursor with a foreign sort key answered 500. A cursor is now
sealed under a key derived from the deployment's KMS key, and every cursor that does not
open for the very listing it is presented to gets the one 400 "cursor is not valid".
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from gatehouse.errors import Invalid
from gatehouse.identity.members import Membership
from gatehouse.identity.permissions import Role
from gatehouse.ids import new_id, new_tenant_id
from gatehouse.tenancy import TenantScope, cursors, store
from tests.conftest import TenantFixture

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NOT_VALID = (400, "invalid_request", "cursor is not valid")


def _unsigned(key: dict[str, object]) -> str:
    """A cursor as the old format made them: anyone could write one."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _members(scope: TenantScope, count: int) -> None:
    for _ in range(count):
        scope.save(Membership(user_id=new_id("usr"), email="m@x.test", role=Role.VIEWER, joined_at=NOW))


def test_a_cursor_minted_for_another_tenant_is_refused(aws: None) -> None:
    a, b = TenantScope(new_tenant_id()), TenantScope(new_tenant_id())
    _members(a, 2)
    cursor = a.query(Membership, limit=1).cursor
    with pytest.raises(Invalid):
        b.query(Membership, limit=1, cursor=cursor)


@pytest.mark.parametrize("garbage", ["!!!", "e30", "bm90IGpzb24", "W10", "x" * 5000, "é"])
def test_garbage_cursors_are_invalid_not_errors(aws: None, garbage: str) -> None:
    with pytest.raises(Invalid):
        TenantScope(new_tenant_id()).query(Membership, cursor=garbage)


def test_a_cursor_shows_nothing_of_the_key_and_one_changed_character_breaks_it(aws: None) -> None:
    scope = TenantScope(new_tenant_id())
    _members(scope, 2)
    cursor = scope.query(Membership, limit=1).cursor
    assert cursor is not None

    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert scope.tenant_id.encode() not in raw
    assert b"MEMBER" not in raw
    flipped = cursor[:20] + ("A" if cursor[20] != "A" else "B") + cursor[21:]
    with pytest.raises(Invalid):
        scope.query(Membership, limit=1, cursor=flipped)


def test_a_cursor_is_bound_to_its_query(aws: None) -> None:
    scope = TenantScope(new_tenant_id())
    _members(scope, 3)
    cursor = scope.query(Membership, limit=1).cursor
    with pytest.raises(Invalid):
        scope.query(Membership, limit=1, cursor=cursor, newest_first=True)
    with pytest.raises(Invalid):
        scope.query(Membership, limit=1, cursor=cursor, prefix="usr_")
    assert len(scope.query(Membership, limit=1, cursor=cursor).items) == 1


def test_a_well_formed_cursor_for_another_partition_is_refused_even_when_sealed(aws: None) -> None:
    scope = TenantScope(new_tenant_id())
    partition = scope.partition(Membership)
    binding = scope._query_binding(partition, "", False)
    for key in (
        {"pk": {"S": partition}},  # no sort key
        {"pk": {"S": f"{new_tenant_id()}#MEMBER"}, "sk": {"S": "usr_x"}},
        {"pk": {"S": partition}, "sk": {"N": "1"}},
    ):
        with pytest.raises(Invalid):
            store.decode_cursor(cursors.mint(key, binding), partition, binding)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/contacts", {}),
        ("/members", {}),
        ("/audit", {}),
        ("/audit", {"action": "member.added"}),
        ("/api-keys", {}),
        ("/suppressions", {}),
        ("/campaigns", {}),
    ],
)
def test_every_forged_or_tampered_cursor_gets_the_one_400(
    api, tenant_a: TenantFixture, path: str, query: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    owner = tenant_a.keys[Role.OWNER]
    partition = f"{tenant_a.tenant_id}#AUDIT"
    forged = [
        _unsigned({"pk": {"S": partition}}),  # missing sk
        _unsigned({"pk": {"S": partition}, "sk": {"S": "HEAD"}}),  # a foreign sort key
        _unsigned({"pk": "x", "sk": 5}),
        _unsigned([1, 2]),
        "A" * 64,
    ]
    for cursor in forged:
        reply = api("GET", path, token=owner, query={**query, "cursor": cursor})
        error = reply.json()["error"]
        assert (reply.status, error["code"], error["message"]) == NOT_VALID, (cursor, reply.body)


def test_an_audit_cursor_is_bound_to_its_filter(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner = tenant_a.keys[Role.OWNER]
    first = api("GET", "/audit", token=owner, query={"limit": "1"}).json()
    assert first["next_cursor"]

    follows = api("GET", "/audit", token=owner, query={"limit": "1", "cursor": first["next_cursor"]})
    refiltered = api(
        "GET", "/audit", token=owner, query={"limit": "1", "cursor": first["next_cursor"], "action": "x.y"}
    )

    assert follows.status == 200
    assert (refiltered.status, refiltered.json()["error"]["message"]) == (400, "cursor is not valid")
