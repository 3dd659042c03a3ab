"""Billing: Stripe sessions through the SDK (a fake Stripe on loopback), status from signed events."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gatehouse import audit
from gatehouse.billing import BillingStatus, billing_status
from gatehouse.config import get_settings
from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture
from tests.support.events import Reply, invoke, proxy_event
from tests.support.fake_provider import FakeProvider, fake_provider
from tests.support.webhooks import stripe_header

SECRET = "whsec_" + "s" * 32
RETURN = "https://app.gatehouse.test/billing"
CHECKOUT_URL = "https://checkout.stripe.com/c/cs_1"
PORTAL_URL = "https://billing.stripe.com/p/bps_1"
REJECTED = (401, {"error": {"code": "unauthorized", "message": "signature not valid", "details": []}})


@pytest.fixture
def stripe_fake(aws: None) -> Iterator[FakeProvider]:
    with fake_provider() as fake:
        fake.reply("/v1/customers", 200, {"id": "cus_Alpha123", "object": "customer"})
        checkout_session = {"id": "cs_1", "object": "checkout.session", "url": CHECKOUT_URL}
        portal_session = {"id": "bps_1", "object": "billing_portal.session", "url": PORTAL_URL}
        fake.reply("/v1/checkout/sessions", 200, checkout_session)
        fake.reply("/v1/billing_portal/sessions", 200, portal_session)
        env = {
            "GATEHOUSE_STRIPE_API_BASE": fake.url,
            "GATEHOUSE_STRIPE_API_KEY": "sk_test_" + "k" * 24,
            "GATEHOUSE_STRIPE_PRICE_ID": "price_123",
            "GATEHOUSE_STRIPE_WEBHOOK_SECRET": SECRET,
        }
        os.environ.update(env)
        get_settings.cache_clear()
        try:
            yield fake
        finally:
            for name in env:
                os.environ.pop(name, None)
            get_settings.cache_clear()


@pytest.fixture
def hooks(hooks_module, stripe_fake):  # type: ignore[no-untyped-def]
    def call(event: dict[str, Any], *, at: int | None = None, secret: str = SECRET) -> Reply:
        payload = json.dumps(event)
        headers = {"Content-Type": "application/json", "Stripe-Signature": stripe_header(payload, secret, at)}
        request = proxy_event("POST", "/webhooks/stripe", raw_body=payload, headers=headers)
        return invoke(hooks_module.lambda_handler, request)

    return call


def checkout(api, tenant: TenantFixture) -> Reply:  # type: ignore[no-untyped-def]
    body = {"success_url": RETURN, "cancel_url": RETURN}
    return api("POST", "/billing/checkout", token=tenant.keys[Role.OWNER], body=body)  # type: ignore[no-any-return]


def event(
    kind: str, obj: dict[str, Any], *, event_id: str = "evt_1", created: int | None = None
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": created or int(time.time()),
        "data": {"object": obj},
    }


def changes(tenant: TenantFixture) -> list[audit.AuditEntry]:
    entries = audit.list_entries(tenant.tenant_id, limit=100).items
    return [e for e in entries if e.action == "billing.status_changed"]


def test_checkout_and_portal_go_through_the_sdk_with_the_tenant_in_metadata(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, stripe_fake: FakeProvider
) -> None:
    reply = checkout(api, tenant_a)
    assert (reply.status, reply.json()) == (200, {"url": "https://checkout.stripe.com/c/cs_1"})
    sent = next(s for s in stripe_fake.seen if s.path == "/v1/checkout/sessions")
    form = sent.body.decode()
    assert f"metadata[tenant_id]={tenant_a.tenant_id}" in form
    assert "customer=cus_Alpha123" in form
    assert sent.headers["Authorization"].startswith("Bearer sk_test_")
    reply = api("POST", "/billing/portal", token=tenant_a.keys[Role.OWNER], body={"return_url": RETURN})
    assert (reply.status, reply.json()) == (200, {"url": "https://billing.stripe.com/p/bps_1"})
    assert api("GET", "/billing", token=tenant_a.keys[Role.VIEWER]).json()["status"] == "none"


def test_admins_cannot_change_billing(api, tenant_a: TenantFixture, stripe_fake: FakeProvider) -> None:  # type: ignore[no-untyped-def]
    body = {"success_url": RETURN, "cancel_url": RETURN}
    reply = api("POST", "/billing/checkout", token=tenant_a.keys[Role.ADMIN], body=body)
    assert reply.status == 403
    assert stripe_fake.seen == []


def test_lifecycle_events_set_the_status_and_late_ones_never_move_it_back(  # type: ignore[no-untyped-def]
    api, hooks, tenant_a: TenantFixture
) -> None:
    checkout(api, tenant_a)
    now = int(time.time())
    paid = {"customer": "cus_Alpha123", "subscription": "sub_1", "payment_status": "paid",
            "metadata": {"tenant_id": tenant_a.tenant_id}}  # fmt: skip
    assert hooks(event("checkout.session.completed", paid, event_id="evt_a", created=now - 50)).status == 200
    assert billing_status(tenant_a.tenant_id) is BillingStatus.ACTIVE
    hooks(event("invoice.payment_failed", {"customer": "cus_Alpha123"}, event_id="evt_b", created=now - 40))
    assert billing_status(tenant_a.tenant_id) is BillingStatus.PAST_DUE
    hooks(event("invoice.paid", {"customer": "cus_Alpha123"}, event_id="evt_c", created=now - 30))
    assert billing_status(tenant_a.tenant_id) is BillingStatus.ACTIVE
    sub = {"id": "sub_1", "customer": "cus_Alpha123", "status": "canceled"}
    hooks(event("customer.subscription.deleted", sub, event_id="evt_d", created=now - 10))
    assert billing_status(tenant_a.tenant_id) is BillingStatus.CANCELED
    late = {"id": "sub_1", "customer": "cus_Alpha123", "status": "active"}
    hooks(event("customer.subscription.updated", late, event_id="evt_e", created=now - 20))
    assert billing_status(tenant_a.tenant_id) is BillingStatus.CANCELED
    assert [e.actor.label for e in changes(tenant_a)] == ["system:stripe"] * 4
    assert api("GET", "/billing", token=tenant_a.keys[Role.VIEWER]).json()["status"] == "canceled"


def test_an_event_naming_another_tenant_or_an_unknown_customer_changes_nothing(  # type: ignore[no-untyped-def]
    api, hooks, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    checkout(api, tenant_a)
    forged = {
        "customer": "cus_Alpha123",
        "payment_status": "paid",
        "metadata": {"tenant_id": tenant_b.tenant_id},
    }
    assert hooks(event("checkout.session.completed", forged, event_id="evt_x")).json() == {
        "outcome": "ignored"
    }
    stranger = {"customer": "cus_Stranger", "payment_status": "paid"}
    assert hooks(event("checkout.session.completed", stranger, event_id="evt_y")).json() == {
        "outcome": "ignored"
    }
    assert billing_status(tenant_a.tenant_id) is BillingStatus.NONE
    assert billing_status(tenant_b.tenant_id) is BillingStatus.NONE


@pytest.mark.parametrize("how", ["stale", "future", "wrong_secret", "missing"])
def test_bad_stripe_signatures_get_the_one_401(
    api, hooks, hooks_module, tenant_a: TenantFixture, how: str
) -> None:  # type: ignore[no-untyped-def]
    checkout(api, tenant_a)
    paid = event("invoice.paid", {"customer": "cus_Alpha123"}, event_id="evt_sig")
    if how == "stale":
        reply = hooks(paid, at=int(time.time()) - 301)
    elif how == "future":
        reply = hooks(paid, at=int(time.time()) + 3600)
    elif how == "wrong_secret":
        reply = hooks(paid, secret="whsec_" + "w" * 32)
    else:
        raw = proxy_event("POST", "/webhooks/stripe", raw_body=json.dumps(paid))
        reply = invoke(hooks_module.lambda_handler, raw)
    body = reply.json()
    body["error"].pop("request_id")
    assert (reply.status, body) == REJECTED
    assert billing_status(tenant_a.tenant_id) is BillingStatus.NONE


def test_a_replayed_event_has_one_effect_sequential_and_concurrent(
    api, hooks, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    checkout(api, tenant_a)
    paid = event("invoice.paid", {"customer": "cus_Alpha123"}, event_id="evt_once")
    replies = [hooks(paid) for _ in range(5)]

    def deliver() -> None:
        replies.append(hooks(paid))

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {(r.status, r.body) for r in replies} == {(200, '{"outcome":"applied"}')}
    assert len(changes(tenant_a)) == 1
