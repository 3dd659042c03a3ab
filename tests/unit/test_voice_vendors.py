"""Which recording URLs Gatehouse fetches, what a call came to, and what an event adds to a call."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.config import get_settings
from gatehouse.voice.calls import CallOutcome, outcome_of, turns_of
from gatehouse.voice.facts import facts_of
from gatehouse.voice.vendors import Access, Vendor, _delete_request, allowed, extension_of
from gatehouse.webhooks.voice_events import CallPayload, CallRecord


@pytest.fixture
def mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    get_settings.cache_clear()


def in_mode(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("GATEHOUSE_PROVIDER_MODE", value)
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("url", "vendor", "fetched"),
    [
        ("https://dxc03zgurdly9.cloudfront.net/abc/recording.wav", Vendor.RETELL, True),
        ("https://media.retellai.com/abc.wav?sig=1", Vendor.RETELL, True),
        ("http://dxc03zgurdly9.cloudfront.net/abc/recording.wav", Vendor.RETELL, False),  # HTTPS only
        ("https://evil.cloudfront.net/abc.wav", Vendor.RETELL, False),  # another CloudFront tenant
        ("https://retellai.com.evil.test/abc.wav", Vendor.RETELL, False),
        ("https://user:pw@media.retellai.com/abc.wav", Vendor.RETELL, False),
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav", Vendor.TWILIO, True),
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav", Vendor.RETELL, False),
        ("https://storage.vapi.ai/x-recording.wav", Vendor.VAPI, True),
        ("http://127.0.0.1:8080/abc.wav", Vendor.RETELL, False),  # loopback: the local runtime only
        ("https://169.254.169.254/latest/meta-data", Vendor.RETELL, False),
    ],
)
def test_only_https_urls_on_the_vendors_recording_hosts_are_fetched(
    mode: pytest.MonkeyPatch, url: str, vendor: Vendor, fetched: bool
) -> None:
    in_mode(mode, "live")
    assert allowed(url, vendor) is fetched


@pytest.mark.parametrize(
    ("url", "fetched"),
    [
        ("http://127.0.0.1:8080/abc.wav", True),
        ("http://localhost:8080/abc.wav", True),
        ("http://[::1]:8080/abc.wav", True),
        ("http://10.0.0.5/abc.wav", False),
        ("http://media.retellai.com/abc.wav", False),
    ],
)
def test_the_local_runtime_also_fetches_from_loopback_and_nothing_else_new(
    mode: pytest.MonkeyPatch, url: str, fetched: bool
) -> None:
    in_mode(mode, "sandbox")
    mode.setenv("GATEHOUSE_VOICE_AGENT_ALLOW_LOOPBACK", "true")  # set by local.runtime alone
    get_settings.cache_clear()
    assert allowed(url, Vendor.RETELL) is fetched


def test_a_sandbox_deployment_never_fetches_from_its_own_loopback(mode: pytest.MonkeyPatch) -> None:
    """In AWS a signed event could name the function's own loopback (its runtime API): refused."""
    in_mode(mode, "sandbox")
    assert allowed("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", Vendor.RETELL) is False


def test_the_twilio_delete_names_the_recording_of_the_url_with_basic_auth(mode: pytest.MonkeyPatch) -> None:
    in_mode(mode, "live")
    sid, recording = "AC" + "1" * 32, "RE" + "a" * 32
    url = f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Recordings/{recording}.wav"
    access = Access(account_sid=sid, basic=(sid, "token"))
    found = _delete_request(Vendor.TWILIO, "CA1", url, access)
    assert found == (
        f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Recordings/{recording}.json",
        {},
        (sid, "token"),
    )
    assert _delete_request(Vendor.TWILIO, "CA1", "https://api.twilio.com/elsewhere.wav", access) is None
    assert _delete_request(Vendor.RETELL, "call_1", None, Access()) is None  # no API key: nothing to call


@pytest.mark.parametrize(
    ("path", "content_type", "extension"),
    [
        ("/x/recording.wav", "", "wav"),
        ("/x", "audio/mpeg", "mp3"),
        ("/x.MP3", "audio/wav", "mp3"),
        ("/x", "text/html", "audio"),
    ],
)
def test_the_stored_extension_comes_from_the_path_or_the_media_type(
    path: str, content_type: str, extension: str
) -> None:
    assert extension_of(path, content_type) == extension


def call(**fields: object) -> CallRecord:
    return CallRecord(
        contact_id="con_x", call_id="call_x", direction="outbound",
        retain_until=datetime.now(UTC) + timedelta(days=1), **fields,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        ({"status": "ended", "disconnection_reason": "user_hangup"}, CallOutcome.ANSWERED),
        ({"status": "ended", "disconnection_reason": "voicemail_reached"}, CallOutcome.VOICEMAIL),
        ({"status": "ended", "voicemail": True}, CallOutcome.VOICEMAIL),
        ({"status": "not_connected", "disconnection_reason": "dial_no_answer"}, CallOutcome.NO_ANSWER),
        ({"status": "no-answer"}, CallOutcome.NO_ANSWER),  # Twilio's status
        ({"status": "busy"}, CallOutcome.BUSY),
        ({"status": "error", "disconnection_reason": "error_asr"}, CallOutcome.FAILED),
        ({"status": "ended", "do_not_call": True, "voicemail": True}, CallOutcome.REVOKED),
        ({"status": "ongoing"}, None),
        ({}, None),
    ],
)
def test_what_a_call_came_to(fields: dict[str, object], outcome: CallOutcome | None) -> None:
    assert outcome_of(call(**fields)) is outcome


def test_an_event_adds_its_campaign_cost_and_mood_and_nothing_it_lacks() -> None:
    payload = CallPayload.model_validate(
        {
            "call_id": "call_x",
            "metadata": {"campaign_id": "cmp_" + "a" * 26},
            "cost_cents": 12.6,  # as the wire reader gives Retell's call_cost.combined_cost
            "call_analysis": {"user_sentiment": "Negative", "in_voicemail": False},
        }
    )
    assert facts_of(payload) == {
        "campaign_id": "cmp_" + "a" * 26, "cost_cents": 12.6, "sentiment": "negative", "voicemail": False,
    }  # fmt: skip
    forged = CallPayload.model_validate({"call_id": "c", "metadata": {"campaign_id": "../other"}})
    assert facts_of(forged) == {}


def test_a_transcript_reads_as_turns() -> None:
    assert turns_of("Agent: hi\n\nUser: stop: please\nnoise") == [
        ("agent", "hi"), ("user", "stop: please"), ("unknown", "noise"),
    ]  # fmt: skip
