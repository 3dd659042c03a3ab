"""What the sandbox's calls say back: each vendor's own events for one call, signed as the vendor signs.

A call placed through the sandbox is answered by the callbacks the real provider would
post, in its wire format (``gatehouse.webhooks.voice_wire`` reads them back):

- Retell: ``call_started``, ``call_ended`` (transcript, ``transcript_object``, recording),
  ``call_analyzed`` (``call_analysis``, ``call_cost``), signed with the tenant's API key.
- Vapi: ``status-update`` ringing, in-progress, ended, then ``end-of-call-report``, signed
  with the tenant's HMAC credential secret.
- Twilio: initiated, ringing, in-progress, completed, with ``AnsweredBy`` from its
  answering-machine detection.

What is said is a script of (role, words) turns, ``agent`` or ``user`` (the person
called): ``DEFAULT_SCRIPT``, or the script keyed by the called number's last four digits
(``SANDBOX_SCRIPTS``, which ``SandboxAdapters.script_call`` extends). Numbers ending
``SANDBOX_SPOKEN_REVOCATION_SUFFIX`` (0086) say "Please stop calling me."; numbers ending
``SANDBOX_VOICEMAIL_SUFFIX`` (0077) reach a machine; numbers ending 0013 are not answered.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from gatehouse.providers import sandbox_callbacks, sandbox_recordings
from gatehouse.providers.base import CallRequest
from gatehouse.providers.sandbox_callbacks import Callback
from gatehouse.vault.schemas import TwilioCredentials, VoiceAgentCredentials, VoiceVendor

Script = Sequence[tuple[str, str]]

SANDBOX_CALL_SECONDS: Final = 42
SANDBOX_UNDELIVERED_SUFFIX: Final = "0013"
SANDBOX_VOICEMAIL_SUFFIX: Final = "0077"
SANDBOX_SPOKEN_REVOCATION_SUFFIX: Final = "0086"
DEFAULT_SCRIPT: Final[Script] = (
    ("agent", "Hello, this is an automated assistant calling from the demo company."),
    ("user", "Hi, what is this about?"),
    ("agent", "A quick reminder about your appointment. Say stop at any time to opt out."),
    ("user", "Thanks, bye."),
)
SANDBOX_SCRIPTS: Final[dict[str, Script]] = {
    SANDBOX_SPOKEN_REVOCATION_SUFFIX: (
        ("agent", "Hello, this is an automated assistant calling from the demo company."),
        ("user", "Please stop calling me."),
        ("agent", "Understood. Goodbye."),
    ),
}


def call_callbacks(
    credentials: TwilioCredentials | VoiceAgentCredentials, call: CallRequest, call_id: str, script: Script
) -> list[Callback]:
    """The signed callbacks of one call, in the order the provider posts them ([] without the secret)."""
    url = call.status_callback or ""
    if isinstance(credentials, TwilioCredentials):
        token = credentials.auth_token
        return _twilio(url, token.get_secret_value(), credentials, call, call_id) if token else []
    if credentials.vendor is VoiceVendor.VAPI:
        secret = credentials.webhook_secret
        return _vapi(url, secret.get_secret_value(), credentials, call, call_id, script) if secret else []
    key = credentials.api_key
    return _retell(url, key.get_secret_value(), credentials, call, call_id, script) if key else []


def _ending(number: str) -> str:
    if number.endswith(SANDBOX_UNDELIVERED_SUFFIX):
        return "no_answer"
    return "voicemail" if number.endswith(SANDBOX_VOICEMAIL_SUFFIX) else "answered"


def _retell(  # noqa: PLR0917
    url: str, key: str, credentials: VoiceAgentCredentials, call: CallRequest, call_id: str, script: Script
) -> list[Callback]:
    started = int(time.time() * 1000)
    base: dict[str, object] = {
        "call_type": "phone_call",
        "call_id": call_id,
        "agent_id": call.agent_id or credentials.agent_id,
        "direction": "outbound",
        "from_number": call.caller_id,
        "to_number": call.to,
        "metadata": call.metadata,
        "retell_llm_dynamic_variables": call.variables,
    }
    ending = _ending(call.to)
    if ending == "no_answer":
        ended = {**base, "call_status": "not_connected", "disconnection_reason": "dial_no_answer"}
        return [
            sandbox_callbacks.retell_event(url, {"event": "call_ended", "call": ended}, key),
            sandbox_callbacks.retell_event(url, {"event": "call_analyzed", "call": ended}, key),
        ]
    spoken = script if ending == "answered" else (("agent", "Hello, this is the demo company."),)
    finished = {
        **base,
        "call_status": "ended",
        "start_timestamp": started,
        "end_timestamp": started + SANDBOX_CALL_SECONDS * 1000,
        "disconnection_reason": "user_hangup" if ending == "answered" else "voicemail_reached",
        "transcript": "\n".join(f"{_retell_label(role)}: {words}" for role, words in spoken),
        "transcript_object": [
            {"role": role, "content": words, "words": _words(words)} for role, words in spoken
        ],
        "recording_url": sandbox_recordings.recording_url(call_id),
    }
    analysis: dict[str, object] = {
        "call_summary": "The agent gave the reminder." if ending == "answered" else "Reached voicemail.",
        "in_voicemail": ending == "voicemail",
        "user_sentiment": "Neutral",
        "call_successful": ending == "answered",
        "custom_analysis_data": {},
    }
    cost = {"combined_cost": 7.0, "product_costs": [], "total_duration_seconds": SANDBOX_CALL_SECONDS}
    return [
        sandbox_callbacks.retell_event(
            url,
            {"event": "call_started", "call": {**base, "call_status": "ongoing", "start_timestamp": started}},
            key,
        ),
        sandbox_callbacks.retell_event(url, {"event": "call_ended", "call": finished}, key),
        sandbox_callbacks.retell_event(
            url,
            {"event": "call_analyzed", "call": {**finished, "call_analysis": analysis, "call_cost": cost}},
            key,
        ),
    ]


def _vapi(  # noqa: PLR0917
    url: str, secret: str, credentials: VoiceAgentCredentials, call: CallRequest, call_id: str, script: Script
) -> list[Callback]:
    started = datetime.now(UTC)
    ending = _ending(call.to)
    body: dict[str, object] = {
        "id": call_id,
        "orgId": "org_sandbox",
        "type": "outboundPhoneCall",
        "assistantId": call.agent_id or credentials.agent_id,
        "phoneNumberId": credentials.phone_number_id,
        "customer": {"number": call.to},
        "phoneNumber": {"number": call.caller_id},
        "assistantOverrides": {"variableValues": call.variables, "metadata": call.metadata},
    }
    if ending == "no_answer":
        reason, steps = "customer-did-not-answer", ["ringing", "ended"]
    else:
        reason, steps = (
            ("customer-ended-call" if ending == "answered" else "voicemail"),
            ["ringing", "in-progress", "ended"],
        )
    messages: list[dict[str, object]] = []
    for status in steps:
        update: dict[str, object] = {
            "type": "status-update",
            "status": status,
            "call": {**body, "status": status},
        }
        if status == "ended":
            update["endedReason"] = reason
        messages.append(update)
    spoken = [] if ending == "no_answer" else list(script if ending == "answered" else script[:1])
    ended_at = datetime.fromtimestamp(started.timestamp() + SANDBOX_CALL_SECONDS, UTC)
    messages.append(
        {
            "type": "end-of-call-report",
            "endedReason": reason,
            "call": {**body, "status": "ended"},
            "startedAt": None if ending == "no_answer" else started.isoformat(),
            "endedAt": ended_at.isoformat(),
            "cost": 0.07,
            "artifact": {
                "transcript": "\n".join(f"{'AI' if r == 'agent' else 'User'}: {w}" for r, w in spoken),
                "messages": [{"role": "bot" if r == "agent" else "user", "message": w} for r, w in spoken],
                "recordingUrl": None
                if ending == "no_answer"
                else sandbox_recordings.recording_url(call_id, "mono.wav"),
            },
            "analysis": {"summary": "The assistant gave the reminder.", "successEvaluation": "true"},
        }
    )
    return [sandbox_callbacks.vapi_message(url, m, secret) for m in messages]


def _twilio(
    url: str, token: str, credentials: TwilioCredentials, call: CallRequest, call_id: str
) -> list[Callback]:
    base = [
        ("CallSid", call_id),
        ("AccountSid", credentials.account_sid),
        ("From", call.caller_id),
        ("To", call.to),
        ("Direction", "outbound-api"),
        ("ApiVersion", "2010-04-01"),
        ("CallbackSource", "call-progress-events"),
    ]
    ending = _ending(call.to)
    answered_by = [("AnsweredBy", "machine_end_beep" if ending == "voicemail" else "human")]
    answered = [
        ("in-progress", answered_by),
        ("completed", [("CallDuration", str(SANDBOX_CALL_SECONDS)), *answered_by]),
    ]
    final = [("no-answer", [("CallDuration", "0")])] if ending == "no_answer" else answered
    steps: list[tuple[str, list[tuple[str, str]]]] = [("initiated", []), ("ringing", []), *final]
    return [
        sandbox_callbacks.twilio_form(
            url, [*base, ("CallStatus", status), ("SequenceNumber", str(n)), *extra], token
        )
        for n, (status, extra) in enumerate(steps)
    ]


def _retell_label(role: str) -> str:
    return "Agent" if role == "agent" else "User"


def _words(words: str) -> list[dict[str, object]]:
    return [
        {"word": word, "start": round(n * 0.4, 2), "end": round(n * 0.4 + 0.35, 2)}
        for n, word in enumerate(words.split())
    ]
