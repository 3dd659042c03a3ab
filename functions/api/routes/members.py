"""Members of the caller's tenant: list, change role, remove."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from guards import caller, requires, scope

from gatehouse.identity import members
from gatehouse.identity.permissions import Permission, Role
from gatehouse.models import GatehouseModel
from routes.schemas import Cursor, PageLimit, StrictBody, UserId, documented

router = Router()


class MemberOut(GatehouseModel):
    user_id: str
    email: str
    role: Role
    joined_at: datetime

    @classmethod
    def of(cls, member: members.Membership) -> MemberOut:
        return cls(user_id=member.user_id, email=member.email, role=member.role, joined_at=member.joined_at)


class MemberPage(GatehouseModel):
    items: list[MemberOut]
    next_cursor: str | None


class RoleChange(StrictBody):
    role: Role


@router.get(
    "/members",
    middlewares=requires(Permission.MEMBERS_READ),
    summary="List members",
    tags=["members"],
    responses=documented(200, MemberPage, 400),
)
def list_members(limit: PageLimit = 50, cursor: Cursor = None) -> MemberPage:
    page = members.list_members(scope(router), limit=limit, cursor=cursor)
    return MemberPage(items=[MemberOut.of(m) for m in page.items], next_cursor=page.cursor)


@router.patch(
    "/members/<user_id>",
    middlewares=requires(Permission.MEMBERS_MANAGE),
    summary="Change a member's role",
    tags=["members"],
    responses=documented(200, MemberOut, 400, 404, 409),
)
def change_role(user_id: UserId, change: Annotated[RoleChange, Body()]) -> MemberOut:
    updated = members.change_role(scope(router), caller(router), user_id, change.role)
    return MemberOut.of(updated)


@router.delete(
    "/members/<user_id>",
    middlewares=requires(Permission.MEMBERS_MANAGE),
    summary="Remove a member",
    tags=["members"],
    responses=documented(204, None, 404, 409),
)
def remove_member(user_id: UserId) -> Response[None]:
    members.remove_member(scope(router), caller(router), user_id)
    return Response(status_code=204)
