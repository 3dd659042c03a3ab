"""The tenant's retention windows and DNC re-scrub interval: read them, set them (owners and admins)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from guards import caller, requires, scope

from gatehouse.identity.permissions import Permission
from gatehouse.retention import policy
from gatehouse.retention.policy import RetentionPolicyView, RetentionWindows
from routes.schemas import documented

router = Router()


@router.get(
    "/settings/retention",
    middlewares=requires(Permission.INTEGRATIONS_READ),
    summary="How long messages, calls and deleted contacts are kept; how old a DNC answer may get",
    tags=["settings"],
    responses=documented(200, RetentionPolicyView),
)
def get_retention() -> RetentionPolicyView:
    return policy.view(scope(router))


@router.put(
    "/settings/retention",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Set the retention windows (every field; omitted ones take their defaults)",
    tags=["settings"],
    responses=documented(200, RetentionPolicyView, 400),
)
def put_retention(request: Annotated[RetentionWindows, Body()]) -> RetentionPolicyView:
    return policy.set_policy(scope(router), caller(router), request)
