"""Delivery status of each text and call the dispatch sent, as the provider's callbacks report it.

One ``Delivery`` record per provider reference (collection ``DELIVERY``, sort key the
Twilio SID or the voice agent's call id), written only by status callbacks; the campaign
report joins it to each contact's outcome through the outcome's ``provider_ref``.

Why a record of its own instead of writing into the outcome: a provider calls back
within a second of accepting a send, while the batch records its outcomes only after
its last send, with unconditional batched writes. A callback that wrote into the outcome
could arrive first and be overwritten. Here each item has one writer, so no callback is
lost whatever the order, and the batch writes nothing more than before.

Statuses only move forward: each has a rank, and a callback is applied with a
conditional write on the version read, only when its status outranks the stored one. A
final status (delivered, undelivered, failed, completed, busy, no answer, canceled) is
never replaced. Applying the same callback twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Final

from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, Invalid
from gatehouse.observability import metrics
from gatehouse.tenancy import TenantRecord, TenantScope


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    INITIATED = "initiated"
    RINGING = "ringing"
    ANSWERED = "answered"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CANCELED = "canceled"


FINAL: Final = frozenset(
    {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.UNDELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.COMPLETED,
        DeliveryStatus.BUSY,
        DeliveryStatus.NO_ANSWER,
        DeliveryStatus.CANCELED,
    }
)
_RANK: Final = {
    DeliveryStatus.QUEUED: 1,
    DeliveryStatus.INITIATED: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.RINGING: 2,
    DeliveryStatus.ANSWERED: 3,
    **dict.fromkeys(FINAL, 9),
}

# Twilio's words (MessageStatus / CallStatus) for each status; anything else is refused.
TWILIO_MESSAGE: Final = {
    "accepted": DeliveryStatus.QUEUED,
    "scheduled": DeliveryStatus.QUEUED,
    "queued": DeliveryStatus.QUEUED,
    "sending": DeliveryStatus.QUEUED,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.CANCELED,
}
TWILIO_CALL: Final = {
    "queued": DeliveryStatus.INITIATED,
    "initiated": DeliveryStatus.INITIATED,
    "ringing": DeliveryStatus.RINGING,
    "answered": DeliveryStatus.ANSWERED,
    "in-progress": DeliveryStatus.ANSWERED,
    "completed": DeliveryStatus.COMPLETED,
    "busy": DeliveryStatus.BUSY,
    "no-answer": DeliveryStatus.NO_ANSWER,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.CANCELED,
}
PROVIDER_REF: Final = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
ERROR_CODE: Final = re.compile(r"^[0-9]{1,6}$")
MAX_DURATION_SECONDS: Final = 24 * 3600
_ROUNDS: Final = 5


def rank(status: DeliveryStatus | None) -> int:
    return 0 if status is None else _RANK[status]


def moves_forward(current: DeliveryStatus | None, new: DeliveryStatus) -> bool:
    """A later status, never an earlier one or a second final one."""
    return current not in FINAL and rank(new) > rank(current)


class Delivery(TenantRecord):
    collection = "DELIVERY"

    provider_ref: str
    status: DeliveryStatus
    error_code: str | None = None
    duration_seconds: int | None = None
    updated_at: datetime

    def sort_key(self) -> str:
        return self.provider_ref


def parse_error_code(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not ERROR_CODE.fullmatch(value):
        raise Invalid("ErrorCode is not a provider error code")
    return value


def parse_duration(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) > MAX_DURATION_SECONDS:
        raise Invalid("the duration is not a number of seconds")
    return int(value)


def apply_status(
    scope: TenantScope,
    provider_ref: str,
    status: DeliveryStatus,
    *,
    error_code: str | None = None,
    duration_seconds: int | None = None,
    clock: Clock = utc_now,
) -> Delivery | None:
    """Move the send's delivery status forward to ``status``; None when it is not a step forward."""
    if not PROVIDER_REF.fullmatch(provider_ref):
        raise Invalid("not a provider reference")
    for _ in range(_ROUNDS):
        current = scope.get(Delivery, provider_ref)
        if current is not None and not moves_forward(current.status, status):
            metrics.add_metric(name="DeliveryStatusStale", unit="Count", value=1)
            return None
        base = current or Delivery(provider_ref=provider_ref, status=status, updated_at=clock())
        duration = duration_seconds if duration_seconds is not None else base.duration_seconds
        changed = base.model_copy(
            update={
                "status": status,
                "error_code": error_code or base.error_code,
                "duration_seconds": duration,
                "updated_at": clock(),
            }
        )
        try:
            saved = scope.save(changed)  # conditional on the version read (0: only if absent)
        except Conflict:
            continue
        metrics.add_metric(name=f"Delivery{status.value.title().replace('_', '')}", unit="Count", value=1)
        return saved
    raise Conflict("the delivery status changed concurrently; retry")


def deliveries(scope: TenantScope, provider_refs: Iterable[str]) -> dict[str, Delivery]:
    """The delivery status of each reference that has one (one batched read)."""
    refs = [ref for ref in provider_refs if PROVIDER_REF.fullmatch(ref)]
    return scope.batch_get(Delivery, refs) if refs else {}
