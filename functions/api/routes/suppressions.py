"""The tenant's suppression list: add a number, check numbers, list entries, remove one (owners).

Numbers come in as people type them and are normalized to E.164 (United States when
no country code is given); responses never carry a number back, only the short
reference of its keyed hash and, for a check, the caller's own input.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from guards import caller, requires, scope
from pydantic import Field

from gatehouse import suppression
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.suppression import SuppressionView
from routes.schemas import Cursor, PageLimit, StrictBody, documented

router = Router()

Number = Annotated[str, Field(min_length=1, max_length=40, description="phone number; US when no +country")]
Reason = Annotated[str, Field(max_length=500, description="why; must not contain a phone number")]


class SuppressRequest(StrictBody):
    number: Number
    reason: Reason | None = None


class SuppressReply(GatehouseModel):
    entry: SuppressionView
    created: bool = Field(description="false: the number was already suppressed; its first entry stands")


class CheckRequest(StrictBody):
    numbers: list[Number] = Field(min_length=1, max_length=suppression.CHECK_MAX)


class CheckReply(GatehouseModel):
    suppressed: list[str] = Field(description="the given numbers (as given) that are suppressed")


class RemoveRequest(StrictBody):
    number: Number
    reason: Reason = Field(min_length=1)


class SuppressionPage(GatehouseModel):
    items: list[SuppressionView]
    next_cursor: str | None


@router.post(
    "/suppressions",
    middlewares=requires(Permission.SUPPRESSION_ADD),
    summary="Suppress a number now and for good (idempotent; a member kept to their campaigns suppresses"
    " only their contacts' numbers)",
    tags=["suppressions"],
    responses=documented(201, SuppressReply, 400, 503),
)
def add_suppression(request: Annotated[SuppressRequest, Body()]) -> Response[SuppressReply]:
    added = suppression.add(scope(router), caller(router), request.number, request.reason)
    reply = SuppressReply(entry=added.entry, created=added.created)
    return Response(status_code=201 if added.created else 200, body=reply, content_type="application/json")


@router.get(
    "/suppressions",
    middlewares=requires(Permission.CONTACTS_READ),
    summary="List suppression entries (hash references, never numbers)",
    tags=["suppressions"],
    responses=documented(200, SuppressionPage, 400),
)
def list_suppressions(limit: PageLimit = 50, cursor: Cursor = None) -> SuppressionPage:
    page = suppression.list_entries(scope(router), limit=limit, cursor=cursor)
    return SuppressionPage(items=page.items, next_cursor=page.cursor)


@router.post(
    "/suppressions/check",
    middlewares=requires(Permission.CONTACTS_READ),
    summary="Which of up to 100 numbers are suppressed (changes nothing; refused to a member kept to"
    " their campaigns)",
    tags=["suppressions"],
    responses=documented(200, CheckReply, 400, 503),
)
def check_suppressions(request: Annotated[CheckRequest, Body()]) -> CheckReply:
    return CheckReply(suppressed=suppression.check(scope(router), request.numbers))


@router.post(
    "/suppressions/remove",
    middlewares=requires(Permission.SUPPRESSION_REMOVE),
    summary="Take a number off the list (owners; a reason such as documented new consent is required)",
    tags=["suppressions"],
    responses=documented(200, SuppressionView, 400, 404, 503),
)
def remove_suppression(request: Annotated[RemoveRequest, Body()]) -> SuppressionView:
    return suppression.remove(
        scope(router), caller(router), suppression.to_e164(request.number), request.reason
    )
