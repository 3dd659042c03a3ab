"""Who sees what inside the tenant: the access setting, and the members assigned to a campaign.

With ``conversation_access: assigned_campaigns``, members and viewers (and API keys of those
roles) see only the contacts and conversations of the campaigns they are assigned to; the
data door enforces it on every read (``gatehouse.conversations.access``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from guards import caller, requires, scope
from pydantic import Field

from gatehouse.campaigns import members
from gatehouse.conversations import access
from gatehouse.conversations.access import ConversationAccess
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from routes.schemas import StrictBody, documented

router = Router()

CampaignId = Annotated[str, Path(pattern=r"^cmp_[a-z2-7]{26}$", description="campaign id")]


class AccessPolicyIn(StrictBody):
    conversation_access: ConversationAccess = Field(
        description="all: everyone sees everything; assigned_campaigns: members and viewers, their campaigns'"
    )


class AccessPolicyOut(GatehouseModel):
    conversation_access: ConversationAccess
    changed_by: str | None
    changed_at: datetime | None

    @classmethod
    def of(cls, policy: access.AccessPolicy) -> AccessPolicyOut:
        return cls.model_validate(policy.model_dump(include=set(cls.model_fields)))


class CampaignMembersIn(StrictBody):
    user_ids: list[Annotated[str, Field(pattern=r"^usr_[a-z2-7]{26}$")]] = Field(
        max_length=members.MAX_MEMBERS, description="the members assigned (replaces the list); [] for none"
    )


class CampaignMembersOut(GatehouseModel):
    campaign_id: str
    assigned_members: list[str]
    version: int


@router.get(
    "/access-policy",
    middlewares=requires(Permission.TENANT_READ),
    summary="Who sees which contacts and conversations inside the tenant",
    tags=["access"],
    responses=documented(200, AccessPolicyOut),
)
def get_policy() -> AccessPolicyOut:
    return AccessPolicyOut.of(access.policy(scope(router)))


@router.put(
    "/access-policy",
    middlewares=requires(Permission.SECURITY_POLICY_MANAGE),
    summary="Scope members and viewers to their campaigns' contacts and conversations, or not (audited)",
    tags=["access"],
    responses=documented(200, AccessPolicyOut, 400),
)
def set_policy(request: Annotated[AccessPolicyIn, Body()]) -> AccessPolicyOut:
    return AccessPolicyOut.of(access.set_policy(scope(router), caller(router), request.conversation_access))


@router.put(
    "/campaigns/<campaign_id>/members",
    middlewares=requires(Permission.CONVERSATIONS_ASSIGN),
    summary="Assign members to the campaign (replaces the list; audited; no new approval needed)",
    tags=["access"],
    responses=documented(200, CampaignMembersOut, 400, 404, 409),
)
def assign_members(
    campaign_id: CampaignId, request: Annotated[CampaignMembersIn, Body()]
) -> CampaignMembersOut:
    campaign = members.assign(scope(router), caller(router), campaign_id, request.user_ids)
    return CampaignMembersOut(
        campaign_id=campaign.campaign_id, assigned_members=campaign.assigned_members, version=campaign.version
    )
