"""The tenant's billing record, its Stripe customer, and the sessions owners are sent to.

Records: ``BillingAccount`` (collection ``BILLING``/``ACCOUNT``: status, Stripe customer and
subscription ids, the creation time of the last event applied) and the global lookup
``STRIPE#<customer id>`` -> tenant, written together when the tenant's customer is made,
so a webhook trusts a customer only if Gatehouse made it for that tenant.

Stripe is the platform's own account (one API key per deployment, from the settings). On
the local runtime and in tests without a Stripe address, sessions are sandbox URLs and
nothing leaves the machine.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import Field

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.errors import Conflict, NotFound, Unavailable
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.ids import new_id
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger
from gatehouse.tenancy import GlobalRecord, TenantRecord, TenantScope, get_directory

SANDBOX_URL: Final = "https://billing.sandbox.gatehouse.test"


class BillingStatus(StrEnum):
    NONE = "none"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"


class BillingAccount(TenantRecord):
    collection = "BILLING"

    status: BillingStatus = BillingStatus.NONE
    customer_id: str | None = None
    subscription_id: str | None = None
    last_event_at: int = 0  # Stripe's ``created`` of the last event applied (seconds)
    updated_at: datetime

    def sort_key(self) -> str:
        return "ACCOUNT"


class StripeCustomer(GlobalRecord):
    collection = "STRIPE"

    customer_id: str = Field(pattern=r"^cus_[A-Za-z0-9]{1,64}$")
    tenant_id: str

    def partition_id(self) -> str:
        return self.customer_id

    def sort_key(self) -> str:
        return "TENANT"


class BillingView(GatehouseModel):
    status: BillingStatus
    customer: bool = Field(description="whether a Stripe customer exists for the tenant")
    updated_at: datetime | None


class SessionUrl(GatehouseModel):
    url: str = Field(description="where to send the owner (Stripe-hosted)")


class SessionStarted(GatehouseModel):
    kind: str
    customer_ref: str


def billing_status(tenant_id: str) -> BillingStatus:
    """The tenant's billing standing, for the dispatch pipeline's first gate (only ACTIVE passes)."""
    account = TenantScope(tenant_id).get(BillingAccount, "ACCOUNT")
    return account.status if account is not None else BillingStatus.NONE


def describe(scope: TenantScope) -> BillingView:
    account = scope.get(BillingAccount, "ACCOUNT")
    if account is None:
        return BillingView(status=BillingStatus.NONE, customer=False, updated_at=None)
    return BillingView(
        status=account.status, customer=account.customer_id is not None, updated_at=account.updated_at
    )


def tenant_of_customer(customer_id: str) -> str | None:
    if not isinstance(customer_id, str) or not customer_id.startswith("cus_"):
        return None
    found = get_directory().get(StripeCustomer, customer_id, "TENANT")
    return found.tenant_id if found is not None else None


def open_checkout(
    scope: TenantScope, caller: Caller, *, success_url: str, cancel_url: str, clock: Clock = utc_now
) -> SessionUrl:
    caller.require(Permission.BILLING_MANAGE)
    price = get_settings().stripe_price_id
    customer = _customer(scope, clock)
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer,
        "line_items": [{"price": price, "quantity": 1}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": scope.tenant_id,
        "metadata": {"tenant_id": scope.tenant_id},
        "subscription_data": {"metadata": {"tenant_id": scope.tenant_id}},
    }
    url = _call(lambda client: client.checkout.sessions.create(params=params).url, "checkout")
    audit.record(
        caller, "billing.checkout_started", "billing", "account", after=_started("checkout", customer)
    )
    return SessionUrl(url=url)


def open_portal(scope: TenantScope, caller: Caller, *, return_url: str) -> SessionUrl:
    caller.require(Permission.BILLING_MANAGE)
    account = scope.get(BillingAccount, "ACCOUNT")
    if account is None or account.customer_id is None:
        raise NotFound("no billing customer yet: start a subscription with POST /billing/checkout")
    customer = account.customer_id
    params = {"customer": customer, "return_url": return_url}
    url = _call(lambda client: client.billing_portal.sessions.create(params=params).url, "portal")
    audit.record(caller, "billing.portal_opened", "billing", "account", after=_started("portal", customer))
    return SessionUrl(url=url)


def _started(kind: str, customer: str) -> SessionStarted:
    return SessionStarted(kind=kind, customer_ref=customer)


def _customer(scope: TenantScope, clock: Clock) -> str:
    """The tenant's Stripe customer, made (with its lookup) on the first checkout."""
    account = scope.get(BillingAccount, "ACCOUNT")
    if account is not None and account.customer_id is not None:
        return account.customer_id
    metadata = {"tenant_id": scope.tenant_id}
    customer_id = str(
        _call(lambda client: client.customers.create(params={"metadata": metadata}).id, "customer")
    )
    base = account or BillingAccount(updated_at=clock())
    try:
        with scope.transaction() as txn:
            txn.save(base.model_copy(update={"customer_id": customer_id, "updated_at": clock()}))
            txn.save_global(StripeCustomer(customer_id=customer_id, tenant_id=scope.tenant_id))
    except Conflict:
        # Another checkout made one first: use it (the extra Stripe customer stays unused).
        return str(scope.require(BillingAccount, "ACCOUNT").customer_id)
    return customer_id


def _call(operation: Any, what: str) -> Any:
    settings = get_settings()
    if settings.provider_mode == "sandbox" and not settings.stripe_api_base:
        return _sandbox(what)
    key = settings.stripe_api_key.get_secret_value()
    if not key or (what != "portal" and not settings.stripe_price_id):
        raise Unavailable("billing is not configured on this deployment")
    # Imported here: the SDK (with its HTTP stacks) costs the API a cold start longer than
    # boto3's own, and only billing requests that reach Stripe need it.
    import stripe  # noqa: PLC0415

    client = stripe.StripeClient(
        key,
        base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else None,
        http_client=stripe.RequestsClient(timeout=settings.provider_timeout_seconds),
        max_network_retries=1,
    )
    try:
        return operation(client)
    except stripe.StripeError as exc:
        logger.warning("stripe call failed", extra={"operation": what, "error_type": type(exc).__name__})
        raise Unavailable("Stripe did not answer; retry later") from None


def _sandbox(what: str) -> str:
    if what == "customer":
        return "cus_" + new_id("sbx").split("_", 1)[1]
    return f"{SANDBOX_URL}/{what}/{new_id('cs')}"
