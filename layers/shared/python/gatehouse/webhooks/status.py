"""Status callbacks, after the signature: what a provider says became of a text or a call.

Twilio posts a message's status (``MessageSid``, ``MessageStatus``, ``ErrorCode`` when it
failed) and a call's (``CallSid``, ``CallStatus``, ``CallDuration`` when it ended) to the
status callback URL each send named; the voice agent's call events say the same of the
calls it placed. Each becomes one ``StatusUpdate`` and moves the send's delivery status
forward (``gatehouse.dispatch.delivery``), never back. The webhook function applies each
(provider id, status) once. Nothing here logs a number or a body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from gatehouse.dispatch.delivery import (
    PROVIDER_REF,
    TWILIO_CALL,
    TWILIO_MESSAGE,
    DeliveryStatus,
    apply_status,
    parse_duration,
    parse_error_code,
)
from gatehouse.errors import Invalid
from gatehouse.observability import logger
from gatehouse.tenancy import TenantScope
from gatehouse.webhooks.call_payload import CallEvent, CallEventType, CallOutcome

# What a call's outcome means for the send's delivery: it went through, or it never connected.
_DELIVERY = {
    CallOutcome.ANSWERED: DeliveryStatus.COMPLETED,
    CallOutcome.VOICEMAIL: DeliveryStatus.COMPLETED,
    CallOutcome.NO_ANSWER: DeliveryStatus.NO_ANSWER,
    CallOutcome.BUSY: DeliveryStatus.BUSY,
    CallOutcome.FAILED: DeliveryStatus.FAILED,
}


# Seconds as Twilio writes them; checked before conversion (thousands of digits are past ``int``).
_SECONDS = re.compile(r"[0-9]{1,9}")


class Kind(StrEnum):
    MESSAGE = "message"
    CALL = "call"


@dataclass(frozen=True)
class StatusUpdate:
    provider_ref: str
    status: DeliveryStatus
    raw_status: str  # the provider's own word: with the id, the key that applies it once
    error_code: str | None = None
    duration_seconds: int | None = None


def from_twilio(
    kind: Kind, sid: str, status: str, error_code: str | None, duration: str | None
) -> StatusUpdate:
    """Read one Twilio status callback's fields (already verified); unknown words are refused."""
    if not PROVIDER_REF.fullmatch(sid):
        raise Invalid(f"not a {kind.value} SID")
    words = TWILIO_MESSAGE if kind is Kind.MESSAGE else TWILIO_CALL
    found = words.get(status.strip().lower())
    if found is None:
        raise Invalid(f"not a {kind.value} status this webhook understands")
    if duration and not _SECONDS.fullmatch(duration):
        raise Invalid("the duration is not a number of seconds")
    return StatusUpdate(
        provider_ref=sid,
        status=found,
        raw_status=status.strip().lower(),
        error_code=parse_error_code(error_code),
        duration_seconds=parse_duration(duration),
    )


def from_voice_event(event: CallEvent) -> StatusUpdate | None:
    """The delivery status a voice-agent call event carries (None: it adds none)."""
    call = event.call
    if event.event is CallEventType.CALL_STARTED:
        status = DeliveryStatus.ANSWERED
    elif event.event is CallEventType.CALL_PROGRESS and call.call_status == "ringing":
        status = DeliveryStatus.RINGING
    elif call.outcome is not None:  # ended, or analyzed after it ended
        status = _DELIVERY[call.outcome]
    elif event.event is CallEventType.CALL_ENDED:
        status = DeliveryStatus.COMPLETED
    else:
        return None
    duration = None
    if call.start_timestamp and call.end_timestamp and call.end_timestamp >= call.start_timestamp:
        duration = (call.end_timestamp - call.start_timestamp) // 1000
    return StatusUpdate(call.call_id, status, event.once_key, duration_seconds=duration)


def apply(scope: TenantScope, update: StatusUpdate) -> bool:
    """Move the send's status forward; False when the callback came late and changed nothing."""
    moved = apply_status(
        scope,
        update.provider_ref,
        update.status,
        error_code=update.error_code,
        duration_seconds=update.duration_seconds,
    )
    logger.info(
        "delivery status",
        extra={"tenant_id": scope.tenant_id, "status": update.status.value, "applied": moved is not None},
    )
    return moved is not None
