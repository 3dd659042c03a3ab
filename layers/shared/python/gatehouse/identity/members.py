"""Memberships: who belongs to a tenant, with which role.

Rules that protect a tenant from its own members live here: nobody acts on a
member who outranks them or grants a role above their own; only an owner makes
or unmakes an owner; the last owner can never be removed or demoted. The owner
roster is written in the same transaction as every membership change, so two
concurrent demotions cannot leave a tenant without an owner; the change's audit entry
is written in that transaction too. So are the member's API keys: removing a member
revokes them, demoting one lowers those above the new role to it, and the entry names
the keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from gatehouse.audit.changes import MAX_CHANGE_ITEMS, recorded
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, Forbidden
from gatehouse.identity import api_keys
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Role
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import Page, TenantRecord, TenantScope, get_directory
from gatehouse.tenancy.scope import ScopedTransaction

# Two writes per key beside the membership and the roster, in one audited transaction.
MAX_KEYS_PER_CHANGE: Final = (MAX_CHANGE_ITEMS - 2) // 2


class Membership(TenantRecord):
    collection = "MEMBER"

    user_id: str
    email: str
    role: Role
    joined_at: datetime

    def sort_key(self) -> str:
        return self.user_id

    def index_key(self) -> tuple[str, str] | None:
        # gsi1 answers "which tenants does this person belong to" at sign-in.
        return (f"USER#{self.user_id}", f"MEMBER#{self.joined_at.isoformat()}")


class OwnerRoster(TenantRecord):
    collection = "ROSTER"

    owner_ids: list[str] = []

    def sort_key(self) -> str:
        return "owners"


def add_member(
    scope: TenantScope, caller: Caller, *, user_id: str, email: str, role: Role, clock: Clock = utc_now
) -> Membership:
    with recorded(scope, caller, "member.added", "member", user_id) as txn:
        txn.after = saved = join(scope, txn, user_id=user_id, email=email, role=role, clock=clock)
    return saved


def join(
    scope: TenantScope,
    txn: ScopedTransaction,
    *,
    user_id: str,
    email: str,
    role: Role,
    clock: Clock = utc_now,
) -> Membership:
    """Stage a new membership (and the owner roster, for an owner) in ``txn``; fails if already a member."""
    roster = scope.get(OwnerRoster, "owners") or OwnerRoster()
    member = Membership(user_id=user_id, email=email, role=role, joined_at=clock())
    saved = txn.save(member)
    if role is Role.OWNER:
        txn.save(roster.model_copy(update={"owner_ids": [*roster.owner_ids, user_id]}))
    return saved


def check_may_grant(caller: Caller, role: Role) -> None:
    """Nobody grants a role above their own; only an owner makes an owner (invitations, role changes)."""
    if role is Role.OWNER and caller.role is not Role.OWNER:
        raise Forbidden("only an owner can make, change or remove an owner")
    if not caller.role.at_least(role):
        raise Forbidden("you cannot act on or grant a role above your own")


def list_members(scope: TenantScope, *, limit: int, cursor: str | None) -> Page[Membership]:
    return scope.query(Membership, limit=limit, cursor=cursor)


class MemberChange(GatehouseModel):
    """What a role change or a removal's audit entry keeps: the membership and the keys it touched."""

    user_id: str
    email: str
    role: Role
    joined_at: datetime
    api_keys_revoked: list[str] = []
    api_keys_capped: list[str] = []

    @classmethod
    def of(
        cls,
        member: Membership,
        *,
        api_keys_revoked: list[str] | None = None,
        api_keys_capped: list[str] | None = None,
    ) -> MemberChange:
        return cls.model_validate(
            {
                **member.model_dump(exclude={"version"}),
                "api_keys_revoked": api_keys_revoked or [],
                "api_keys_capped": api_keys_capped or [],
            }
        )


def change_role(
    scope: TenantScope, caller: Caller, user_id: str, new_role: Role, *, clock: Clock = utc_now
) -> Membership:
    member = scope.require(Membership, user_id)
    _check_may_act_on(caller, member, new_role)
    if member.role == new_role:
        return member
    roster = _roster(scope)
    owners = [o for o in roster.owner_ids if o != user_id]
    if new_role is Role.OWNER:
        owners.append(user_id)
    _check_not_last_owner(owners)
    above = [k for k in _keys_to_change(scope, user_id) if not new_role.at_least(k.role)]
    before = MemberChange.of(member)
    with recorded(scope, caller, "member.role_changed", "member", user_id, before=before) as txn:
        saved = txn.save(member.model_copy(update={"role": new_role}))
        txn.save(roster.model_copy(update={"owner_ids": owners}))
        for key in above:
            api_keys.stage_role_cap(txn, key, _credential(key), new_role)
        txn.after = MemberChange.of(saved, api_keys_capped=[k.key_id for k in above])
    return saved


def remove_member(scope: TenantScope, caller: Caller, user_id: str, *, clock: Clock = utc_now) -> None:
    member = scope.require(Membership, user_id)
    _check_may_act_on(caller, member, member.role)
    roster = _roster(scope)
    owners = [o for o in roster.owner_ids if o != user_id]
    _check_not_last_owner(owners)
    keys = _keys_to_change(scope, user_id)
    now = clock()
    with recorded(scope, caller, "member.removed", "member", user_id, before=MemberChange.of(member)) as txn:
        txn.delete(member)
        txn.save(roster.model_copy(update={"owner_ids": owners}))
        for key in keys:
            api_keys.stage_revocation(txn, caller, key, _credential(key), now)
        txn.after = MemberChange.of(member, api_keys_revoked=[k.key_id for k in keys])


def _keys_to_change(scope: TenantScope, user_id: str) -> list[api_keys.ApiKey]:
    """The member's live keys; each takes two writes beside the membership, the roster and the entry."""
    keys = api_keys.keys_of(scope, user_id)
    if len(keys) > MAX_KEYS_PER_CHANGE:
        raise Conflict(
            f"the member holds {len(keys)} API keys; revoke some first (at most {MAX_KEYS_PER_CHANGE})"
        )
    return keys


def _credential(key: api_keys.ApiKey) -> api_keys.ApiKeyCredential | None:
    return get_directory().get(api_keys.ApiKeyCredential, key.key_id, "CREDENTIAL")


def _roster(scope: TenantScope) -> OwnerRoster:
    roster = scope.get(OwnerRoster, "owners")
    if roster is None:
        raise Conflict("tenant has no owner roster")
    return roster


def _check_may_act_on(caller: Caller, member: Membership, new_role: Role) -> None:
    if Role.OWNER in (member.role, new_role) and caller.role is not Role.OWNER:
        raise Forbidden("only an owner can make, change or remove an owner")
    if not caller.role.at_least(member.role) or not caller.role.at_least(new_role):
        raise Forbidden("you cannot act on or grant a role above your own")


def _check_not_last_owner(remaining_owners: list[str]) -> None:
    if not remaining_owners:
        raise Conflict("a tenant must keep at least one owner")
