"""Reading each vendor's published webhook bodies into the one vendor-neutral call event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatehouse.errors import Invalid
from gatehouse.vault.schemas import VoiceVendor
from gatehouse.webhooks.call_payload import CallEventType, CallOutcome, Speaker
from gatehouse.webhooks.voice_wire import from_twilio_call, read

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "voice"


def published(vendor: str, name: str) -> bytes:
    return (FIXTURES / vendor / f"{name}.json").read_bytes()


def test_retells_call_analyzed_reads_into_the_neutral_shape() -> None:
    event = read(published("retell", "call_analyzed"), VoiceVendor.RETELL)
    assert event is not None
    call = event.call
    assert (event.event, event.once_key) == (CallEventType.CALL_ANALYZED, "call_analyzed")
    assert (call.vendor, call.call_type, call.contact_number) == ("retell", "phone_call", "+12137771234")
    assert (call.outcome, call.cost_cents, call.sentiment) == (CallOutcome.ANSWERED, 70, "Positive")
    assert call.summary is not None
    assert call.said_by(Speaker.USER) == [
        "Doing pretty well. How are you?",
        "I don't have anything in particular.",
        "Alright. See you.",
    ]
    assert call.dynamic_variables == {"customer_name": "John Doe"}


def test_retells_call_started_carries_no_outcome() -> None:
    event = read(published("retell", "call_started"), VoiceVendor.RETELL)
    assert event is not None
    assert (event.event, event.call.outcome, event.call.call_status) == (
        CallEventType.CALL_STARTED,
        None,
        "ongoing",
    )


def test_vapis_end_of_call_report_reads_into_the_neutral_shape() -> None:
    event = read(published("vapi", "end-of-call-report"), VoiceVendor.VAPI)
    assert event is not None
    call = event.call
    assert (event.event, event.once_key) == (CallEventType.CALL_ANALYZED, "end-of-call-report")
    assert (call.direction, call.to_number, call.from_number) == ("outbound", "+12137771235", "+12137771234")
    assert (call.outcome, call.cost_cents) == (CallOutcome.ANSWERED, 8.42)
    assert call.said_by(Speaker.USER)[0] == "Doing pretty well. How are you?"
    assert (call.end_timestamp or 0) - (call.start_timestamp or 0) == 15_791


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        ("voicemail", CallOutcome.VOICEMAIL),
        ("customer-did-not-answer", CallOutcome.NO_ANSWER),
        ("customer-busy", CallOutcome.BUSY),
        ("assistant-ended-call", CallOutcome.ANSWERED),
    ],
)
def test_vapis_ended_reason_says_what_became_of_the_call(reason: str, outcome: CallOutcome) -> None:
    body = json.loads(published("vapi", "end-of-call-report"))
    body["message"]["endedReason"] = reason
    event = read(json.dumps(body).encode(), VoiceVendor.VAPI)
    assert event is not None
    assert event.call.outcome is outcome


def test_a_vapi_call_that_never_started_and_ended_in_error_failed() -> None:
    body = json.loads(published("vapi", "end-of-call-report"))
    body["message"].update(endedReason="twilio-failed-to-connect-call", startedAt=None)
    body["message"]["call"].pop("startedAt")
    event = read(json.dumps(body).encode(), VoiceVendor.VAPI)
    assert event is not None
    assert event.call.outcome is CallOutcome.FAILED


def test_bodies_of_another_vendor_or_no_vendor_are_invalid() -> None:
    with pytest.raises(Invalid):
        read(published("vapi", "end-of-call-report"), VoiceVendor.RETELL)
    with pytest.raises(Invalid):
        read(published("retell", "call_ended"), VoiceVendor.VAPI)
    with pytest.raises(Invalid):
        read(b"[]", VoiceVendor.RETELL)


@pytest.mark.parametrize(
    ("status", "answered_by", "kind", "outcome"),
    [
        ("initiated", None, CallEventType.CALL_PROGRESS, None),
        ("ringing", None, CallEventType.CALL_PROGRESS, None),
        ("in-progress", "human", CallEventType.CALL_STARTED, None),
        ("completed", "human", CallEventType.CALL_ENDED, CallOutcome.ANSWERED),
        ("completed", "machine_end_beep", CallEventType.CALL_ENDED, CallOutcome.VOICEMAIL),
        ("completed", "fax", CallEventType.CALL_ENDED, CallOutcome.VOICEMAIL),
        ("completed", "unknown", CallEventType.CALL_ENDED, CallOutcome.ANSWERED),
        ("busy", None, CallEventType.CALL_ENDED, CallOutcome.BUSY),
        ("no-answer", None, CallEventType.CALL_ENDED, CallOutcome.NO_ANSWER),
        ("failed", None, CallEventType.CALL_ENDED, CallOutcome.FAILED),
    ],
)
def test_twilio_call_status_and_answered_by(
    status: str, answered_by: str | None, kind: CallEventType, outcome: CallOutcome | None
) -> None:
    event = from_twilio_call(
        sid="CA" + "1f" * 16, status=status, to="+13125550140", sender="+15005550006",
        direction="outbound-api", answered_by=answered_by,
    )  # fmt: skip
    assert (event.event, event.call.outcome, event.call.answered_by) == (kind, outcome, answered_by)
    assert event.once_key == f"twilio:{status}"


@pytest.mark.parametrize(("status", "answered_by"), [("exploded", None), ("completed", "robot")])
def test_twilio_words_it_does_not_know_are_invalid(status: str, answered_by: str | None) -> None:
    with pytest.raises(Invalid):
        from_twilio_call(
            sid="CA" + "1f" * 16, status=status, to="+13125550140", sender="+15005550006",
            direction="outbound-api", answered_by=answered_by,
        )  # fmt: skip
