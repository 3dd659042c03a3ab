"""The event endpoint routes: registration refuses unsafe URLs, the secret is shown once, rotation keeps
both secrets signing for 24 hours, a test ping reaches the receiver signed, and the delivery log shows it.

Rule: issue 20, "Events out to the tenant's systems" (Standard Webhooks signatures, a per-endpoint
secret shown once, outbound calls to public HTTPS addresses only).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from gatehouse import audit
from gatehouse.config import get_settings
from gatehouse.endpoints import fanout
from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture
from tests.support import clients
from tests.support.events import FakeLambdaContext
from tests.support.functions import load_function_module
from tests.support.receiver import local_receiver

Api = Callable[..., Any]


@pytest.fixture(scope="module")
def deliveries_module() -> ModuleType:
    return load_function_module("EventDeliveriesFunction")


@pytest.fixture
def loopback(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GATEHOUSE_EVENTS_ALLOW_LOOPBACK", "true")  # as local.runtime sets it
    get_settings.cache_clear()
    fanout.forget_endpoints()
    yield
    get_settings.cache_clear()


def run_deliveries(module: ModuleType) -> dict[str, Any]:
    """Hand what is visible on the delivery queue to the delivery function, as Lambda's SQS source does."""
    sqs = clients.client("sqs")
    url = get_settings().event_deliveries_queue_url
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    event = {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:event-deliveries",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }
    answer: dict[str, Any] = module.lambda_handler(event, FakeLambdaContext())
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return {"handled": len(messages), **answer}


def register(api: Api, tenant: TenantFixture, url: str, types: list[str] | None = None) -> Any:
    return api(
        "POST",
        "/event-endpoints",
        token=tenant.keys[Role.ADMIN],
        body={"url": url, "event_types": types or ["contact.held_for_review"], "description": "CRM"},
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",
        "https://10.0.0.8/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://user:pw@hooks.example.com/in",
        "https://hooks.example.com:8443/in",
        "https://localhost/in",
        "http://127.0.0.1:9000/in",  # the local receiver, where the local runtime does not allow it
    ],
)
def test_an_unsafe_url_is_refused_on_its_field_and_nothing_is_registered(
    api: Api, tenant_a: TenantFixture, url: str
) -> None:
    reply = register(api, tenant_a, url)
    assert reply.status == 422, reply.body
    assert [d["field"] for d in reply.json()["error"]["details"]] == ["body.url"]
    assert url not in reply.body
    assert api("GET", "/event-endpoints", token=tenant_a.keys[Role.OWNER]).json()["items"] == []


@pytest.mark.parametrize("types", [[], ["message.sent", "contact.deleted"], ["ping"]])
def test_event_types_must_be_public_ones(api: Api, tenant_a: TenantFixture, types: list[str]) -> None:
    reply = api(
        "POST",
        "/event-endpoints",
        token=tenant_a.keys[Role.OWNER],
        body={"url": "https://hooks.example.com/in", "event_types": types},
    )
    assert reply.status == 422


def test_the_secret_is_shown_once_and_never_again_nor_in_the_audit(api: Api, tenant_a: TenantFixture) -> None:
    created = register(api, tenant_a, "https://hooks.example.com/in?key=abc")
    assert created.status == 201, created.body
    secret, endpoint_id = created.json()["secret"], created.json()["endpoint_id"]
    assert secret.startswith("whsec_")
    assert created.json()["fingerprint"]["last4"] == secret[-4:]
    owner = tenant_a.keys[Role.OWNER]
    for path in ("/event-endpoints", f"/event-endpoints/{endpoint_id}"):
        reply = api("GET", path, token=owner)
        assert reply.status == 200
        assert secret not in reply.body
        assert secret[6:20] not in reply.body
        assert "sealed" not in reply.body
    entries = audit.list_entries(tenant_a.tenant_id, limit=50).items
    (entry,) = [e for e in entries if e.action == "event_endpoint.created"]
    dumped = entry.model_dump_json()
    assert secret[6:20] not in dumped
    assert "key=abc" not in dumped
    assert entry.changes.after is not None
    assert entry.changes.after["host"] == "hooks.example.com"


def test_a_test_ping_reaches_the_receiver_signed_and_shows_in_the_delivery_log(
    api: Api, tenant_a: TenantFixture, loopback: None, deliveries_module: ModuleType
) -> None:
    with local_receiver() as receiver:
        created = register(api, tenant_a, receiver.url).json()
        queued = api(
            "POST", f"/event-endpoints/{created['endpoint_id']}/test", token=tenant_a.keys[Role.OWNER]
        )
        assert queued.status == 202, queued.body
        assert run_deliveries(deliveries_module) == {"handled": 1, "batchItemFailures": []}
    (got,) = receiver.received
    payload = Webhook(created["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "ping"
    assert payload["data"] == {"endpoint_id": created["endpoint_id"]}
    assert got.headers["webhook-id"] == queued.json()["event_id"]
    log = api(
        "GET", f"/event-endpoints/{created['endpoint_id']}/deliveries", token=tenant_a.keys[Role.VIEWER]
    )
    assert log.status == 403  # the delivery log is the integrations' reading: owner and admin
    log = api("GET", f"/event-endpoints/{created['endpoint_id']}/deliveries", token=tenant_a.keys[Role.ADMIN])
    (line,) = log.json()["items"]
    assert (line["event_id"], line["event_type"], line["attempt"], line["status_code"], line["outcome"]) == (
        queued.json()["event_id"],
        "ping",
        1,
        204,
        "delivered",
    )
    assert "endpoint_id" not in json.dumps(line)
    assert got.body.decode() not in log.body


def test_after_a_rotation_both_secrets_verify_for_24_hours(
    api: Api, tenant_a: TenantFixture, loopback: None, deliveries_module: ModuleType
) -> None:
    with local_receiver() as receiver:
        created = register(api, tenant_a, receiver.url).json()
        rotated = api(
            "POST", f"/event-endpoints/{created['endpoint_id']}/secret", token=tenant_a.keys[Role.OWNER]
        )
        assert rotated.status == 200
        new_secret = rotated.json()["secret"]
        assert new_secret != created["secret"]
        assert rotated.json()["previous_secret_valid_until"] is not None
        api("POST", f"/event-endpoints/{created['endpoint_id']}/test", token=tenant_a.keys[Role.OWNER])
        run_deliveries(deliveries_module)
    (got,) = receiver.received
    for secret in (created["secret"], new_secret):
        Webhook(secret).verify(got.body, got.headers)
    actions = [e.action for e in audit.list_entries(tenant_a.tenant_id, limit=50).items]
    assert "event_endpoint.secret_rotated" in actions


def test_a_disabled_endpoint_is_re_enabled_by_patch_and_changes_are_audited(
    api: Api, tenant_a: TenantFixture
) -> None:
    endpoint_id = register(api, tenant_a, "https://hooks.example.com/in").json()["endpoint_id"]
    path, owner = f"/event-endpoints/{endpoint_id}", tenant_a.keys[Role.OWNER]
    off = api("PATCH", path, token=owner, body={"enabled": False})
    assert (off.json()["enabled"], off.json()["disabled_reason"]) == (False, "disabled_by_member")
    on = api("PATCH", path, token=owner, body={"enabled": True, "event_types": ["message.failed"]})
    assert (on.json()["enabled"], on.json()["event_types"], on.json()["disabled_at"]) == (
        True,
        ["message.failed"],
        None,
    )
    bad = api("PATCH", path, token=owner, body={"url": "https://192.168.0.1/in"})
    assert bad.status == 422
    assert api("GET", path, token=owner).json()["url"] == "https://hooks.example.com/in"
    assert api("DELETE", path, token=owner).status == 200
    assert api("GET", path, token=owner).status == 404
    actions = [e.action for e in audit.list_entries(tenant_a.tenant_id, limit=50).items]
    for action in ("event_endpoint.disabled", "event_endpoint.enabled", "event_endpoint.deleted"):
        assert action in actions
