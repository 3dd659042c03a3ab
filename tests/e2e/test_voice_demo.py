"""The demo's AI-voice campaign on the local runtime: a revocation spoken on a call, and its recording.

The sandbox places each call and posts back what Retell would post, in Retell's wire
format and signed with the tenant's Retell API key (``x-retell-signature``), so the
webhook function verifies it with the code production runs. Gil says "Please stop
calling me." on his call (``local.demo.GIL_ON_THE_CALL``): the caller's turns of the
transcript go through the opt-out reader, and a revocation suppresses the number for every
channel (47 CFR 64.1200(a)(10): consent may be revoked by any reasonable means, a spoken
request on the call included). The call's recording, which the sandbox serves on loopback
as a vendor's storage would, is copied into the tenant's own S3 prefix, encrypted with the
recordings key, and an erasure of Gil deletes it.
"""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.clients import aws_client
from gatehouse.config import get_settings
from gatehouse.providers.sandbox import sandbox
from local.demo import Client, DemoRun, run_demo, wait_for
from local.runtime import LocalRuntime

GIL = "+16025550119"
WINDOWS = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}]


@pytest.fixture(scope="module")
def demo(runtime: LocalRuntime) -> DemoRun:
    sandbox().reset()
    return run_demo(runtime)


@pytest.fixture(scope="module")
def client(runtime: LocalRuntime, demo: DemoRun) -> Client:
    assert runtime.demo is not None
    return Client(runtime.api_url, runtime.demo.api_key)


def gils_call(client: Client, demo: DemoRun) -> dict[str, Any]:
    gil = demo["contacts"][GIL]

    def analyzed() -> dict[str, Any] | None:
        calls = client.expect(200, "GET", f"/contacts/{gil}/calls")["items"]
        ended = [c for c in calls if c["recording_held"] and c["summary"]]
        return ended[0] if ended else None

    found: dict[str, Any] = wait_for(analyzed, "Gil's call, analyzed, with its recording kept", timeout=60)
    return found


def test_a_revocation_spoken_on_the_call_suppresses_the_number_for_texts_and_calls(
    client: Client, demo: DemoRun
) -> None:
    call = gils_call(client, demo)

    assert call["outcome"] == "revoked"
    assert "stop calling me" in (call["transcript_excerpt"] or "").lower()
    assert client.expect(200, "POST", "/suppressions/check", {"numbers": [GIL]})["suppressed"] == [GIL]
    # One list for every channel: both an SMS campaign and a voice campaign are now refused for him.
    gil = demo["contacts"][GIL]
    for spec in (_sms_campaign(gil), _voice_campaign(gil)):
        campaign_id = client.expect(201, "POST", "/campaigns", spec)["campaign_id"]
        preflight = client.expect(200, "GET", f"/campaigns/{campaign_id}/preflight")
        assert preflight["counts"].get("blocked:suppressed") == 1, preflight["counts"]
    # Audited with the call it was heard on, and never with the number.
    entries = client.expect(200, "GET", "/audit?action=call.revocation_heard")["items"]
    assert [e["target"]["id"] for e in entries] == [call["call_id"]]
    assert GIL not in str(entries)


def test_the_recording_is_in_the_tenants_own_prefix_and_an_erasure_deletes_it(
    runtime: LocalRuntime, client: Client, demo: DemoRun
) -> None:
    assert runtime.demo is not None
    call = gils_call(client, demo)
    gil = demo["contacts"][GIL]
    s3 = aws_client("s3")
    bucket = get_settings().recording_bucket
    prefix = f"tenants/{runtime.demo.tenant_id}/calls/{gil}/"
    [key] = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    assert key == f"{prefix}{call['call_id']}.wav"
    stored = s3.head_object(Bucket=bucket, Key=key)
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read(4) == b"RIFF"  # the sandbox's WAV

    client.expect(200, "POST", f"/contacts/{gil}/erase")

    assert s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) == 0
    assert client.expect(200, "POST", "/suppressions/check", {"numbers": [GIL]})["suppressed"] == [GIL]


def _sms_campaign(contact_id: str) -> dict[str, Any]:
    return {
        "name": "After the call: a text",
        "channel": "sms",
        "purpose": "informational",
        "content": {"kind": "sms", "template": "Your appointment is tomorrow. Reply STOP to opt out."},
        "senders": {"numbers": ["+14155550100"]},
        "windows": WINDOWS,
        "audience": {"contact_ids": [contact_id]},
    }


def _voice_campaign(contact_id: str) -> dict[str, Any]:
    return {
        "name": "After the call: another call",
        "channel": "voice",
        "purpose": "informational",
        "technology": "artificial_voice",
        "content": {
            "kind": "voice",
            "agent_id": "agent_demo",
            "seller": "Demo Dental",
            "opening": "Hi, this is Ava, an automated assistant calling for Demo Dental.",
            "opt_out": {"key": "9", "phrase": "say stop calling"},
        },
        "senders": {"numbers": ["+14155550100"]},
        "windows": WINDOWS,
        "audience": {"contact_ids": [contact_id]},
    }
