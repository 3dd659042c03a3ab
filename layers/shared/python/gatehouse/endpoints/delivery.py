"""One queued delivery taken off the queue: signed, posted, logged, and retried or given up.

``deliver`` makes at most one attempt per message. A message whose ``not_before`` has not
come goes back with a delay and no attempt. Otherwise the endpoint is read (gone, or
disabled, and the event is dropped; a ``ping`` goes to a disabled endpoint too), its live
secrets are opened for this moment only, and the body is posted through the SSRF guard.
Each attempt is a line in the endpoint's delivery log (status code or failure class,
never the body). A failure is queued again after the backoff of ``retries``; once 24
hours have passed since the first attempt the delivery goes to the dead-letter queue,
and when the endpoint has had no success for 24 hours it is disabled, audited as
``event_endpoint.disabled`` (which tells its owners).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from gatehouse.clock import Clock, utc_now
from gatehouse.endpoints import manage, queue, retries, signing, transport
from gatehouse.endpoints.queue import Delivery
from gatehouse.endpoints.records import (
    PING,
    AttemptOutcome,
    DeliveryAttempt,
    EventEndpoint,
    FailureClass,
    secret_purpose,
)
from gatehouse.errors import Conflict
from gatehouse.identity.caller import system
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import TenantScope
from gatehouse.vault.envelope import SealRejected, get_envelope

SERVICE: Final = "event_deliveries"
# A success is written on the endpoint at most this often: a busy endpoint is not rewritten per event.
SUCCESS_RESOLUTION: Final = timedelta(minutes=1)

Poster = Callable[[str, bytes, Mapping[str, str]], transport.Answer]


class Step(StrEnum):
    DELIVERED = "delivered"
    RETRY_QUEUED = "retry_queued"
    GIVEN_UP = "given_up"
    WAITING = "waiting"  # not_before has not come: delayed again, no attempt
    DROPPED = "dropped"  # the endpoint is gone or disabled


def deliver(
    delivery: Delivery,
    *,
    clock: Clock = utc_now,
    post: Poster = transport.post,
    jitter: retries.Jitter = random.random,
) -> Step:
    now = clock()
    if delivery.not_before is not None and now < delivery.not_before:
        queue.send([delivery], delay_seconds=retries.queue_delay(delivery.not_before, now))
        return Step.WAITING
    scope = TenantScope(delivery.tenant_id)
    endpoint = scope.get(EventEndpoint, delivery.endpoint_id)
    if endpoint is None or not (endpoint.enabled or delivery.event_type == PING):
        logger.info("event dropped: endpoint gone or disabled", extra=_ids(delivery))
        return Step.DROPPED
    first_at = delivery.first_at or now
    answer = _attempt(scope, endpoint, delivery, now, post)
    if answer.delivered:
        _log_attempt(scope, delivery, now, answer, None)
        _note_success(scope, endpoint, now)
        metrics.add_metric(name="EventDelivered", unit="Count", value=1)
        return Step.DELIVERED
    metrics.add_metric(name="EventDeliveryFailed", unit="Count", value=1)
    next_at = retries.next_attempt_at(delivery.attempt, first_at, now, jitter)
    _log_attempt(scope, delivery, now, answer, next_at)
    if next_at is not None:
        wait = retries.queue_delay(next_at, now)
        again = delivery.model_copy(
            update={
                "attempt": delivery.attempt + 1,
                "first_at": first_at,
                "not_before": next_at if next_at - now > timedelta(seconds=wait) else None,
            }
        )
        queue.send([again], delay_seconds=wait)
        return Step.RETRY_QUEUED
    queue.send_to_dead_letters(delivery.model_copy(update={"first_at": first_at}))
    logger.warning("event given up after 24 hours", extra=_ids(delivery))
    _disable_if_failing(scope, endpoint, delivery, now)
    return Step.GIVEN_UP


def _disable_if_failing(
    scope: TenantScope, endpoint: EventEndpoint, delivery: Delivery, now: datetime
) -> None:
    current: EventEndpoint | None = endpoint
    for _ in range(3):
        if current is None or not current.enabled or not retries.should_disable(current.healthy_since(), now):
            return
        try:
            manage.disable_failing(scope, system(scope.tenant_id, SERVICE), current, now=now)
        except Conflict:  # a success or a change landed meanwhile: decide again on what stands
            current = scope.get(EventEndpoint, endpoint.endpoint_id)
            continue
        logger.warning("event endpoint disabled: failing for 24 hours", extra=_ids(delivery))
        return


def live_secrets(scope: TenantScope, endpoint: EventEndpoint, now: datetime) -> list[str]:
    """The endpoint's secrets that sign now: the current one, and the one before it during its grace."""
    sealed = [endpoint.sealed_secret]
    if (
        endpoint.previous_sealed_secret
        and endpoint.previous_valid_until
        and now < endpoint.previous_valid_until
    ):
        sealed.append(endpoint.previous_sealed_secret)
    envelope = get_envelope()
    purpose = secret_purpose(endpoint.endpoint_id)
    return [envelope.open(s, tenant_id=scope.tenant_id, purpose=purpose).decode("ascii") for s in sealed]


def _attempt(
    scope: TenantScope, endpoint: EventEndpoint, delivery: Delivery, now: datetime, post: Poster
) -> transport.Answer:
    try:
        secrets = live_secrets(scope, endpoint, now)
    except (SealRejected, UnicodeDecodeError):
        logger.error("event endpoint secret does not open", extra=_ids(delivery))
        return transport.Answer(None, FailureClass.SECRET_UNAVAILABLE)
    body = delivery.body.encode("utf-8")
    headers = signing.headers(secrets, delivery.event_id, int(now.timestamp()), body)
    return post(endpoint.url, body, headers)


def _log_attempt(
    scope: TenantScope, delivery: Delivery, now: datetime, answer: transport.Answer, next_at: datetime | None
) -> None:
    scope.save(
        DeliveryAttempt(
            endpoint_id=delivery.endpoint_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            attempt=delivery.attempt,
            at=now,
            outcome=AttemptOutcome.DELIVERED if answer.delivered else AttemptOutcome.FAILED,
            status_code=answer.status_code,
            error=answer.error,
            next_attempt_at=next_at,
        )
    )


def _note_success(scope: TenantScope, endpoint: EventEndpoint, now: datetime) -> None:
    current: EventEndpoint | None = endpoint
    for _ in range(2):
        if current is None or (
            current.last_success_at and now - current.last_success_at < SUCCESS_RESOLUTION
        ):
            return
        try:
            scope.save(current.model_copy(update={"last_success_at": now}))
            return
        except Conflict:
            current = scope.get(EventEndpoint, endpoint.endpoint_id)


def _ids(delivery: Delivery) -> dict[str, object]:
    return {
        "tenant_id": delivery.tenant_id,
        "endpoint_id": delivery.endpoint_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "attempt": delivery.attempt,
    }
