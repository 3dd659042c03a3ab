"""Cross-tenant and cross-role isolation for every route the API serves.

Routes are enumerated from the resolver itself, so a new route without a case in
``cases.py`` makes this suite fail.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from gatehouse.identity.permissions import OperatorOnly, Permission, Role, allows
from tests.conftest import TenantFixture
from tests.isolation.cases import CASES, Kind, credentials, missing_cases, with_headers

ROUTES = sorted(CASES)


def guards_of(api_module) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """The API's own guards module (the runtime loads each function's modules privately)."""
    return SimpleNamespace(**api_module.route_guards.__globals__)


def test_every_route_has_an_isolation_case(api_module) -> None:  # type: ignore[no-untyped-def]
    served = set(api_module.route_permissions())
    assert missing_cases(served, CASES) == set(), "add an isolation case for each new route"
    assert set(CASES) - served == set(), "remove cases of routes that no longer exist"


def test_a_route_without_a_case_is_reported(api_module) -> None:  # type: ignore[no-untyped-def]
    guards = guards_of(api_module)
    extra = APIGatewayRestResolver()

    @extra.get("/secret-report", middlewares=guards.requires(Permission.AUDIT_READ))
    def secret_report() -> dict[str, str]:
        return {}

    routes = set(api_module.route_permissions()) | set(guards.route_guards(extra))
    assert missing_cases(routes, CASES) == {("GET", "/secret-report")}


def test_a_route_without_a_permission_refuses_to_start(api_module) -> None:  # type: ignore[no-untyped-def]
    guards = guards_of(api_module)
    bare = APIGatewayRestResolver()

    @bare.get("/unguarded")
    def unguarded() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="must declare exactly one permission"):
        guards.route_guards(bare)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_tenant_b_cannot_reach_tenant_a(api, tenant_a: TenantFixture, tenant_b: TenantFixture, route) -> None:  # type: ignore[no-untyped-def]
    case = CASES[route]
    target = case.target(tenant_a)
    body = target.body_for(tenant_b.users[Role.OWNER])
    path = target.path_for(tenant_a.users[Role.OWNER])  # a resource of tenant A's person
    reply = api(
        target.method,
        path,
        body=body,
        raw_body=target.raw_body,
        **with_headers(target, credentials(tenant_b, Role.OWNER, case)),
    )
    if case.kind is Kind.RESOURCE:
        assert reply.status == 404, reply.body
        assert reply.json()["error"]["code"] == "not_found"
    elif case.kind is Kind.NAMED:
        # the name reaches tenant B's own resource, which B does not have
        assert reply.status == 404, reply.body
    elif case.kind is Kind.PLATFORM:
        assert reply.status == 403, reply.body
        assert reply.json()["error"]["code"] == "forbidden"
    else:
        assert reply.status < 400, reply.body
    leaked = [s for s in [tenant_a.tenant_id, *target.secrets] if s in reply.body]
    assert not leaked, f"tenant A data in tenant B's response: {leaked}"
    # and tenant A's resource is untouched: A's owner still sees it the same way
    if case.kind in {Kind.RESOURCE, Kind.NAMED} and target.method in {"PATCH", "DELETE"}:
        collection = "/" + path.split("/")[1]
        listed = api("GET", collection, **credentials(tenant_a, Role.OWNER, case)).json()
        resource_id = path.rsplit("/", 1)[1]
        entry = next(i for i in listed["items"] if resource_id in json.dumps(i))
        assert entry.get("revoked_at") is None
        assert entry.get("role", "viewer") == "viewer"
        assert entry.get("status", "pending") in {"pending", "connected"}
        assert entry.get("updated_at") is None


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_each_role_gets_exactly_its_permission(
    api_module, api, tenant_a: TenantFixture, route, role: Role
) -> None:  # type: ignore[no-untyped-def]
    permission = api_module.route_permissions()[route]
    case = CASES[route]
    target = case.target(tenant_a)
    body = target.body_for(tenant_a.users[role])
    path = target.path_for(tenant_a.users[role])
    reply = api(
        target.method,
        path,
        body=body,
        raw_body=target.raw_body,
        **with_headers(target, credentials(tenant_a, role, case)),
    )
    refused = isinstance(permission, OperatorOnly) or (
        isinstance(permission, Permission) and not allows(role, permission)
    )
    if refused:
        assert reply.status == 403, reply.body
        # The reactivate case suspends tenant A first, so its members are stopped even earlier.
        codes = {"forbidden", "tenant_not_active"} if case.kind is Kind.PLATFORM else {"forbidden"}
        assert reply.json()["error"]["code"] in codes
    else:
        assert reply.status < 400, reply.body
