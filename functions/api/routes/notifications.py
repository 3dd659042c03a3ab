"""Your notification preferences in this tenant: which kinds of mail you get (every role, a person's own)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from guards import caller, requires, scope
from pydantic import Field

from gatehouse.identity.permissions import Permission
from gatehouse.notifications import NotificationKind
from gatehouse.notifications.preferences import PreferencesView, my_preferences, set_my_preferences
from routes.schemas import StrictBody, documented

router = Router()


class PreferencesRequest(StrictBody):
    off: list[NotificationKind] = Field(
        max_length=len(NotificationKind),
        description="the kinds you do not want mailed; compliance kinds cannot be turned off (422)",
    )


@router.get(
    "/me/notifications",
    middlewares=requires(Permission.ACCOUNT_SELF),
    summary="Which notifications you get in this tenant",
    tags=["notifications"],
    responses=documented(200, PreferencesView, 403),
)
def get_notifications() -> PreferencesView:
    return my_preferences(scope(router), caller(router))


@router.put(
    "/me/notifications",
    middlewares=requires(Permission.ACCOUNT_SELF),
    summary="Turn notification kinds off or on (compliance kinds always stay on)",
    tags=["notifications"],
    responses=documented(200, PreferencesView, 400, 403, 422),
)
def put_notifications(request: Annotated[PreferencesRequest, Body()]) -> PreferencesView:
    return set_my_preferences(scope(router), caller(router), request.off)
