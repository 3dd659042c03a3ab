"""The delivery queue's messages: one per (event, endpoint), carried until delivered or given up.

A message names the tenant, the endpoint, the event (its stable id and type), when it was
first tried, which attempt comes next, and the body exactly as it is signed and sent, so
every retry sends the same bytes under the same ``webhook-id``. It never carries the
secret (the delivery opens it) nor anything the body does not (ids and outcomes only).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from pydantic import ConfigDict, Field

from gatehouse.clients import aws_client
from gatehouse.config import get_settings
from gatehouse.errors import Unavailable
from gatehouse.models import GatehouseModel

BATCH: Final = 10  # SendMessageBatch's limit
MAX_BODY_CHARS: Final = 64 * 1024


class Delivery(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str = Field(pattern=r"^tnt_[a-z2-7]{26}$")
    endpoint_id: str = Field(pattern=r"^ep_[a-z2-7]{26}$")
    event_id: str = Field(pattern=r"^evt_[a-z2-7]{26}$")
    event_type: str = Field(max_length=64)
    first_at: datetime | None = None  # None until the first attempt is made
    attempt: int = Field(default=1, ge=1, le=1000)  # the attempt this message is for
    not_before: datetime | None = None  # a wait longer than SQS delays: not tried before this
    body: str = Field(max_length=MAX_BODY_CHARS)


def send(deliveries: Sequence[Delivery], *, delay_seconds: int = 0) -> None:
    """Queue the deliveries; Unavailable (retry) when SQS did not take every one of them."""
    url = get_settings().event_deliveries_queue_url
    _send(url, deliveries, delay_seconds)


def send_to_dead_letters(delivery: Delivery) -> None:
    _send(get_settings().event_deliveries_dlq_url, [delivery], 0)


def _send(url: str, deliveries: Sequence[Delivery], delay_seconds: int) -> None:
    if not deliveries:
        return
    if not url:
        raise Unavailable("no event delivery queue is configured")
    sqs = aws_client("sqs")
    for start in range(0, len(deliveries), BATCH):
        chunk = deliveries[start : start + BATCH]
        answer = sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "MessageBody": d.model_dump_json(), "DelaySeconds": delay_seconds}
                for i, d in enumerate(chunk)
            ],
        )
        if answer.get("Failed"):
            raise Unavailable("the event delivery queue refused a message; retry later")


def parse(body: str) -> Delivery:
    return Delivery.model_validate_json(body)
