"""The permission matrix: one table, ranked roles, nothing granted upward by accident."""

from __future__ import annotations

import itertools

import pytest

from gatehouse.errors import Forbidden
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import MATRIX, Permission, Role, allows

ORDER = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]


def test_each_role_holds_everything_the_role_below_holds() -> None:
    for lower, higher in itertools.pairwise(ORDER):
        assert MATRIX[lower] < MATRIX[higher], f"{higher} must strictly include {lower}"


def test_owner_holds_every_permission() -> None:
    assert MATRIX[Role.OWNER] == frozenset(Permission)


@pytest.mark.parametrize(
    ("role", "permission", "expected"),
    [
        (Role.VIEWER, Permission.MEMBERS_READ, True),
        (Role.VIEWER, Permission.CONTACTS_WRITE, False),
        (Role.MEMBER, Permission.API_KEYS_MANAGE, False),
        (Role.MEMBER, Permission.CAMPAIGNS_APPROVE, False),
        (Role.ADMIN, Permission.CAMPAIGNS_APPROVE, True),
        (Role.ADMIN, Permission.BILLING_MANAGE, False),
        (Role.ADMIN, Permission.SUPPRESSION_REMOVE, False),
        (Role.OWNER, Permission.DNC_ACKNOWLEDGE, True),
    ],
)
def test_matrix_decisions(role: Role, permission: Permission, expected: bool) -> None:
    assert allows(role, permission) is expected


def test_caller_without_permission_is_forbidden() -> None:
    viewer = Caller(
        tenant_id="tnt_" + "a" * 26, role=Role.VIEWER, principal_type=PrincipalType.API_KEY, principal_id="k"
    )
    viewer.require(Permission.CONTACTS_READ)
    with pytest.raises(Forbidden):
        viewer.require(Permission.API_KEYS_MANAGE)


def test_role_ranks_are_ordered() -> None:
    assert [r.rank for r in ORDER] == sorted(r.rank for r in ORDER)
    assert Role.ADMIN.at_least(Role.MEMBER)
    assert not Role.ADMIN.at_least(Role.OWNER)
