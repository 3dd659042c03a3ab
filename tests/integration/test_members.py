"""Membership rules: rank limits, owner-only owner changes, never zero owners."""

from __future__ import annotations

import pytest

from gatehouse.errors import Conflict, Forbidden, NotFound
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.members import Membership, OwnerRoster, change_role, remove_member
from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture


def as_role(tenant: TenantFixture, role: Role) -> Caller:
    return Caller(
        tenant_id=tenant.tenant_id,
        role=role,
        principal_type=PrincipalType.USER,
        principal_id=tenant.users[role],
    )


def test_admin_promotes_a_viewer_to_member(tenant_a: TenantFixture) -> None:
    updated = change_role(
        tenant_a.scope, as_role(tenant_a, Role.ADMIN), tenant_a.users[Role.VIEWER], Role.MEMBER
    )
    assert updated.role is Role.MEMBER
    assert tenant_a.scope.require(Membership, tenant_a.users[Role.VIEWER]).role is Role.MEMBER


@pytest.mark.parametrize(
    ("actor", "target", "new_role"),
    [
        (Role.ADMIN, Role.MEMBER, Role.OWNER),  # admin cannot make an owner
        (Role.ADMIN, Role.OWNER, Role.MEMBER),  # admin cannot demote an owner
        (Role.MEMBER, Role.VIEWER, Role.ADMIN),  # nobody grants above their own role
        (Role.MEMBER, Role.ADMIN, Role.VIEWER),  # nobody acts on someone above them
    ],
)
def test_escalation_is_forbidden_and_changes_nothing(
    tenant_a: TenantFixture, actor: Role, target: Role, new_role: Role
) -> None:
    with pytest.raises(Forbidden):
        change_role(tenant_a.scope, as_role(tenant_a, actor), tenant_a.users[target], new_role)
    assert tenant_a.scope.require(Membership, tenant_a.users[target]).role is target


def test_the_last_owner_can_be_neither_demoted_nor_removed(tenant_a: TenantFixture) -> None:
    owner = as_role(tenant_a, Role.OWNER)
    with pytest.raises(Conflict):
        change_role(tenant_a.scope, owner, tenant_a.users[Role.OWNER], Role.ADMIN)
    with pytest.raises(Conflict):
        remove_member(tenant_a.scope, owner, tenant_a.users[Role.OWNER])
    assert tenant_a.scope.require(OwnerRoster, "owners").owner_ids == [tenant_a.users[Role.OWNER]]


def test_a_second_owner_lets_the_first_step_down(tenant_a: TenantFixture) -> None:
    owner = as_role(tenant_a, Role.OWNER)
    change_role(tenant_a.scope, owner, tenant_a.users[Role.ADMIN], Role.OWNER)
    change_role(tenant_a.scope, owner, tenant_a.users[Role.OWNER], Role.ADMIN)
    assert tenant_a.scope.require(OwnerRoster, "owners").owner_ids == [tenant_a.users[Role.ADMIN]]


def test_removing_a_member_deletes_the_membership(tenant_a: TenantFixture) -> None:
    remove_member(tenant_a.scope, as_role(tenant_a, Role.ADMIN), tenant_a.users[Role.VIEWER])
    with pytest.raises(NotFound):
        tenant_a.scope.require(Membership, tenant_a.users[Role.VIEWER])


def test_another_tenants_member_is_not_found(tenant_a: TenantFixture, tenant_b: TenantFixture) -> None:
    with pytest.raises(NotFound):
        change_role(tenant_a.scope, as_role(tenant_a, Role.OWNER), tenant_b.users[Role.VIEWER], Role.MEMBER)
