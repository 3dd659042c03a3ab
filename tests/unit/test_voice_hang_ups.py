"""Which ended calls count as the person hanging up, read from each vendor's published bodies.

NRS 597.814 (calling-rules reference, NV: "no re-call after hang-up on a recorded call", low
confidence, applied strictly) needs to know that the person hung up; where the vendor does not
say who ended an answered call, the call counts as a possible hang-up (fail closed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatehouse.vault.schemas import VoiceVendor
from gatehouse.voice.hang_ups import hung_up
from gatehouse.webhooks.call_payload import CallPayload
from gatehouse.webhooks.voice_wire import from_twilio_call, read

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "voice"


def retell(name: str, **call: Any) -> CallPayload:
    """Retell's published event (an inbound call), as an outbound one unless ``call`` says otherwise."""
    body = json.loads((FIXTURES / "retell" / f"{name}.json").read_bytes())
    body["call"].update({"direction": "outbound", **call})
    event = read(json.dumps(body).encode(), VoiceVendor.RETELL)
    assert event is not None
    return event.call


def vapi(**message: Any) -> CallPayload:
    body = json.loads((FIXTURES / "vapi" / "end-of-call-report.json").read_bytes())
    body["message"].update(message)
    event = read(json.dumps(body).encode(), VoiceVendor.VAPI)
    assert event is not None
    return event.call


def twilio(status: str, answered_by: str | None, direction: str = "outbound-api") -> CallPayload:
    return from_twilio_call(
        sid="CA" + "1f" * 16, status=status, to="+17025550140", sender="+15005550006",
        direction=direction, answered_by=answered_by,
    ).call  # fmt: skip


@pytest.mark.parametrize(
    ("call", "hang_up"),
    [
        # The vendors say the person ended it: Retell's user_hangup, Vapi's customer-ended-call.
        (retell("call_ended"), True),
        (retell("call_analyzed"), True),
        (vapi(), True),
        # Twilio names no ender for an answered call; an error or an unknown reason may hide one.
        (twilio("completed", "human"), True),
        (twilio("completed", None), True),
        (retell("call_ended", disconnection_reason="error_llm_websocket_lost_connection"), True),
        (vapi(endedReason="pipeline-error-openai-llm-failed"), True),
        # The agent's side ended it.
        (retell("call_ended", disconnection_reason="agent_hangup"), False),
        (retell("call_ended", disconnection_reason="max_duration_reached"), False),
        (vapi(endedReason="assistant-ended-call"), False),
        (vapi(endedReason="silence-timed-out"), False),
        # Not answered by the person, or a call the person placed.
        (retell("call_ended", call_analysis={"in_voicemail": True}), False),
        (retell("call_ended", disconnection_reason="dial_no_answer"), False),
        (vapi(endedReason="customer-did-not-answer"), False),
        (twilio("completed", "machine_end_beep"), False),
        (twilio("no-answer", None), False),
        (retell("call_ended", direction="inbound"), False),
        (twilio("completed", "human", direction="inbound"), False),
    ],
)
def test_an_answered_call_the_person_hung_up_on_or_may_have_counts_nrs_597_814(
    call: CallPayload, hang_up: bool
) -> None:
    """NRS 597.814, applied strictly: hung up, or nobody says the agent ended the answered call."""
    assert hung_up(call) is hang_up
