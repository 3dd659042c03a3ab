"""Signing in and out: the sign-in link, its exchange for a session cookie, and one's own sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from guards import (
    caller,
    cleared_cookies,
    current_session,
    public,
    request_origin,
    requires,
    session_cookies,
)
from pydantic import Field

from gatehouse.audit import record_personal
from gatehouse.identity import sessions, sign_in
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from routes.schemas import EmailAddress, OneTimeToken, SessionId, StrictBody, documented

router = Router()


class LinkRequest(StrictBody):
    email: EmailAddress


class LinkRequested(GatehouseModel):
    status: str


class ExchangeRequest(StrictBody):
    token: OneTimeToken
    tenant_id: str | None = Field(default=None, pattern=r"^tnt_[a-z2-7]{26}$")
    operator_console: bool = False


class SessionOut(GatehouseModel):
    session_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    two_factor_pending: bool
    current: bool = False

    @classmethod
    def of(cls, session: sessions.Session, current: str | None = None) -> SessionOut:
        return cls(
            session_id=session.session_id,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            two_factor_pending=session.two_factor_pending,
            current=session.session_id == current,
        )


class SignedIn(SessionOut):
    csrf_token: str = Field(description="send it back as X-CSRF-Token on every change (also in a cookie)")


class Whoami(SessionOut):
    user_id: str
    tenant_id: str | None
    role: str | None
    operator: bool


class SessionList(GatehouseModel):
    items: list[SessionOut]


class Ended(GatehouseModel):
    ended: int


LINK_SENT = "if the address belongs to a member, a sign-in link is on its way; it expires in 15 minutes"


@router.post(
    "/sign-in/link",
    middlewares=public(),
    summary="Mail a one-time sign-in link (same answer for every address)",
    tags=["sign-in"],
    security=[],
    responses=documented(202, LinkRequested, 429),
)
def request_link(request: Annotated[LinkRequest, Body()]) -> Response[LinkRequested]:
    sign_in.request_link(request.email, source_ip=request_origin(router).source_ip)
    return Response(status_code=202, body=LinkRequested(status=LINK_SENT), content_type="application/json")


@router.post(
    "/sign-in/session",
    middlewares=public(),
    summary="Exchange a sign-in link token for a session cookie",
    tags=["sign-in"],
    security=[],
    responses=documented(201, SignedIn, 400, 401, 429),
)
def exchange(request: Annotated[ExchangeRequest, Body()]) -> Response[SignedIn]:
    origin = request_origin(router)
    issued = sign_in.exchange(
        request.token,
        tenant_id=request.tenant_id,
        operator_console=request.operator_console,
        request_id=origin.request_id,
        source_ip=origin.source_ip,
    )
    body = SignedIn(**SessionOut.of(issued.session).model_dump(), csrf_token=issued.csrf_token)
    return Response(
        status_code=201, body=body, content_type="application/json", cookies=session_cookies(issued)
    )


@router.get(
    "/session",
    middlewares=requires(Permission.ACCOUNT_SELF, before_two_factor=True),
    summary="The current session: who you are, in which tenant",
    tags=["sessions"],
    responses=documented(200, Whoami),
)
def whoami() -> Whoami:
    session, who = current_session(router), caller(router)
    return Whoami(
        **SessionOut.of(session, session.session_id).model_dump(),
        user_id=session.user_id,
        tenant_id=session.tenant_id,
        role=None if who.platform else str(who.role),
        operator=who.platform or who.read_only,
    )


@router.delete(
    "/session",
    middlewares=requires(Permission.ACCOUNT_SELF, before_two_factor=True),
    summary="Sign out (this session)",
    tags=["sessions"],
    responses=documented(204, None),
)
def sign_out() -> Response[None]:
    session = current_session(router)
    sessions.end(session)
    record_personal(caller(router), "session.ended", "session", session.session_id)
    return Response(status_code=204, cookies=cleared_cookies())


@router.get(
    "/sessions",
    middlewares=requires(Permission.ACCOUNT_SELF),
    summary="List your sessions (every tenant)",
    tags=["sessions"],
    responses=documented(200, SessionList),
)
def list_sessions() -> SessionList:
    current = current_session(router)
    mine = sessions.list_sessions(current.user_id)
    return SessionList(items=[SessionOut.of(s, current.session_id) for s in mine])


@router.delete(
    "/sessions/<session_id>",
    middlewares=requires(Permission.ACCOUNT_SELF),
    summary="End one of your sessions",
    tags=["sessions"],
    responses=documented(204, None, 404),
)
def end_session(session_id: SessionId) -> Response[None]:
    ended = sessions.end_one(current_session(router).user_id, session_id)
    record_personal(caller(router), "session.revoked", "session", ended.session_id)
    return Response(status_code=204)


@router.delete(
    "/sessions",
    middlewares=requires(Permission.ACCOUNT_SELF, before_two_factor=True),
    summary="Sign out everywhere (every session you have, this one included)",
    tags=["sessions"],
    responses=documented(200, Ended),
)
def sign_out_everywhere() -> Response[Ended]:
    session = current_session(router)
    count = sessions.end_everywhere(session.user_id)
    record_personal(caller(router), "session.signed_out_everywhere", "user", session.user_id)
    return Response(
        status_code=200, body=Ended(ended=count), content_type="application/json", cookies=cleared_cookies()
    )
