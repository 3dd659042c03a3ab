"""The IAM tenant wall at runtime: every tenant item of a whole demo is reached as that tenant.

Neither moto nor DynamoDB Local enforces IAM, so the local runtime runs under a recording
(``tests.support.signed_requests``): each AssumeRole's session tags and the key it issued,
each DynamoDB request's signing key, partition keys and answer. The demo campaigns run
end to end (import, providers, an inbound text, two campaigns dispatched by the state
machine, the sandbox's signed status callbacks) and then every scheduled job. Every
request is then put to template.yaml's own policies, as IAM would put it, and every
tenant item named or returned must have been signed by a session tagged with its tenant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from cfnlint.decode.cfn_yaml import load

from gatehouse.ids import is_tenant_id
from gatehouse.providers.sandbox import sandbox
from local.demo import run_demo
from local.runtime import LocalRuntime
from tests.infra.conftest import TEMPLATE_PATH, references
from tests.support.signed_requests import PROVISIONING, DynamoRequest, Policies, SignedRequests
from tests.support.template import scheduled_jobs

# Every job a schedule of the template runs.
JOBS = scheduled_jobs()
# A person's memberships, found at sign-in by the function: keys only, never a body.
KEYS_ONLY = {"pk", "sk", "kind"}


@pytest.fixture(scope="module")
def recorded() -> Iterator[tuple[SignedRequests, LocalRuntime]]:
    with SignedRequests() as signed, LocalRuntime() as runtime:
        sandbox().reset()
        run_demo(runtime)
        for job in JOBS:
            outcome = runtime.invoke("SchedulerFunction", {"job": job})
            assert not outcome.failed, (job, outcome.payload)
        yield signed, runtime


@pytest.fixture(scope="module")
def policies(recorded: tuple[SignedRequests, LocalRuntime]) -> Policies:
    _, runtime = recorded
    resources = dict(load(str(TEMPLATE_PATH))["Resources"])
    roles = {
        next(iter(references(res["Properties"]["Role"])))
        for res in resources.values()
        if res["Type"] == "AWS::Serverless::Function"
    }
    assert runtime.deployment is not None
    return Policies(resources, roles, runtime.deployment.tables)


def _tenant_of_key(key: str) -> str | None:
    head = key.split("#", 1)[0]
    return head if is_tenant_id(head) else None


def test_every_tenant_item_is_reached_only_with_a_session_tagged_with_its_tenant(
    recorded: tuple[SignedRequests, LocalRuntime],
) -> None:
    signed, runtime = recorded
    assert runtime.demo is not None
    assert signed.unreadable == []
    touched: Counter[str] = Counter()
    for request in signed.requests:
        session_tenant = signed.tenant_of(request.access_key)
        for key in request.items_named():
            owner = _tenant_of_key(key)
            if owner is None:
                continue
            if session_tenant is None and _keys_only_index_read(request):
                continue
            assert session_tenant == owner, (request.operation, key, request.access_key)
            touched[request.operation] += 1
    # The whole demo went through the wall: reads, writes, transactions, the audit log, the time index.
    assert {"GetItem", "BatchGetItem", "Query", "PutItem", "TransactWriteItems"} <= set(touched)
    assert runtime.demo.tenant_id in {tags.get("tenant") for tags in signed.sessions.values()}
    assert runtime.deployment is not None
    audit_table = runtime.deployment.tables["AuditTable"]
    as_tenant = [
        access
        for request in signed.requests
        if signed.tenant_of(request.access_key)
        for access in request.accesses
    ]
    assert [a for a in as_tenant if a.index == "gsi2"], "the jobs found due items as their tenant"
    assert [a for a in as_tenant if a.table == audit_table and a.action == "dynamodb:PutItem"]


def _keys_only_index_read(request: DynamoRequest) -> bool:
    """The function's one read of tenant keys: gsi1 by person, projected to keys only."""
    (access,) = request.accesses
    if (
        request.operation != "Query"
        or access.index != "gsi1"
        or not access.leading_keys[0].startswith("USER#")
    ):
        return False
    assert set(access.attributes or ()) <= KEYS_ONLY
    assert all(set(item) <= KEYS_ONLY for item in request.returned)
    return True


def test_every_dynamodb_request_is_allowed_by_the_policy_of_the_role_that_signed_it(
    recorded: tuple[SignedRequests, LocalRuntime], policies: Policies
) -> None:
    signed, _ = recorded
    refused: list[tuple[str, Any, str]] = []
    for request in signed.requests:
        if request.operation in PROVISIONING:
            assert signed.tenant_of(request.access_key) is None
            continue
        tenant = signed.tenant_of(request.access_key)
        for access in request.accesses:
            allowed = (
                policies.tenant_allows(tenant, access) if tenant else policies.some_function_allows(access)
            )
            if not allowed:
                refused.append((tenant or "function", access.action, access.leading_keys))
    assert refused == []


def test_each_session_is_assumed_with_exactly_one_tenant_tag_and_reused(
    recorded: tuple[SignedRequests, LocalRuntime],
) -> None:
    signed, _ = recorded
    assert signed.assume_calls
    for tags in signed.assume_calls:
        assert set(tags) == {"tenant"}
        assert is_tenant_id(tags["tenant"])
    # One AssumeRole per tenant per process while the credentials last.
    per_tenant = Counter(tags["tenant"] for tags in signed.assume_calls)
    assert set(per_tenant.values()) == {1}, per_tenant
