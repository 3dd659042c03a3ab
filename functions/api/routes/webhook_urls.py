"""Where the tenant's providers should send their callbacks: the webhook URLs, made on first ask.

The URLs carry the tenant's unguessable webhook ref, never its id. Asking twice gives
the same URLs.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from guards import requires, scope

from gatehouse.errors import Invalid
from gatehouse.identity.permissions import Permission
from gatehouse.webhooks import refs
from gatehouse.webhooks.urls import public_base_url
from routes.schemas import documented

router = Router()


@router.get(
    "/integrations/webhooks",
    middlewares=requires(Permission.INTEGRATIONS_READ),
    summary="The webhook URLs to give Twilio and the voice agent (the ref is made on first ask)",
    tags=["integrations"],
    responses=documented(200, refs.WebhookUrls),
)
def webhook_urls() -> refs.WebhookUrls:
    event = router.current_event
    context = event.raw_event.get("requestContext") or {}
    stage = context.get("stage") if isinstance(context, dict) else None
    base = public_base_url(event.headers.get("Host"), stage)
    if base is None:
        raise Invalid("the request names no host to build the URLs from")
    return refs.urls_for(scope(router), base)
