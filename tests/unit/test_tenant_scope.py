"""The data door cannot express a key outside its tenant."""

from __future__ import annotations

import pytest

from gatehouse.errors import CrossTenantAccess
from gatehouse.identity.api_keys import ApiKeyCredential
from gatehouse.identity.members import Membership
from gatehouse.tenancy import TenantRecord, TenantScope, store

TENANT_A = "tnt_" + "a" * 26
TENANT_B = "tnt_" + "b" * 26


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "tnt_",
        TENANT_A + "#MEMBER",
        "TENANT#" + TENANT_A,
        "APIKEY",
        TENANT_A.upper(),
        TENANT_A + "x",
        "tnt_" + "1" * 26,
        "../" + TENANT_A,
    ],
)
def test_scope_refuses_anything_that_is_not_a_tenant_id(bad_id: str) -> None:
    with pytest.raises(CrossTenantAccess):
        TenantScope(bad_id)


def test_every_partition_begins_with_the_scope_tenant() -> None:
    scope = TenantScope(TENANT_A)
    assert scope.partition(Membership) == f"{TENANT_A}#MEMBER"


def test_scope_refuses_global_record_types() -> None:
    with pytest.raises(CrossTenantAccess):
        TenantScope(TENANT_A).partition(ApiKeyCredential)  # type: ignore[arg-type]


def test_collection_names_cannot_smuggle_a_separator() -> None:
    class Sneaky(TenantRecord):
        collection = f"MEMBER#{TENANT_B}"

        def sort_key(self) -> str:
            return "x"

    with pytest.raises(ValueError, match="invalid collection"):
        TenantScope(TENANT_A).partition(Sneaky)


def test_items_read_back_from_another_tenant_are_refused() -> None:
    foreign = store.Item(f"{TENANT_B}#MEMBER", "usr_x", kind="Membership", version=1, body={})
    with pytest.raises(CrossTenantAccess):
        TenantScope(TENANT_A)._record(Membership, foreign)


def test_scope_api_takes_no_partition_key() -> None:
    # The door's public surface names record types and sort keys, never partition keys.
    import inspect

    for name, member in inspect.getmembers(TenantScope, inspect.isfunction):
        if name.startswith("_"):
            continue
        params = inspect.signature(member).parameters
        assert not {"pk", "partition_key", "hash_key", "tenant_id"} & set(params), name
