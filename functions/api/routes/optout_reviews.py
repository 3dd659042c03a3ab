"""Replies held for review: list them, then suppress the number or release it (owners and admins).

A reply the opt-out reading could not settle holds its number off every channel
(``gatehouse.suppression.review``) until someone here decides. The listing shows the
contact id, the short reference of the number's keyed hash and the text, never the number.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from guards import caller, requires, scope
from pydantic import Field

from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.suppression.review import HoldResolved, confirm_hold, release_hold
from gatehouse.webhooks import inbound_sms
from gatehouse.webhooks.inbound_sms import HeldTextView
from routes.schemas import Cursor, PageLimit, StrictBody, documented

router = Router()

HeldContactId = Annotated[str, Path(pattern=r"^con_[a-z2-7]{26}$", description="the sender's contact id")]


class ReleaseRequest(StrictBody):
    reason: str = Field(
        min_length=1, max_length=500, description="why the reply is no revocation; must not contain a number"
    )


class HeldTextPage(GatehouseModel):
    items: list[HeldTextView]
    next_cursor: str | None


@router.get(
    "/optout-reviews",
    middlewares=requires(Permission.OPTOUT_REVIEW),
    summary="Replies held for review: their numbers get no attempt on any channel until decided",
    tags=["suppressions"],
    responses=documented(200, HeldTextPage, 400),
)
def list_held(limit: PageLimit = 50, cursor: Cursor = None) -> HeldTextPage:
    page = inbound_sms.held_texts(scope(router), limit=limit, cursor=cursor)
    return HeldTextPage(items=page.items, next_cursor=page.cursor)


@router.post(
    "/optout-reviews/<contact_id>/suppress",
    middlewares=requires(Permission.OPTOUT_REVIEW),
    summary="The reply was a revocation: suppress the number for good (as an SMS STOP)",
    tags=["suppressions"],
    responses=documented(200, HoldResolved, 404, 409),
)
def suppress_held(contact_id: HeldContactId) -> HoldResolved:
    return confirm_hold(scope(router), caller(router), contact_id)


@router.post(
    "/optout-reviews/<contact_id>/release",
    middlewares=requires(Permission.OPTOUT_REVIEW),
    summary="The reply was no revocation: lift the hold (other suppressions stand), with a reason",
    tags=["suppressions"],
    responses=documented(200, HoldResolved, 400, 404, 409),
)
def release_held(contact_id: HeldContactId, request: Annotated[ReleaseRequest, Body()]) -> HoldResolved:
    return release_hold(scope(router), caller(router), contact_id, request.reason)
