"""The tenant's subscription to the platform: Stripe sessions for owners, status from Stripe's events.

``billing_status(tenant_id)`` is what the dispatch pipeline's first gate reads: only
``active`` is good standing. No card data ever passes through Gatehouse: owners are
sent to Stripe Checkout and the billing portal.
"""

from gatehouse.billing.account import (
    BillingStatus,
    BillingView,
    SessionUrl,
    billing_status,
    describe,
    open_checkout,
    open_portal,
)
from gatehouse.billing.events import apply_event

__all__ = [
    "BillingStatus",
    "BillingView",
    "SessionUrl",
    "apply_event",
    "billing_status",
    "describe",
    "open_checkout",
    "open_portal",
]
