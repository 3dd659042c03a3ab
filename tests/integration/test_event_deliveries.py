"""Fan-out and delivery of events: once per event and endpoint, ids and outcomes only, retried for 24 hours,
then parked in the dead-letter queue and the endpoint disabled when nothing has succeeded for 24 hours.

Rule: issue 20, "Events out to the tenant's systems" (at least once with a stable event id; retried
with backoff for 24 hours through a queue with a DLQ; an endpoint failing for 24 hours is disabled).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from gatehouse import audit
from gatehouse.config import get_settings
from gatehouse.endpoints import fanout, manage, on_occurrence
from gatehouse.endpoints.delivery import Step, deliver
from gatehouse.endpoints.queue import Delivery, parse
from gatehouse.endpoints.records import DeliveryAttempt, EventEndpoint
from gatehouse.events.occurrence import EventType, Occurrence, event_id_for
from gatehouse.identity.caller import operator
from tests.conftest import TenantFixture
from tests.support import clients
from tests.support.receiver import local_receiver

CONTACT = "con_" + "b" * 26


@pytest.fixture
def loopback(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GATEHOUSE_EVENTS_ALLOW_LOOPBACK", "true")  # as local.runtime sets it
    get_settings.cache_clear()
    fanout.forget_endpoints()
    yield
    get_settings.cache_clear()


def owner_of(tenant: TenantFixture) -> Any:
    return operator(tenant.tenant_id, "fixtures", request_id="fixtures")


def held(tenant: TenantFixture, **data: Any) -> Occurrence:
    return Occurrence(
        event_id=event_id_for(tenant.tenant_id, "audit", "7"),
        tenant_id=tenant.tenant_id,
        kind="suppression.held",
        at=datetime(2025, 3, 1, 12, tzinfo=UTC),
        target_type="suppression",
        target_id="0123456789abcdef",
        actor="system:webhooks",
        data={"contact_id": CONTACT, **data},
    )


def queued() -> list[Delivery]:
    sqs = clients.client("sqs")
    url = get_settings().event_deliveries_queue_url
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in found:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [parse(m["Body"]) for m in found]


def queue_depth(setting: str) -> dict[str, int]:
    url = getattr(get_settings(), setting)
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"]
    got = clients.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return {"visible": int(got[names[0]]), "delayed": int(got[names[1]])}


def test_an_occurrence_goes_once_to_each_enabled_endpoint_subscribed_to_its_type(
    tenant_a: TenantFixture, loopback: None
) -> None:
    caller = owner_of(tenant_a)
    wanted = manage.register(
        tenant_a.scope, caller, "https://a.example.com/in", [EventType.CONTACT_HELD_FOR_REVIEW]
    )
    manage.register(tenant_a.scope, caller, "https://b.example.com/in", [EventType.MESSAGE_SENT])
    off = manage.register(
        tenant_a.scope, caller, "https://c.example.com/in", [EventType.CONTACT_HELD_FOR_REVIEW]
    )
    manage.update(tenant_a.scope, caller, off.endpoint.endpoint_id, manage.Changes(enabled=False))

    on_occurrence(held(tenant_a))
    on_occurrence(held(tenant_a))  # the same committed write read again: nothing is queued twice

    (delivery,) = queued()
    assert (delivery.endpoint_id, delivery.event_type) == (
        wanted.endpoint.endpoint_id,
        "contact.held_for_review",
    )
    assert delivery.event_id == held(tenant_a).event_id


def test_a_payload_carries_ids_and_outcomes_never_a_number_a_body_or_evidence(
    tenant_a: TenantFixture, loopback: None
) -> None:
    manage.register(tenant_a.scope, owner_of(tenant_a), "https://a.example.com/in", list(EventType))
    occurrence = held(
        tenant_a,
        phone="+14155550101",
        channel="sms",
        body="stop texting me, this is Alphaperson",
        consent={"source": "web form", "ip": "203.0.113.9"},
        number_key="a" * 64,
    )
    on_occurrence(occurrence)
    (delivery,) = queued()
    assert '"data":{"channel":"sms","contact_id":"' + CONTACT + '"}' in delivery.body
    for leaked in ("+1415", "Alphaperson", "203.0.113.9", "a" * 64):
        assert leaked not in delivery.model_dump_json()


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("suppression.added", {"source": "sms_stop", "contact_id": CONTACT}, "contact.opted_out"),
        ("suppression.added", {"sources": ["manual", "voice_stop_request"]}, "contact.opted_out"),
        ("suppression.added", {"source": "import"}, None),  # not the person's own revocation
        ("suppression.added", {"source": "manual"}, None),
        ("suppression.hold_confirmed", {"contact_id": CONTACT}, "contact.opted_out"),
        ("campaign.paused", {"reason": "dnc_source_failed"}, "campaign.paused"),
        ("campaign.completed", {}, "campaign.completed"),
        ("contacts.imported", {"rows": 3, "errors": 1}, "import.completed"),
        ("message.failed", {"error_code": "30007"}, "message.failed"),
        ("campaign.approved", {}, None),
        ("event_endpoint.disabled", {}, None),
    ],
)
def test_audit_actions_map_to_the_public_types(kind: str, data: dict[str, Any], expected: str | None) -> None:
    occurrence = Occurrence(
        event_id="evt_" + "c" * 26,
        tenant_id="tnt_" + "d" * 26,
        kind=kind,
        at=datetime(2025, 3, 1, tzinfo=UTC),
        target_type="x",
        target_id="cmp_" + "e" * 26,
        data=data,
    )
    found = fanout.public_type(occurrence)
    assert found == (EventType(expected) if expected else None)
    if found is EventType.CAMPAIGN_PAUSED:
        assert fanout.payload_data(found, occurrence) == {
            "campaign_id": "cmp_" + "e" * 26,
            "reason": "dnc_source_failed",
        }


def test_a_delivery_is_signed_and_verified_by_the_receiver_with_its_stable_id(
    tenant_a: TenantFixture, loopback: None
) -> None:
    with local_receiver() as receiver:
        made = manage.register(
            tenant_a.scope, owner_of(tenant_a), receiver.url, [EventType.CONTACT_HELD_FOR_REVIEW]
        )
        on_occurrence(held(tenant_a))
        (delivery,) = queued()
        assert deliver(delivery) is Step.DELIVERED
    (got,) = receiver.received
    payload = Webhook(made.secret).verify(got.body, got.headers)
    assert payload == {
        "type": "contact.held_for_review",
        "timestamp": "2025-03-01T12:00:00Z",
        "data": {"contact_id": CONTACT},
    }
    assert got.headers["webhook-id"] == held(tenant_a).event_id
    assert tenant_a.scope.require(EventEndpoint, made.endpoint.endpoint_id).last_success_at is not None


def test_a_failure_is_logged_and_retried_with_a_delay(tenant_a: TenantFixture, loopback: None) -> None:
    with local_receiver(status=503) as receiver:
        made = manage.register(
            tenant_a.scope, owner_of(tenant_a), receiver.url, [EventType.CONTACT_HELD_FOR_REVIEW]
        )
        on_occurrence(held(tenant_a))
        (delivery,) = queued()
        now = datetime.now(UTC)
        assert deliver(delivery, clock=lambda: now, jitter=lambda: 0.0) is Step.RETRY_QUEUED
    assert queue_depth("event_deliveries_queue_url") == {"visible": 0, "delayed": 1}
    (attempt,) = manage.list_attempts(tenant_a.scope, made.endpoint.endpoint_id, limit=10, cursor=None).items
    assert (attempt.attempt, attempt.status_code, attempt.error) == (1, 503, "http_status")
    assert attempt.next_attempt_at == now + timedelta(seconds=30)


def test_a_wait_beyond_15_minutes_is_carried_and_delayed_again_without_an_attempt(
    tenant_a: TenantFixture, loopback: None
) -> None:
    with local_receiver() as receiver:
        made = manage.register(tenant_a.scope, owner_of(tenant_a), receiver.url, [EventType.MESSAGE_SENT])
        now = datetime.now(UTC)
        later = Delivery(
            tenant_id=tenant_a.tenant_id,
            endpoint_id=made.endpoint.endpoint_id,
            event_id="evt_" + "f" * 26,
            event_type="message.sent",
            first_at=now - timedelta(hours=3),
            attempt=7,
            not_before=now + timedelta(hours=1),
            body="{}",
        )
        assert deliver(later, clock=lambda: now) is Step.WAITING
    assert receiver.received == []
    assert queue_depth("event_deliveries_queue_url")["delayed"] == 1


def failing_for_a_day(
    tenant: TenantFixture, url: str, *, last_success: timedelta | None
) -> tuple[Delivery, datetime]:
    made = manage.register(tenant.scope, owner_of(tenant), url, [EventType.MESSAGE_FAILED])
    now = datetime.now(UTC) + timedelta(hours=25)
    if last_success is not None:
        endpoint = tenant.scope.require(EventEndpoint, made.endpoint.endpoint_id)
        tenant.scope.save(endpoint.model_copy(update={"last_success_at": now - last_success}))
    fanout.forget_endpoints()
    delivery = Delivery(
        tenant_id=tenant.tenant_id,
        endpoint_id=made.endpoint.endpoint_id,
        event_id="evt_" + "g" * 26,
        event_type="message.failed",
        first_at=now - timedelta(hours=24),
        attempt=15,
        body='{"type":"message.failed"}',
    )
    return delivery, now


def test_after_24_hours_of_failing_the_delivery_is_parked_and_the_endpoint_disabled(
    tenant_a: TenantFixture, loopback: None
) -> None:
    with local_receiver(status=500) as receiver:
        delivery, now = failing_for_a_day(tenant_a, receiver.url, last_success=None)
        assert deliver(delivery, clock=lambda: now) is Step.GIVEN_UP
    assert queue_depth("event_deliveries_dlq_url")["visible"] == 1
    endpoint = tenant_a.scope.require(EventEndpoint, delivery.endpoint_id)
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, "failing_24h")
    (entry,) = [
        e
        for e in audit.list_entries(tenant_a.tenant_id, limit=50).items
        if e.action == "event_endpoint.disabled"
    ]
    assert entry.actor.label == "system:event_deliveries"
    assert "whsec_" not in entry.model_dump_json()
    # What is queued for it afterwards is dropped, not sent.
    assert deliver(delivery.model_copy(update={"attempt": 1}), clock=lambda: now) is Step.DROPPED


def test_an_endpoint_that_succeeded_within_24_hours_stays_enabled_when_one_delivery_is_given_up(
    tenant_a: TenantFixture, loopback: None
) -> None:
    with local_receiver(status=500) as receiver:
        delivery, now = failing_for_a_day(tenant_a, receiver.url, last_success=timedelta(hours=2))
        assert deliver(delivery, clock=lambda: now) is Step.GIVEN_UP
    assert tenant_a.scope.require(EventEndpoint, delivery.endpoint_id).enabled
    attempts = tenant_a.scope.query(DeliveryAttempt, prefix=f"{delivery.endpoint_id}#").items
    assert [(a.attempt, a.next_attempt_at) for a in attempts] == [(15, None)]


def test_a_tenant_without_endpoints_queues_nothing(
    tenant_a: TenantFixture, tenant_b: TenantFixture, loopback: None
) -> None:
    manage.register(tenant_b.scope, owner_of(tenant_b), "https://b.example.com/in", list(EventType))
    on_occurrence(held(tenant_a))
    assert queued() == []
