"""Each voice vendor's own webhook bodies, read into the one ``CallEvent`` shape.

- Retell: ``{"event": "call_started" | "call_ended" | "call_analyzed", "call": {...}}`` with
  the call object of Retell's API (``call_id``, ``from_number``, ``to_number``,
  ``direction``, ``call_status``, ``start_timestamp`` / ``end_timestamp`` in milliseconds,
  ``disconnection_reason``, ``transcript``, ``transcript_object`` turns with roles
  ``agent`` / ``user``, ``recording_url``, ``call_analysis``, ``call_cost.combined_cost`` in
  cents, ``metadata``, ``retell_llm_dynamic_variables``).
- Vapi: server messages ``{"message": {"type": ..., "call": {...}, ...}}``: ``status-update``
  (the call's status) and ``end-of-call-report`` (``endedReason``, ``artifact`` with the
  transcript and its ``messages`` with roles ``bot`` / ``user``, ``analysis``, ``cost`` in
  dollars, ``startedAt`` / ``endedAt``).
- Twilio: a call status callback's form fields (``CallStatus``, ``AnsweredBy`` from
  answering-machine detection).

A well-formed event of a kind Gatehouse does not record (Retell's ``transcript_updated``,
Vapi's ``speech-update`` ...) reads as None: acknowledged, nothing changed. A body that is
not one of these shapes is ``Invalid``. Nothing here logs a body.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import ConfigDict, ValidationError

from gatehouse.errors import Invalid
from gatehouse.models import GatehouseModel
from gatehouse.vault.schemas import VoiceVendor
from gatehouse.webhooks.call_payload import (
    TURN_MAX,
    TURNS_MAX,
    CallAnalysis,
    CallEvent,
    CallEventType,
    CallOutcome,
    CallPayload,
    Speaker,
    Turn,
)

_REASON_MAX: Final = 100
_ROLES: Final = {
    "agent": Speaker.AGENT,
    "bot": Speaker.AGENT,
    "assistant": Speaker.AGENT,
    "user": Speaker.USER,
}
# Retell's disconnection reasons for a call that reached no one, or a machine.
_RETELL_OUTCOMES: Final = {
    "voicemail_reached": CallOutcome.VOICEMAIL,
    "ivr_reached": CallOutcome.VOICEMAIL,
    "dial_no_answer": CallOutcome.NO_ANSWER,
    "user_declined": CallOutcome.NO_ANSWER,
    "dial_busy": CallOutcome.BUSY,
}
_RETELL_NOT_CONNECTED: Final = ("dial_", "invalid_destination", "telephony_provider_", "sip_routing_")
# Vapi's ended reasons likewise; any other reason without a start is a failure to connect.
_VAPI_OUTCOMES: Final = {
    "voicemail": CallOutcome.VOICEMAIL,
    "customer-did-not-answer": CallOutcome.NO_ANSWER,
    "customer-busy": CallOutcome.BUSY,
}
_VAPI_STATUS_EVENTS: Final = {
    "scheduled": CallEventType.CALL_PROGRESS,
    "queued": CallEventType.CALL_PROGRESS,
    "ringing": CallEventType.CALL_PROGRESS,
    "in-progress": CallEventType.CALL_STARTED,
    "forwarding": CallEventType.CALL_PROGRESS,
    "ended": CallEventType.CALL_ENDED,
}
_TWILIO_EVENTS: Final = {
    "queued": CallEventType.CALL_PROGRESS,
    "initiated": CallEventType.CALL_PROGRESS,
    "ringing": CallEventType.CALL_PROGRESS,
    "in-progress": CallEventType.CALL_STARTED,
    "answered": CallEventType.CALL_STARTED,
    "completed": CallEventType.CALL_ENDED,
    "busy": CallEventType.CALL_ENDED,
    "no-answer": CallEventType.CALL_ENDED,
    "failed": CallEventType.CALL_ENDED,
    "canceled": CallEventType.CALL_ENDED,
}
_TWILIO_OUTCOMES: Final = {
    "busy": CallOutcome.BUSY,
    "no-answer": CallOutcome.NO_ANSWER,
    "failed": CallOutcome.FAILED,
    "canceled": CallOutcome.FAILED,
}
# What Twilio's answering-machine detection reports (AnsweredBy).
TWILIO_ANSWERED_BY: Final = frozenset(
    {
        "human",
        "machine_start",
        "machine_end_beep",
        "machine_end_silence",
        "machine_end_other",
        "fax",
        "unknown",
    }
)
_ENDED = (CallEventType.CALL_ENDED, CallEventType.CALL_ANALYZED)


class _Wire(GatehouseModel):
    model_config = ConfigDict(extra="ignore")


# ---------------------------------------------------------------- Retell


class _RetellUtterance(_Wire):
    role: str
    content: str = ""


class _RetellCost(_Wire):
    combined_cost: float | None = None


class _RetellCall(_Wire):
    call_id: str
    agent_id: str | None = None
    call_type: str | None = None
    direction: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    call_status: str | None = None
    start_timestamp: int | None = None
    end_timestamp: int | None = None
    disconnection_reason: str | None = None
    transcript: str | None = None
    transcript_object: list[_RetellUtterance] | None = None
    recording_url: str | None = None
    public_log_url: str | None = None
    call_analysis: CallAnalysis | None = None
    call_cost: _RetellCost | None = None
    metadata: dict[str, Any] | None = None
    retell_llm_dynamic_variables: dict[str, Any] | None = None


class _RetellEvent(_Wire):
    event: str
    call: _RetellCall


def _retell(raw: bytes) -> CallEvent | None:
    wire = _RetellEvent.model_validate_json(raw)
    try:
        kind = CallEventType(wire.event)
    except ValueError:
        return None  # transcript_updated, transfer_* ...: not what a call record keeps
    call = wire.call
    payload = CallPayload(
        call_id=call.call_id,
        vendor=VoiceVendor.RETELL.value,
        agent_id=call.agent_id,
        call_type=call.call_type,
        direction=call.direction or "outbound",
        from_number=call.from_number,
        to_number=call.to_number,
        call_status=call.call_status,
        start_timestamp=call.start_timestamp,
        end_timestamp=call.end_timestamp,
        disconnection_reason=_reason(call.disconnection_reason),
        outcome=_retell_outcome(call) if kind in _ENDED else None,
        transcript=call.transcript,
        turns=_turns((u.role, u.content) for u in call.transcript_object or []),
        recording_url=call.recording_url,
        public_log_url=call.public_log_url,
        call_analysis=call.call_analysis,
        cost_cents=call.call_cost.combined_cost if call.call_cost else None,
        metadata=call.metadata or {},
        dynamic_variables=_strings(call.retell_llm_dynamic_variables),
    )
    return CallEvent(event=kind, call=payload, wire_type=kind.value)


def _retell_outcome(call: _RetellCall) -> CallOutcome:
    if call.call_analysis is not None and call.call_analysis.in_voicemail:
        return CallOutcome.VOICEMAIL
    reason = call.disconnection_reason or ""
    if reason in _RETELL_OUTCOMES:
        return _RETELL_OUTCOMES[reason]
    if call.start_timestamp is None or reason.startswith(_RETELL_NOT_CONNECTED):
        return CallOutcome.FAILED
    return CallOutcome.ANSWERED  # hung up, transferred, timed out or broke off after it connected


# ---------------------------------------------------------------- Vapi


class _VapiNumber(_Wire):
    number: str | None = None


class _VapiOverrides(_Wire):
    metadata: dict[str, Any] | None = None
    variableValues: dict[str, Any] | None = None  # noqa: N815 - Vapi's own name


class _VapiCall(_Wire):
    id: str
    type: str | None = None
    status: str | None = None
    endedReason: str | None = None  # noqa: N815
    startedAt: datetime | None = None  # noqa: N815
    endedAt: datetime | None = None  # noqa: N815
    assistantId: str | None = None  # noqa: N815
    customer: _VapiNumber | None = None
    phoneNumber: _VapiNumber | None = None  # noqa: N815
    assistantOverrides: _VapiOverrides | None = None  # noqa: N815
    cost: float | None = None


class _VapiTurn(_Wire):
    role: str
    message: str | None = None


class _VapiArtifact(_Wire):
    transcript: str | None = None
    messages: list[_VapiTurn] | None = None
    recordingUrl: str | None = None  # noqa: N815
    logUrl: str | None = None  # noqa: N815


class _VapiAnalysis(_Wire):
    summary: str | None = None
    structuredData: dict[str, Any] | None = None  # noqa: N815
    successEvaluation: str | bool | None = None  # noqa: N815


class _VapiMessage(_Wire):
    type: str
    call: _VapiCall | None = None
    status: str | None = None
    endedReason: str | None = None  # noqa: N815
    startedAt: datetime | None = None  # noqa: N815
    endedAt: datetime | None = None  # noqa: N815
    cost: float | None = None
    artifact: _VapiArtifact | None = None
    analysis: _VapiAnalysis | None = None
    customer: _VapiNumber | None = None
    phoneNumber: _VapiNumber | None = None  # noqa: N815


class _VapiEnvelope(_Wire):
    message: _VapiMessage


def _vapi(raw: bytes) -> CallEvent | None:
    message = _VapiEnvelope.model_validate_json(raw).message
    if message.type == "status-update" and message.status in _VAPI_STATUS_EVENTS:
        kind, wire_type = _VAPI_STATUS_EVENTS[message.status], f"status-update:{message.status}"
    elif message.type == "end-of-call-report":
        kind, wire_type = CallEventType.CALL_ANALYZED, message.type
    else:
        return None  # speech-update, transcript, hang ...
    call = message.call
    if call is None:
        raise Invalid("the message names no call")
    return CallEvent(event=kind, call=_vapi_payload(kind, message, call), wire_type=wire_type)


def _vapi_payload(kind: CallEventType, message: _VapiMessage, call: _VapiCall) -> CallPayload:
    started = message.startedAt or call.startedAt
    ended = message.endedAt or call.endedAt
    reason = message.endedReason or call.endedReason
    customer = (message.customer or call.customer or _VapiNumber()).number
    ours = (message.phoneNumber or call.phoneNumber or _VapiNumber()).number
    inbound = call.type == "inboundPhoneCall"
    artifact, analysis = message.artifact or _VapiArtifact(), message.analysis
    overrides = call.assistantOverrides or _VapiOverrides()
    cost = message.cost if message.cost is not None else call.cost
    outcome = None
    if kind in _ENDED:
        outcome = _VAPI_OUTCOMES.get(reason or "") or (
            CallOutcome.ANSWERED if started else CallOutcome.FAILED
        )
    return CallPayload(
        call_id=call.id,
        vendor=VoiceVendor.VAPI.value,
        agent_id=call.assistantId,
        call_type=call.type,
        direction="inbound" if inbound else "outbound",
        from_number=customer if inbound else ours,
        to_number=ours if inbound else customer,
        call_status="ended" if kind is CallEventType.CALL_ANALYZED else message.status,
        start_timestamp=_millis(started),
        end_timestamp=_millis(ended),
        disconnection_reason=_reason(reason),
        outcome=outcome,
        transcript=artifact.transcript,
        turns=_turns((m.role, m.message or "") for m in artifact.messages or []),
        recording_url=artifact.recordingUrl,
        public_log_url=artifact.logUrl,
        call_analysis=_vapi_analysis(analysis) if analysis else None,
        cost_cents=round(cost * 100, 4) if cost is not None and cost >= 0 else None,
        metadata=overrides.metadata or {},
        dynamic_variables=_strings(overrides.variableValues),
    )


def _vapi_analysis(analysis: _VapiAnalysis) -> CallAnalysis:
    success = analysis.successEvaluation
    if isinstance(success, str):
        success = {"true": True, "false": False}.get(success.strip().lower())
    return CallAnalysis(
        call_summary=analysis.summary,
        call_successful=success,
        custom_analysis_data=analysis.structuredData or {},
    )


# ---------------------------------------------------------------- Twilio


def from_twilio_call(
    *,
    sid: str,
    status: str,
    to: str,
    sender: str,
    direction: str | None,
    answered_by: str | None,
    duration: int | None = None,
) -> CallEvent:
    """One Twilio call status callback (already verified) as a call event; unknown words are refused."""
    word = status.strip().lower()
    kind = _TWILIO_EVENTS.get(word)
    if kind is None:
        raise Invalid("not a call status this webhook understands")
    machine = (answered_by or "").strip().lower() or None
    if machine is not None and machine not in TWILIO_ANSWERED_BY:
        raise Invalid("not an AnsweredBy this webhook understands")
    outcome = None
    if kind is CallEventType.CALL_ENDED:
        by_machine = machine is not None and (machine.startswith("machine_") or machine == "fax")
        outcome = _TWILIO_OUTCOMES.get(word) or (
            CallOutcome.VOICEMAIL if by_machine else CallOutcome.ANSWERED
        )
    inbound = (direction or "").lower() == "inbound"
    try:
        payload = CallPayload(
            call_id=sid,
            vendor="twilio",
            direction="inbound" if inbound else "outbound",
            from_number=sender,
            to_number=to,
            call_status=word,
            outcome=outcome,
            answered_by=machine,
            duration_seconds=duration,
        )
    except ValidationError:
        raise Invalid("not a call status this webhook understands") from None
    return CallEvent(event=kind, call=payload, wire_type=f"twilio:{word}")


# ---------------------------------------------------------------- shared


def read(raw: bytes, vendor: VoiceVendor) -> CallEvent | None:
    """The vendor's verified body as a call event (None: a kind of event no record keeps)."""
    try:
        return _retell(raw) if vendor is VoiceVendor.RETELL else _vapi(raw)
    except ValidationError:
        raise Invalid("not a call event this webhook understands") from None


def _turns(pairs: Any) -> list[Turn]:
    """Agent and person turns in order (tool calls, system prompts and transfer targets left out)."""
    turns = []
    for role, content in pairs:
        speaker = _ROLES.get(role)
        if speaker is not None and content:
            turns.append(Turn(role=speaker, content=content[:TURN_MAX]))
    return turns[:TURNS_MAX]


def _reason(reason: str | None) -> str | None:
    return reason[:_REASON_MAX] if reason else None


def _millis(moment: datetime | None) -> int | None:
    if moment is None or moment.tzinfo is None:
        return None
    return int(moment.timestamp() * 1000)


def _strings(values: dict[str, Any] | None) -> dict[str, str]:
    return {str(k)[:64]: str(v)[:500] for k, v in (values or {}).items()}
