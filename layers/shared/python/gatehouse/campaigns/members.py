"""The members assigned to a campaign: who sees its contacts and conversations when access is scoped.

The list lives on the campaign (``Campaign.assigned_members``), outside its spec: changing
it changes nothing a send does, so an approved campaign stays approved. Each assignment is
also one ``CampaignMember`` item under the person (``<user id>#<campaign id>``), so "which
campaigns are this person's" is one query by prefix, never a read of every campaign. Both
are written in the one audited transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from gatehouse import audit
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign
from gatehouse.errors import Invalid
from gatehouse.identity.caller import Caller
from gatehouse.identity.members import Membership
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantRecord, TenantScope

MAX_MEMBERS: Final = 40  # per campaign: each change of one is a write in the audited transaction
_PAGE: Final = 200


class CampaignMember(TenantRecord):
    """One person assigned to one campaign (the index of ``Campaign.assigned_members`` by person)."""

    collection = "CAMPAIGN_MEMBER"

    user_id: str
    campaign_id: str

    def sort_key(self) -> str:
        return f"{self.user_id}#{self.campaign_id}"


class AssignedMembers(GatehouseModel):
    """What the audit entry keeps of an assignment: the user ids, before and after."""

    assigned_members: list[str]


def assign(scope: TenantScope, caller: Caller, campaign_id: str, user_ids: Sequence[str]) -> Campaign:
    """Replace the campaign's assigned members (owners and admins); each must be a member of the tenant."""
    caller.require(Permission.CONVERSATIONS_ASSIGN)
    wanted = sorted(set(user_ids))
    if len(wanted) > MAX_MEMBERS:
        raise Invalid(f"at most {MAX_MEMBERS} members per campaign", details=[_field("user_ids")])
    current = lifecycle.get(scope, campaign_id)
    known = scope.batch_get(Membership, wanted)
    if len(known) != len(wanted):
        raise Invalid("every assigned person must be a member of this tenant", details=[_field("user_ids")])
    before = set(current.assigned_members)
    gone = scope.batch_get(CampaignMember, (f"{user}#{campaign_id}" for user in sorted(before - set(wanted))))
    changed = current.model_copy(update={"assigned_members": wanted})
    with audit.recorded(
        scope,
        caller,
        "campaign.members_assigned",
        "campaign",
        campaign_id,
        before=AssignedMembers(assigned_members=sorted(before)),
        after=AssignedMembers(assigned_members=wanted),
    ) as txn:
        saved = txn.save(changed)
        for user in sorted(set(wanted) - before):
            txn.save(CampaignMember(user_id=user, campaign_id=campaign_id))
        for record in gone.values():
            txn.delete(record)
    return saved


def campaigns_of(scope: TenantScope, user_id: str) -> frozenset[str]:
    """Every campaign the person is assigned to: O(their campaigns)."""
    found: set[str] = set()
    cursor: str | None = None
    while True:
        page = scope.query(CampaignMember, prefix=f"{user_id}#", limit=_PAGE, cursor=cursor)
        found.update(member.campaign_id for member in page.items)
        cursor = page.cursor
        if cursor is None:
            return frozenset(found)


def _field(name: str) -> dict[str, str]:
    return {"field": name, "reason": "not a valid value"}
