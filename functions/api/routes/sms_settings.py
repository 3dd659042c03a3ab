"""How the tenant's numbers answer HELP: read and word the reply (owners and admins)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from guards import caller, requires, scope
from pydantic import Field

from gatehouse.identity.permissions import Permission
from gatehouse.webhooks import inbound_sms
from gatehouse.webhooks.inbound_sms import SmsHelpView
from routes.schemas import StrictBody, documented

router = Router()


class HelpTextRequest(StrictBody):
    help_text: str = Field(min_length=1, max_length=inbound_sms.HELP_MAX, description="the HELP reply")


@router.get(
    "/settings/sms-help",
    middlewares=requires(Permission.INTEGRATIONS_READ),
    summary="The reply a HELP text gets",
    tags=["settings"],
    responses=documented(200, SmsHelpView),
)
def get_sms_help() -> SmsHelpView:
    return inbound_sms.help_text(scope(router))


@router.put(
    "/settings/sms-help",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Word the reply a HELP text gets (no marketing: it answers a request for help)",
    tags=["settings"],
    responses=documented(200, SmsHelpView, 400),
)
def put_sms_help(request: Annotated[HelpTextRequest, Body()]) -> SmsHelpView:
    return inbound_sms.set_help_text(scope(router), caller(router), request.help_text)
