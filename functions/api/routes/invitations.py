"""Invitations of the caller's tenant: invite (the link goes by mail), list, revoke; and accept."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from guards import caller, public, request_origin, requires, scope

from gatehouse.identity import invitations
from gatehouse.identity.permissions import Permission, Role
from gatehouse.models import GatehouseModel
from routes.schemas import (
    Cursor,
    EmailAddress,
    InvitationId,
    OneTimeToken,
    PageLimit,
    StrictBody,
    documented,
    follow,
)

router = Router()


class InvitationOut(GatehouseModel):
    invitation_id: str
    email: str
    role: Role
    status: invitations.InvitationStatus
    invited_by: str
    created_at: datetime
    expires_at: datetime
    accepted_by: str | None

    @classmethod
    def of(cls, invitation: invitations.Invitation) -> InvitationOut:
        return cls.model_validate(invitation.model_dump(include=set(cls.model_fields)))


class InvitationPage(GatehouseModel):
    items: list[InvitationOut]
    next_cursor: str | None


class InvitationRequest(StrictBody):
    email: EmailAddress
    role: Role


class AcceptRequest(StrictBody):
    token: OneTimeToken


class AcceptedOut(GatehouseModel):
    user_id: str
    role: Role
    next: str


@router.post(
    "/invitations",
    middlewares=requires(Permission.MEMBERS_MANAGE),
    summary="Invite an address with a role (the link is sent by mail)",
    tags=["invitations"],
    responses=documented(
        201,
        InvitationOut,
        409,
        links=follow("invitation_id", RevokeInvitation=("delete", "/invitations/{invitation_id}")),
    ),
)
def create_invitation(request: Annotated[InvitationRequest, Body()]) -> Response[InvitationOut]:
    invitation = invitations.invite(scope(router), caller(router), email=request.email, role=request.role)
    return Response(status_code=201, body=InvitationOut.of(invitation), content_type="application/json")


@router.get(
    "/invitations",
    middlewares=requires(Permission.MEMBERS_READ),
    summary="List invitations",
    tags=["invitations"],
    responses=documented(200, InvitationPage, 400),
)
def list_invitations(limit: PageLimit = 50, cursor: Cursor = None) -> InvitationPage:
    page = invitations.list_invitations(scope(router), limit=limit, cursor=cursor)
    return InvitationPage(items=[InvitationOut.of(i) for i in page.items], next_cursor=page.cursor)


@router.delete(
    "/invitations/<invitation_id>",
    middlewares=requires(Permission.MEMBERS_MANAGE),
    summary="Revoke a pending invitation",
    tags=["invitations"],
    responses=documented(200, InvitationOut, 404, 409),
)
def revoke_invitation(invitation_id: InvitationId) -> InvitationOut:
    return InvitationOut.of(invitations.revoke(scope(router), caller(router), invitation_id))


@router.post(
    "/invitations/accept",
    middlewares=public(),
    summary="Accept an invitation with its one-time token (then sign in)",
    tags=["invitations"],
    security=[],
    responses=documented(201, AcceptedOut, 401, 409),
)
def accept_invitation(request: Annotated[AcceptRequest, Body()]) -> Response[AcceptedOut]:
    origin = request_origin(router)
    accepted = invitations.accept(request.token, request_id=origin.request_id, source_ip=origin.source_ip)
    body = AcceptedOut(
        user_id=accepted.membership.user_id,
        role=accepted.membership.role,
        next="sign in with POST /sign-in/link and the invited address",
    )
    return Response(status_code=201, body=body, content_type="application/json")
