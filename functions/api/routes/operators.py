"""The operator console: list tenants, suspend or reactivate one, enter one read-only for support;
keep the list of declared dates (proclaimed holidays, emergency bans)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from guards import caller, current_session, requires, session_cookies
from pydantic import Field

from gatehouse.compliance import declared
from gatehouse.compliance.declared import DeclaredKind
from gatehouse.identity import operators
from gatehouse.identity.permissions import OPERATOR
from gatehouse.identity.tenants import TenantEntry, TenantStatus, list_tenants
from gatehouse.models import GatehouseModel
from routes.declared_dates import DeclaredDateList, DeclaredDateOut
from routes.schemas import Cursor, PageLimit, StrictBody, TenantIdPath, documented

router = Router()


class TenantOut(GatehouseModel):
    tenant_id: str
    name: str
    status: TenantStatus
    created_at: datetime

    @classmethod
    def of(cls, entry: TenantEntry) -> TenantOut:
        return cls(
            tenant_id=entry.tenant_id, name=entry.name, status=entry.status, created_at=entry.created_at
        )


class TenantPage(GatehouseModel):
    items: list[TenantOut]
    next_cursor: str | None


class SuspendRequest(StrictBody):
    reason: str = Field(min_length=3, max_length=500)


DeclaredDateId = Annotated[str, Path(pattern=r"^dd_[a-z2-7]{26}$", description="declared date id")]


class DeclareRequest(StrictBody):
    state: str = Field(pattern=r"^[A-Za-z]{2}$", description="two-letter state code")
    day: date
    kind: DeclaredKind
    source: str = Field(min_length=5, max_length=500, description="the proclamation: title, number, address")


class WithdrawRequest(StrictBody):
    reason: str = Field(min_length=3, max_length=500)


class SupportSession(GatehouseModel):
    session_id: str
    tenant_id: str
    expires_at: datetime
    csrf_token: str
    read_only: bool = True


@router.get(
    "/operator/tenants",
    middlewares=requires(OPERATOR),
    summary="List every tenant (operators)",
    tags=["operators"],
    responses=documented(200, TenantPage, 400),
)
def list_all_tenants(limit: PageLimit = 50, cursor: Cursor = None) -> TenantPage:
    page = list_tenants(limit=limit, cursor=cursor)
    return TenantPage(items=[TenantOut.of(t) for t in page.items], next_cursor=page.cursor)


@router.post(
    "/operator/tenants/<tenant_id>/suspend",
    middlewares=requires(OPERATOR),
    summary="Suspend a tenant: its keys and sessions stop working (operators)",
    tags=["operators"],
    responses=documented(200, TenantOut, 404, 409),
)
def suspend(tenant_id: TenantIdPath, request: Annotated[SuspendRequest, Body()]) -> TenantOut:
    entry = operators.set_status(caller(router), tenant_id, TenantStatus.SUSPENDED, reason=request.reason)
    return TenantOut.of(entry)


@router.post(
    "/operator/tenants/<tenant_id>/reactivate",
    middlewares=requires(OPERATOR),
    summary="Reactivate a suspended tenant (operators)",
    tags=["operators"],
    responses=documented(200, TenantOut, 404, 409),
)
def reactivate(tenant_id: TenantIdPath) -> TenantOut:
    return TenantOut.of(operators.set_status(caller(router), tenant_id, TenantStatus.ACTIVE))


@router.post(
    "/operator/tenants/<tenant_id>/support-session",
    middlewares=requires(OPERATOR),
    summary="Enter a tenant read-only for support; every request inside is audited there (operators)",
    tags=["operators"],
    responses=documented(201, SupportSession, 404),
)
def enter_for_support(tenant_id: TenantIdPath) -> Response[SupportSession]:
    issued = operators.enter_for_support(caller(router), current_session(router), tenant_id)
    body = SupportSession(
        session_id=issued.session.session_id,
        tenant_id=tenant_id,
        expires_at=issued.session.expires_at,
        csrf_token=issued.csrf_token,
    )
    return Response(
        status_code=201, body=body, content_type="application/json", cookies=session_cookies(issued)
    )


@router.get(
    "/operator/declared-dates",
    middlewares=requires(OPERATOR),
    summary="Every declared date, withdrawn ones included, with who added or withdrew it (operators)",
    tags=["operators"],
    responses=documented(200, DeclaredDateList),
)
def list_declared_dates() -> DeclaredDateList:
    return DeclaredDateList(items=[DeclaredDateOut.of(d) for d in declared.all_dates()])


@router.post(
    "/operator/declared-dates",
    middlewares=requires(OPERATOR),
    summary="Declare a date for a state: no attempt there that day, from the next batch (operators)",
    tags=["operators"],
    responses=documented(201, DeclaredDateOut, 400, 409),
)
def declare_date(request: Annotated[DeclareRequest, Body()]) -> Response[DeclaredDateOut]:
    added = declared.declare(caller(router), request.state, request.day, request.kind, request.source)
    return Response(status_code=201, body=DeclaredDateOut.of(added), content_type="application/json")


@router.post(
    "/operator/declared-dates/<date_id>/withdraw",
    middlewares=requires(OPERATOR),
    summary="Withdraw a declared date; its record stays, marked with who withdrew it and why (operators)",
    tags=["operators"],
    responses=documented(200, DeclaredDateOut, 404, 409),
)
def withdraw_date(date_id: DeclaredDateId, request: Annotated[WithdrawRequest, Body()]) -> DeclaredDateOut:
    return DeclaredDateOut.of(declared.withdraw(caller(router), date_id, request.reason))
