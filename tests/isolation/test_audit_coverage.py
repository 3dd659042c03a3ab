"""Every state-changing route writes exactly one audit entry, with the caller as actor.

And its change commits with that entry: when the entry cannot be written, nothing is.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from gatehouse import audit
from gatehouse.config import get_settings
from gatehouse.identity.api_keys import authenticate_api_key
from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture
from tests.isolation.cases import (
    AUDITED,
    CASES,
    FOLLOW_UP_ACTIONS,
    PLATFORM_RECORDED,
    READ_ONLY_POSTS,
    WRITE_THEN_APPEND,
    Auth,
    Kind,
    credentials,
    operator_headers,
    with_headers,
)
from tests.support.audit_faults import audit_writes_refused

CHANGING = sorted(route for route in CASES if route[0] != "GET")


def test_every_state_changing_route_declares_its_audit_action(api_module) -> None:  # type: ignore[no-untyped-def]
    changing = {route for route in api_module.route_permissions() if route[0] != "GET"}
    assert changing - READ_ONLY_POSTS - PLATFORM_RECORDED == set(AUDITED), (
        "declare the audit action of each state-changing route"
    )


@pytest.mark.parametrize("route", CHANGING, ids=lambda r: f"{r[0]} {r[1]}")
def test_a_change_writes_exactly_one_entry(api, tenant_a: TenantFixture, route) -> None:  # type: ignore[no-untyped-def]
    case = CASES[route]
    owner = tenant_a.users[Role.OWNER]
    how = credentials(tenant_a, Role.OWNER, case)
    expected_actor = f"api_key:{authenticate_api_key(tenant_a.keys[Role.OWNER]).principal_id}"
    if case.auth is Auth.SESSION:
        expected_actor = f"user:{owner}"
    if case.kind is Kind.PLATFORM:
        operator_id, headers = operator_headers()
        how, expected_actor = {"headers": headers}, f"operator:{operator_id}"
    target = case.target(tenant_a)  # after the actor is known: a target may suspend the tenant
    before = audit.list_entries(tenant_a.tenant_id, limit=100).items
    path = target.path_for(owner)
    reply = api(
        target.method,
        path,
        body=target.body_for(owner),
        raw_body=target.raw_body,
        source_ip="203.0.113.7",
        **with_headers(target, how),
    )
    assert reply.status < 400, reply.body

    later = FOLLOW_UP_ACTIONS.get(route, set())
    new = [
        e
        for e in audit.list_entries(tenant_a.tenant_id, limit=100).items
        if e not in before and e.action not in later
    ]
    if route in READ_ONLY_POSTS or route in PLATFORM_RECORDED:
        assert new == []
        return
    assert len(new) == 1, [e.action for e in new]
    entry = new[0]
    assert entry.action == AUDITED[route]
    if case.kind is Kind.CREDENTIAL:
        assert entry.actor.type == "user"  # the person the credential names, whoever presented it
    else:
        assert entry.actor.label == expected_actor
    assert entry.source_ip == "203.0.113.7"
    assert entry.request_id not in {"", "none"}


def test_the_chain_of_a_busy_tenant_verifies(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner = tenant_a.keys[Role.OWNER]
    for n in range(3):
        api("POST", "/api-keys", token=owner, body={"name": f"k{n}", "role": "viewer"})
    reply = api("POST", "/audit/verify", token=owner, body={"full": True})
    assert reply.status == 200, reply.body
    assert reply.json()["ok"] is True
    assert reply.json()["head_seq"] >= 3


def _tenant_data() -> dict[tuple[str, str], dict[str, Any]]:
    """Every item of the main table by key, but the bookkeeping each request may do.

    Left out: the rate limiter's counters, when an API key was last used (touched by
    authentication, not by the change), and a person's identity, made the first time an
    address is seen (accepting an invitation): it belongs to no tenant and grants nothing.
    """
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(get_settings().main_table)
    items: list[dict[str, Any]] = []
    pages = table.scan()
    items.extend(pages["Items"])
    while "LastEvaluatedKey" in pages:
        pages = table.scan(ExclusiveStartKey=pages["LastEvaluatedKey"])
        items.extend(pages["Items"])
    return {(str(i["pk"]), str(i["sk"])): _without_bookkeeping(i) for i in items if i["kind"] not in _OUTSIDE}


_OUTSIDE = frozenset({"Counter", "UserIdentity", "EmailIndex"})


def _without_bookkeeping(item: dict[str, Any]) -> dict[str, Any]:
    if item.get("kind") != "ApiKey":
        return item
    body = {k: v for k, v in json.loads(item["body"]).items() if k != "last_used_at"}
    return {**{k: v for k, v in item.items() if k != "version"}, "body": body}


ATOMIC = sorted(route for route in AUDITED if route not in WRITE_THEN_APPEND)


@pytest.mark.parametrize("route", ATOMIC, ids=lambda r: f"{r[0]} {r[1]}")
def test_a_change_whose_entry_cannot_be_written_is_not_made(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, route
) -> None:
    case = CASES[route]
    owner = tenant_a.users[Role.OWNER]
    how = credentials(tenant_a, Role.OWNER, case)
    if case.kind is Kind.PLATFORM:
        how = {"headers": operator_headers()[1]}
    target = case.target(tenant_a)
    entries = audit.list_entries(tenant_a.tenant_id, limit=500).items
    data = _tenant_data()

    with audit_writes_refused() as refused:
        reply = api(
            target.method,
            target.path_for(owner),
            body=target.body_for(owner),
            raw_body=target.raw_body,
            **with_headers(target, how),
        )

    assert refused, "the route never tried to write its audit entry"
    assert reply.status >= 500, reply.body
    assert audit.list_entries(tenant_a.tenant_id, limit=500).items == entries
    now = _tenant_data()
    changed = {k for k in data.keys() | now.keys() if data.get(k) != now.get(k)}
    assert not changed, f"written without its audit entry: {sorted(changed)}"
