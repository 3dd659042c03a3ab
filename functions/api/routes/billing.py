"""The tenant's subscription: its status, and Stripe-hosted Checkout and portal sessions for owners.

No card data passes through Gatehouse: these routes only hand back Stripe URLs.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from guards import caller, requires, scope
from pydantic import Field

from gatehouse import billing
from gatehouse.billing import BillingView, SessionUrl
from gatehouse.identity.permissions import Permission
from routes.schemas import StrictBody, documented

router = Router()

HttpsUrl = Annotated[str, Field(min_length=9, max_length=2048, pattern=r"^https://\S+$")]


class CheckoutRequest(StrictBody):
    success_url: HttpsUrl
    cancel_url: HttpsUrl


class PortalRequest(StrictBody):
    return_url: HttpsUrl


@router.get(
    "/billing",
    middlewares=requires(Permission.TENANT_READ),
    summary="The tenant's billing status (only active lets campaigns run)",
    tags=["billing"],
    responses=documented(200, BillingView),
)
def show_billing() -> BillingView:
    return billing.describe(scope(router))


@router.post(
    "/billing/checkout",
    middlewares=requires(Permission.BILLING_MANAGE),
    summary="A Stripe Checkout session for the subscription (owners)",
    tags=["billing"],
    responses=documented(200, SessionUrl, 503),
)
def start_checkout(request: Annotated[CheckoutRequest, Body()]) -> SessionUrl:
    return billing.open_checkout(
        scope(router), caller(router), success_url=request.success_url, cancel_url=request.cancel_url
    )


@router.post(
    "/billing/portal",
    middlewares=requires(Permission.BILLING_MANAGE),
    summary="A Stripe billing portal session (owners; after a checkout)",
    tags=["billing"],
    responses=documented(200, SessionUrl, 404, 503),
)
def open_portal(request: Annotated[PortalRequest, Body()]) -> SessionUrl:
    return billing.open_portal(scope(router), caller(router), return_url=request.return_url)
