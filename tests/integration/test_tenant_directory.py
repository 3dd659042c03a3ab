"""Listing every tenant from the directory (moto): the gsi1 index in pages, never a scan."""

from __future__ import annotations

import pytest

from gatehouse.aws_calls import AwsCall, AwsCallCounter
from gatehouse.errors import CrossTenantAccess, Invalid
from gatehouse.identity.tenants import (
    TENANTS_INDEX,
    TenantEntry,
    TenantStatus,
    find_tenant,
    iter_tenant_id_pages,
    iter_tenant_ids,
    list_tenants,
)
from gatehouse.ops.bootstrap import bootstrap_tenant
from gatehouse.tenancy import cursors, get_directory


@pytest.fixture
def tenant_ids(aws: None) -> list[str]:
    """Five tenants bootstrapped as an operator would, sorted as the index lists them."""
    return sorted(bootstrap_tenant(f"Tenant {n}", f"owner{n}@t{n}.test").tenant_id for n in range(5))


def _cursor(key: dict[str, object], binding: str) -> str:
    """A cursor sealed as the directory seals them, for a start key of the test's choosing."""
    return cursors.mint(key, binding)


def _opened(cursor: str) -> tuple[dict[str, dict[str, str]], str]:
    payload = cursors.unseal(cursor)
    return payload["key"], payload["for"]


def test_pages_list_every_tenant_once_in_id_order(tenant_ids: list[str]) -> None:
    first = list_tenants(limit=2)
    second = list_tenants(limit=2, cursor=first.cursor)
    third = list_tenants(limit=2, cursor=second.cursor)

    listed = [t.tenant_id for page in (first, second, third) for t in page.items]
    assert listed == tenant_ids
    assert [len(page.items) for page in (first, second, third)] == [2, 2, 1]
    assert third.cursor is None
    assert {t.name for t in first.items} <= {f"Tenant {n}" for n in range(5)}


def test_iterating_tenant_ids_costs_one_query_per_page_and_no_scan(tenant_ids: list[str]) -> None:
    with AwsCallCounter() as counter:
        pages = list(iter_tenant_id_pages(page_size=2))

    assert pages == [tenant_ids[0:2], tenant_ids[2:4], tenant_ids[4:5]]
    reads = {call: n for call, n in counter.counts().items() if call.service == "dynamodb"}
    assert reads == {AwsCall("dynamodb", "Query"): 3}  # (and once per process, the cursor key from KMS)
    assert list(iter_tenant_ids(page_size=3)) == tenant_ids


def test_suspended_tenants_are_still_listed(tenant_ids: list[str]) -> None:
    entry = find_tenant(tenant_ids[0])
    assert entry is not None
    get_directory().save(entry.model_copy(update={"status": TenantStatus.SUSPENDED}))

    listed = {t.tenant_id: t.status for t in list_tenants(limit=10).items}

    assert listed[tenant_ids[0]] is TenantStatus.SUSPENDED
    assert set(listed) == set(tenant_ids)


def test_an_empty_directory_lists_nothing(aws: None) -> None:
    page = list_tenants()

    assert (page.items, page.cursor) == ([], None)
    assert list(iter_tenant_ids()) == []


def test_a_cursor_must_come_from_the_same_index_partition(tenant_ids: list[str]) -> None:
    cursor = list_tenants(limit=1).cursor
    assert cursor is not None
    key, binding = _opened(cursor)
    elsewhere = _cursor({**key, "gsi1pk": {"S": "USER#usr_someone"}}, binding)
    tenant_item = _cursor({**key, "pk": {"S": f"{tenant_ids[1]}#MEMBER"}}, binding)
    unbound = _cursor(key, '["index", "USER#usr_someone", "TENANT#"]')

    for bad in ("not-a-cursor", _cursor({"pk": {"S": "TENANT#x"}}, binding), elsewhere, tenant_item, unbound):
        with pytest.raises(Invalid):
            list_tenants(limit=1, cursor=bad)


def test_the_directory_refuses_tenant_records_found_on_the_shared_index(aws: None) -> None:
    boot = bootstrap_tenant("Alpha", "owner@alpha.test")

    # The owner's membership is a tenant record on gsi1 under USER#<id>: never a directory item.
    with pytest.raises(CrossTenantAccess):
        get_directory().query_index(TenantEntry, f"USER#{boot.owner_user_id}", limit=10)


def test_a_page_size_outside_the_bounds_is_refused(aws: None) -> None:
    for limit in (0, 1001):
        with pytest.raises(Invalid):
            get_directory().query_index(TenantEntry, TENANTS_INDEX, limit=limit)
