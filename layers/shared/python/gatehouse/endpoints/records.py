"""The stored records of a tenant's event endpoints: the endpoint, its delivery claims, its attempts.

``EventEndpoint`` (collection ``EVENT_ENDPOINT``, sort key = the endpoint id) holds the
URL, the subscribed types and the signing secret sealed under the tenant's data key with
the purpose ``event_endpoint:<endpoint id>`` (so a sealed secret opens for no other
endpoint); after a rotation the secret before it stays, sealed the same way, until
``previous_valid_until``. ``DeliveryClaim`` (sort key ``<endpoint id>#<event id>``) is the
one conditional put that lets an event enter an endpoint's queue once. ``DeliveryAttempt``
(sort key ``<endpoint id>#<instant>#<event id>#<attempt>``) is one line of the delivery
log; it never holds the body. Claims and attempts expire with DynamoDB's TTL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from pydantic import ConfigDict

from gatehouse.events.occurrence import EventType
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantRecord
from gatehouse.tenancy.records import time_bound

ID_PREFIX: Final = "ep"
# Longer than any retry (24 hours) and than DynamoDB Streams keep a record (24 hours).
CLAIM_KEPT: Final = timedelta(days=7)
ATTEMPT_KEPT: Final = timedelta(days=30)
# The type of the test event ``POST /event-endpoints/{id}/test`` queues; no endpoint subscribes to it.
PING: Final = "ping"


def secret_purpose(endpoint_id: str) -> str:
    """The encryption context purpose an endpoint's secrets are sealed under."""
    return f"event_endpoint:{endpoint_id}"


class SecretFingerprint(GatehouseModel):
    """All that is shown of a signing secret after it was created: when, and its last four characters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    set_at: datetime
    last4: str


class EventEndpoint(TenantRecord):
    collection = "EVENT_ENDPOINT"

    endpoint_id: str
    url: str
    event_types: list[EventType]
    description: str = ""
    enabled: bool = True
    # Since when the endpoint has been enabled: "no success for 24 hours" counts from here at most.
    enabled_since: datetime
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    sealed_secret: str
    fingerprint: SecretFingerprint
    previous_sealed_secret: str | None = None
    previous_valid_until: datetime | None = None
    last_success_at: datetime | None = None
    created_at: datetime
    created_by: str
    updated_at: datetime | None = None
    updated_by: str | None = None

    def sort_key(self) -> str:
        return self.endpoint_id

    def subscribed(self, event_type: str) -> bool:
        return self.enabled and event_type in self.event_types

    def healthy_since(self) -> datetime:
        """The last instant the endpoint is known to have been fine: its last success, or its enabling."""
        if self.last_success_at is None:
            return self.enabled_since
        return max(self.last_success_at, self.enabled_since)


class DeliveryClaim(TenantRecord):
    """An event claimed for one endpoint: written once, with a condition, before the event is queued."""

    collection = "EVENT_DELIVERY"

    endpoint_id: str
    event_id: str
    event_type: str
    claimed_at: datetime
    queued: bool = False  # False: a claimer may have stopped before queueing it; queue it again

    def sort_key(self) -> str:
        return claim_key(self.endpoint_id, self.event_id)

    def expires(self) -> datetime | None:
        return self.claimed_at + CLAIM_KEPT


def claim_key(endpoint_id: str, event_id: str) -> str:
    return f"{endpoint_id}#{event_id}"


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"


class FailureClass(StrEnum):
    """Why an attempt failed, when the endpoint gave no 2xx: what the delivery log shows."""

    HTTP_STATUS = "http_status"  # it answered, with something other than 2xx
    REDIRECT = "redirect"  # 3xx: never followed
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    TLS = "tls"
    SSRF_REFUSED = "ssrf_refused"  # the host resolved to an address that is not public
    UNRESOLVED = "unresolved"  # the host did not resolve
    SECRET_UNAVAILABLE = "secret_unavailable"  # noqa: S105 - a reason code: the secret did not open


class DeliveryAttempt(TenantRecord):
    collection = "EVENT_ATTEMPT"

    endpoint_id: str
    event_id: str
    event_type: str
    attempt: int
    at: datetime
    outcome: AttemptOutcome
    status_code: int | None = None
    error: FailureClass | None = None
    next_attempt_at: datetime | None = None  # None: delivered, or given up

    def sort_key(self) -> str:
        return f"{self.endpoint_id}#{time_bound(self.at)}#{self.event_id}#{self.attempt:03d}"

    def expires(self) -> datetime | None:
        return self.at + ATTEMPT_KEPT
