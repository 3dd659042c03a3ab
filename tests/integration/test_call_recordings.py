"""Call recordings we hold (DynamoDB Local + moto S3/KMS, a fake vendor on loopback).

An ended call's recording is copied into the tenant's prefix with SSE-KMS and the vendor's
copy deleted through its API; a failed copy answers 503 so the vendor retries; retention and
erasure delete our object (looked for afterwards); playback is a 5-minute link, audited.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from gatehouse import audit
from gatehouse.config import get_settings
from gatehouse.contacts import checks
from gatehouse.contacts.keys import contact_id_for
from gatehouse.contacts.records import ContactInput
from gatehouse.contacts.service import create, erase
from gatehouse.identity.caller import operator
from gatehouse.identity.permissions import Role
from gatehouse.jobs.retention_purge import run_retention_purge
from gatehouse.vault import Provider
from gatehouse.voice.links import CampaignCall
from gatehouse.webhooks.voice_events import CallEvent, CallRecord, record_event
from tests.conftest import TenantFixture
from tests.isolation.cases import spare_campaign
from tests.support import clients
from tests.support.fake_provider import FakeProvider, fake_provider
from tests.support.webhooks import VOICE_CREDENTIALS, voice_event
from tests.support.webhooks import connected as connect_provider

NUMBER = "+13125550177"
AUDIO = b"RIFF" + bytes(range(256)) * 64
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def vendor(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    """A Retell-shaped vendor on loopback: serves recordings, deletes calls (the tenant's base URL)."""
    with fake_provider() as fake:
        monkeypatch.setenv("GATEHOUSE_VOICE_AGENT_ALLOW_LOOPBACK", "true")
        get_settings.cache_clear()
        _vendor_url.append(fake.url)
        yield fake
        _vendor_url.clear()
    get_settings.cache_clear()


_vendor_url: list[str] = []  # the fake vendor this test's tenant connects to


def serve(fake: FakeProvider, call_id: str, body: bytes = AUDIO) -> str:
    path = f"/{call_id}/recording.wav?Signature=s3cr3t&Expires=1"  # a signed URL's query is a secret
    fake.reply(path, 200, body)
    fake.content_types[path] = "audio/wav"
    fake.reply(f"/v2/delete-call/{call_id}", 204, b"")
    return fake.url + path


def event(kind: str, call_id: str, url: str | None, **call: Any) -> CallEvent:
    body = {"call_id": call_id, "to_number": NUMBER, "call_status": "ended", **call}
    if url is not None:
        body["recording_url"] = url
    return CallEvent.model_validate({"event": kind, "call": body})


def head(key: str) -> dict[str, Any] | None:
    try:
        return clients.client("s3").head_object(Bucket=get_settings().recording_bucket, Key=key)  # type: ignore[no-any-return]
    except clients.client("s3").exceptions.ClientError:
        return None


def deletes(fake: FakeProvider) -> list[str]:
    return [s.path for s in fake.seen if s.method == "DELETE"]


def connect_agent(tenant: TenantFixture) -> str:
    base = {"base_url": _vendor_url[0]} if _vendor_url else {}
    return connect_provider(tenant, Provider.VOICE_AGENT, {**VOICE_CREDENTIALS, **base})


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def test_an_ended_calls_recording_lands_in_the_tenant_prefix_with_sse_kms_and_the_vendor_copy_goes(
    tenant_a: TenantFixture, vendor: FakeProvider
) -> None:
    connect_agent(tenant_a)
    url = serve(vendor, "call_rec1")
    contact_id = contact_id_for(tenant_a.tenant_id, NUMBER)

    ended = record_event(tenant_a.scope, event("call_ended", "call_rec1", url), request_id="r1")

    key = f"tenants/{tenant_a.tenant_id}/calls/{contact_id}/call_rec1.wav"
    assert ended.recording_key == key
    assert ended.recording_ref is None  # the vendor's (signed) URL is never stored
    stored = head(key)
    assert stored is not None
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["SSEKMSKeyId"].endswith(get_settings().recording_key_id.rsplit("/", 1)[-1])
    body = clients.client("s3").get_object(Bucket=get_settings().recording_bucket, Key=key)["Body"].read()
    assert body == AUDIO
    assert deletes(vendor) == []  # Retell still sends call_analyzed: its call stays until then

    analyzed = record_event(tenant_a.scope, event("call_analyzed", "call_rec1", url), request_id="r2")

    assert deletes(vendor) == ["/v2/delete-call/call_rec1"]
    (deleted,) = [s for s in vendor.seen if s.method == "DELETE"]
    assert deleted.headers["Authorization"] == f"Bearer {VOICE_CREDENTIALS['api_key']}"
    assert analyzed.provider_recording_deleted_at is not None
    assert [s.path for s in vendor.seen if s.method == "GET"] == [
        "/call_rec1/recording.wav?Signature=s3cr3t&Expires=1"
    ]


def test_a_failed_copy_answers_503_and_the_vendors_retry_copies_it(
    hooks, tenant_a: TenantFixture, vendor: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    ref = connect_agent(tenant_a)
    url = serve(vendor, "call_rec2")
    vendor.reply("/call_rec2/recording.wav?Signature=s3cr3t&Expires=1", 502, b"bad gateway")
    now = int(time.time() * 1000)
    raw = json.dumps(
        {"event": "call_ended", "call": {"call_id": "call_rec2", "to_number": NUMBER, "call_status": "ended",
                                         "start_timestamp": now - 30_000, "end_timestamp": now,
                                         "recording_url": url}}
    ).encode()  # fmt: skip

    first = hooks(voice_event(ref, raw))

    assert first.status == 503, first.body
    assert "s3cr3t" not in caplog.text
    assert "s3cr3t" not in first.body
    contact_id = contact_id_for(tenant_a.tenant_id, NUMBER)
    call = tenant_a.scope.get(CallRecord, f"{contact_id}#call_rec2")
    assert call is not None
    assert call.recording_key is None
    assert call.recording_ref is None

    vendor.reply("/call_rec2/recording.wav?Signature=s3cr3t&Expires=1", 200, AUDIO)
    retried = hooks(voice_event(ref, raw))

    assert retried.status == 200, retried.body
    assert head(f"tenants/{tenant_a.tenant_id}/calls/{contact_id}/call_rec2.wav") is not None


def test_a_recording_over_the_size_bound_is_not_kept_and_the_vendor_copy_stays(
    tenant_a: TenantFixture, vendor: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_agent(tenant_a)
    monkeypatch.setenv("GATEHOUSE_RECORDING_MAX_BYTES", "1024")
    get_settings.cache_clear()
    url = serve(vendor, "call_big")

    kept = record_event(tenant_a.scope, event("call_analyzed", "call_big", url), request_id="r")

    assert kept.recording_key is None
    assert deletes(vendor) == []


def recorded_call(
    tenant: TenantFixture, vendor: FakeProvider, call_id: str, clock: Callable[[], datetime]
) -> str:
    url = serve(vendor, call_id)
    campaign_id = spare_campaign(tenant)
    record_event(
        tenant.scope,
        event(
            "call_analyzed",
            call_id,
            url,
            transcript="Agent: hi\nUser: hello",
            metadata={"campaign_id": campaign_id},
        ),
        request_id=call_id,
        clock=clock,
    )
    key = tenant.scope.query(CallRecord, limit=100).items
    (found,) = [c.recording_key for c in key if c.call_id == call_id]
    assert found is not None
    assert head(found) is not None
    return found


def test_erasure_deletes_our_copy_of_the_recording(tenant_a: TenantFixture, vendor: FakeProvider) -> None:
    connect_agent(tenant_a)
    owner = operator(tenant_a.tenant_id, "tests", request_id="tests")
    contact = create(
        tenant_a.scope,
        owner,
        ContactInput(phone=NUMBER, state="IL"),
        suppressed=checks.suppressed,
        scrub=checks.scrub,
    )
    key = recorded_call(tenant_a, vendor, "call_erased", datetime.now)

    erase(tenant_a.scope, owner, contact.contact_id)

    assert head(key) is None
    assert tenant_a.scope.query(CallRecord, limit=10).items == []
    assert tenant_a.scope.query(CampaignCall, limit=10).items == []


def test_the_retention_window_deletes_our_copy_and_keeps_the_transcript_until_its_own(
    tenant_a: TenantFixture, vendor: FakeProvider
) -> None:
    connect_agent(tenant_a)
    old = recorded_call(tenant_a, vendor, "call_old", at(NOW - timedelta(days=100)))  # past 90, not 180
    new = recorded_call(tenant_a, vendor, "call_new", at(NOW - timedelta(days=10)))

    run = run_retention_purge(at(NOW))

    assert run.of(tenant_a.tenant_id).counts["call_recordings"] == 1
    assert head(old) is None
    assert head(new) is not None
    calls = {c.call_id: c for c in tenant_a.scope.query(CallRecord, limit=10).items}
    assert calls["call_old"].recording_key is None
    assert calls["call_old"].recording_deleted_at == NOW
    assert calls["call_old"].transcript == "Agent: hi\nUser: hello"
    assert calls["call_new"].recording_key == new


def test_playback_is_a_five_minute_link_that_plays_and_every_playback_is_audited(
    api, tenant_a: TenantFixture, vendor: FakeProvider
) -> None:  # type: ignore[no-untyped-def]
    connect_agent(tenant_a)
    recorded_call(tenant_a, vendor, "call_play", datetime.now)
    contact_id = contact_id_for(tenant_a.tenant_id, NUMBER)
    path = f"/contacts/{contact_id}/calls/call_play/recording"

    reply = api("GET", path, token=tenant_a.keys[Role.ADMIN])

    assert reply.status == 200, reply.body
    assert reply.headers["Cache-Control"] == "no-store"
    link = reply.json()["url"]
    query = parse_qs(urlsplit(link).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert urlsplit(link).path.endswith(f"/tenants/{tenant_a.tenant_id}/calls/{contact_id}/call_play.wav")
    assert requests.get(link, timeout=5).content == AUDIO
    played = audit.list_entries(tenant_a.tenant_id, action="call.recording_played", limit=10).items
    assert [e.target.id for e in played] == ["call_play"]
    assert "X-Amz" not in json.dumps([e.model_dump(mode="json") for e in played])


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_play_a_recording(
    api, tenant_a: TenantFixture, vendor: FakeProvider, role: Role
) -> None:  # type: ignore[no-untyped-def]
    connect_agent(tenant_a)
    recorded_call(tenant_a, vendor, "call_denied", datetime.now)
    contact_id = contact_id_for(tenant_a.tenant_id, NUMBER)

    reply = api("GET", f"/contacts/{contact_id}/calls/call_denied/recording", token=tenant_a.keys[role])

    assert reply.status == 403
    assert audit.list_entries(tenant_a.tenant_id, action="call.recording_played", limit=10).items == []
