"""Stripe's subscription events -> the tenant's billing status.

Runs after the webhook function verified the event with ``stripe.Webhook.construct_event``.
The tenant is the one Gatehouse made the event's customer for (``STRIPE#<customer>``);
a ``tenant_id`` in the event's metadata must agree with it, or the event changes nothing.
Events older than the last one applied (Stripe's ``created``) never move the status back.
Each change is audited as ``system:stripe``. Unknown event types and customers are
answered and ignored, so Stripe stops retrying them.
"""

from __future__ import annotations

from typing import Any, Final

from gatehouse import audit
from gatehouse.billing.account import BillingAccount, BillingStatus, tenant_of_customer
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict
from gatehouse.identity import caller as callers
from gatehouse.observability import for_tenant, logger, metrics
from gatehouse.tenancy import TenantScope
from gatehouse.tenancy.scope import TransactionConflict

_SUBSCRIPTION: Final = {
    "active": BillingStatus.ACTIVE,
    "trialing": BillingStatus.ACTIVE,
    "past_due": BillingStatus.PAST_DUE,
    "unpaid": BillingStatus.PAST_DUE,
    "incomplete": BillingStatus.PAST_DUE,
    "paused": BillingStatus.PAST_DUE,
    "canceled": BillingStatus.CANCELED,
    "incomplete_expired": BillingStatus.CANCELED,
}
HANDLED: Final = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    }
)


def apply_event(event: dict[str, Any], *, request_id: str = "none", clock: Clock = utc_now) -> str:
    """Apply one verified event; returns what happened (``applied``, ``unchanged``, ``ignored``)."""
    kind = str(event.get("type", ""))
    obj = (event.get("data") or {}).get("object") or {}
    if kind not in HANDLED or not isinstance(obj, dict):
        return "ignored"
    customer = obj.get("customer")
    tenant_id = tenant_of_customer(customer) if isinstance(customer, str) else None
    claimed = (obj.get("metadata") or {}).get("tenant_id") or obj.get("client_reference_id")
    if tenant_id is None or (claimed is not None and claimed != tenant_id):
        logger.warning("stripe event for no known tenant", extra={"event_type": kind})
        metrics.add_metric(name="BillingEventUnmatched", unit="Count", value=1)
        return "ignored"
    for_tenant(tenant_id)
    status = _status(kind, obj)
    if status is None:
        return "ignored"
    subscription = obj.get("subscription") if kind.startswith(("checkout", "invoice")) else obj.get("id")
    created = int(event.get("created") or 0)
    return _apply(TenantScope(tenant_id), status, subscription, created, request_id=request_id, clock=clock)


def _status(kind: str, obj: dict[str, Any]) -> BillingStatus | None:
    if kind == "checkout.session.completed":
        return BillingStatus.ACTIVE if obj.get("payment_status") in ("paid", "no_payment_required") else None
    if kind == "customer.subscription.deleted":
        return BillingStatus.CANCELED
    if kind.startswith("customer.subscription."):
        return _SUBSCRIPTION.get(str(obj.get("status")))
    return BillingStatus.ACTIVE if kind == "invoice.paid" else BillingStatus.PAST_DUE


def _apply(
    scope: TenantScope,
    status: BillingStatus,
    subscription: Any,
    created: int,
    *,
    request_id: str,
    clock: Clock,
) -> str:
    for _ in range(3):
        account = scope.require(BillingAccount, "ACCOUNT")
        if created < account.last_event_at:
            return "unchanged"  # an older event arriving late
        changed = account.model_copy(
            update={
                "status": status,
                "subscription_id": subscription if isinstance(subscription, str) else account.subscription_id,
                "last_event_at": created,
                "updated_at": clock(),
            }
        )
        if account.status is status:
            try:
                scope.save(changed)  # the event's time only: nothing an auditor reads changed
            except Conflict:
                continue
            return "unchanged"
        stripe = callers.system(scope.tenant_id, "stripe", request_id=request_id)
        try:
            with audit.recorded(
                scope, stripe, "billing.status_changed", "billing", "account", before=account, after=changed
            ) as txn:
                txn.save(changed)
        except TransactionConflict:
            continue
        return "applied"
    raise Conflict("the billing record changed concurrently; retry")
