"""Voice-agent events as the vendors send them: Retell's and Vapi's published bodies, signed with
each vendor's own scheme and the tenant's own key, build one record per call; every bad signature
is the one 401 and changes nothing; a do-not-call flag suppresses at once."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gatehouse import audit
from gatehouse.contacts.keys import contact_id_for
from gatehouse.suppression import is_suppressed
from gatehouse.vault import Provider
from gatehouse.webhooks import voice_events
from gatehouse.webhooks.call_payload import Speaker, Turn
from tests.conftest import TenantFixture
from tests.support.events import Reply
from tests.support.webhooks import (
    RETELL_KEY,
    VAPI_CREDENTIALS,
    VAPI_SECRET,
    VOICE_CREDENTIALS,
    vapi_event,
    voice_event,
)
from tests.support.webhooks import connected as connect_provider

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "voice"
CALLED = "+13125550140"
PUBLISHED_CALLER = "+12137771234"  # Retell's example is an inbound call from this number
VAPI_CUSTOMER = "+12137771235"
REJECTED = (401, {"error": {"code": "unauthorized", "message": "signature not valid", "details": []}})
SIX_MINUTES_MS = 6 * 60 * 1000


def connected(tenant: TenantFixture, credentials: dict[str, str] = VOICE_CREDENTIALS) -> str:
    return connect_provider(tenant, Provider.VOICE_AGENT, credentials)


def published(vendor: str, name: str) -> bytes:
    return (FIXTURES / vendor / f"{name}.json").read_bytes()


def payload(kind: str, call_id: str = "call_1", **call: Any) -> bytes:
    body = {"event": kind, "call": {"call_id": call_id, "direction": "outbound", "to_number": CALLED, **call}}
    return json.dumps(body).encode()


def rejected(reply: Reply) -> tuple[int, dict[str, Any]]:
    body = reply.json()
    body["error"].pop("request_id")
    return reply.status, body


def stop_audits(tenant: TenantFixture) -> list[audit.AuditEntry]:
    entries = audit.list_entries(tenant.tenant_id, limit=100).items
    return [e for e in entries if e.action == "suppression.added"]


def calls(tenant: TenantFixture, number: str) -> list[voice_events.CallRecord]:
    return voice_events.calls_of(tenant.scope, contact_id_for(tenant.tenant_id, number))


# ---------------------------------------------------------------- Retell


def test_retells_published_events_build_one_record_in_any_order(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    for name in ("call_analyzed", "call_ended", "call_started"):  # "started" arrives last
        reply = hooks(voice_event(ref, published("retell", name)))
        assert reply.status == 200, reply.body
    [record] = calls(tenant_a, PUBLISHED_CALLER)
    assert (record.call_id, record.vendor, record.direction) == (
        "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6",
        "retell",
        "inbound",
    )
    assert (record.status, record.outcome, record.disconnection_reason) == (
        "ended",
        "answered",
        "user_hangup",
    )
    assert record.duration_seconds == 15  # 1714608475945 -> 1714608491736
    assert record.turns[:2] == [
        Turn(role=Speaker.AGENT, content="hi how are you doing?"),
        Turn(role=Speaker.USER, content="Doing pretty well. How are you?"),
    ]
    assert [t.role for t in record.turns].count(Speaker.USER) == 3
    # The published sample's recording host is on no vendor's allow-list: nothing fetched, and
    # the vendor's URL is never stored.
    assert (record.recording_ref, record.recording_key) == (None, None)
    assert (record.sentiment, record.call_successful, record.cost_cents) == ("positive", True, 70)
    assert (record.summary or "").startswith("The agent called the user")
    assert record.events == ["call_analyzed", "call_ended", "call_started"]
    assert record.statuses == ["ended", "ongoing"]  # every status heard; the late one never moved it back
    assert not is_suppressed(tenant_a.scope, PUBLISHED_CALLER)


def test_an_event_signed_by_retells_own_sdk_is_accepted(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    webhook_auth = pytest.importorskip("retell.lib.webhook_auth")
    ref = connected(tenant_a)
    raw = published("retell", "call_ended")
    event = voice_event(ref, raw)
    event["headers"]["x-retell-signature"] = webhook_auth.symmetric["sign"](raw.decode(), RETELL_KEY)
    assert hooks(event).status == 200
    assert len(calls(tenant_a, PUBLISHED_CALLER)) == 1


@pytest.mark.parametrize(
    "how",
    ["forged", "missing", "stale", "future", "other_tenant", "unknown_ref", "tampered", "our_old_scheme"],
)
def test_bad_retell_signatures_get_the_one_401_and_change_nothing(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, tenant_b: TenantFixture, how: str
) -> None:
    ref = connected(tenant_a)
    raw = payload("call_analyzed", call_analysis={"do_not_call": True})
    now = int(time.time() * 1000)
    event = voice_event(ref, raw)
    if how == "forged":
        event["headers"]["x-retell-signature"] = f"v={now},d=" + "0" * 64
    elif how == "missing":
        del event["headers"]["x-retell-signature"]
    elif how in {"stale", "future"}:
        event = voice_event(ref, raw, at_ms=now - SIX_MINUTES_MS if how == "stale" else now + SIX_MINUTES_MS)
    elif how == "other_tenant":
        other = {**VOICE_CREDENTIALS, "api_key": "key_" + "b" * 24}
        connected(tenant_b, other)
        event = voice_event(ref, raw, key=other["api_key"])
    elif how == "unknown_ref":
        event = voice_event("whk_" + "z" * 26, raw)
    elif how == "tampered":
        event["body"] = event["body"].replace(CALLED, "+13125550141")
    else:  # the header Gatehouse used to ask for, with the key as its secret
        del event["headers"]["x-retell-signature"]
        event["headers"]["X-Gatehouse-Signature"] = f"t={now // 1000},v1=" + "0" * 64
    assert rejected(hooks(event)) == REJECTED
    assert calls(tenant_a, CALLED) == []
    assert not is_suppressed(tenant_a.scope, CALLED)
    assert stop_audits(tenant_a) == []


@pytest.mark.parametrize(
    "call",
    [
        {"call_analysis": {"disposition": "Do Not Call"}},
        {"call_analysis": {"do_not_call": True}},
        {"call_analysis": {"custom_analysis_data": {"do_not_call": True}}},
        {"call_analysis": {"disposition": "stop-calling"}},
    ],
)
def test_a_do_not_call_flag_suppresses_at_once(hooks, tenant_a: TenantFixture, call: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    reply = hooks(voice_event(ref, payload("call_analyzed", **call)))
    assert reply.status == 200, reply.body
    assert is_suppressed(tenant_a.scope, CALLED)
    [entry] = stop_audits(tenant_a)
    assert entry.actor.label == f"contact:{contact_id_for(tenant_a.tenant_id, CALLED)}"


@pytest.mark.parametrize(
    ("reason", "analysis", "outcome"),
    [
        ("voicemail_reached", {}, "voicemail"),
        ("user_hangup", {"in_voicemail": True}, "voicemail"),
        ("dial_no_answer", {}, "no_answer"),
        ("dial_busy", {}, "busy"),
        ("dial_failed", {}, "failed"),
        ("agent_hangup", {}, "answered"),
    ],
)
def test_the_disconnection_reason_says_what_became_of_the_call(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, reason: str, analysis: dict[str, Any], outcome: str
) -> None:
    ref = connected(tenant_a)
    start = {} if reason.startswith("dial_") else {"start_timestamp": 1_714_608_475_945}
    raw = payload("call_analyzed", disconnection_reason=reason, call_analysis=analysis, **start)
    assert hooks(voice_event(ref, raw)).status == 200
    [record] = calls(tenant_a, CALLED)
    assert record.outcome == outcome


def test_replays_and_concurrent_duplicates_have_one_effect(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    raw = payload("call_analyzed", call_id="call_dup", call_analysis={"do_not_call": True})
    replies = [hooks(voice_event(ref, raw)) for _ in range(5)]
    threads = [
        threading.Thread(target=lambda: replies.append(hooks(voice_event(ref, raw)))) for _ in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {(r.status, r.body) for r in replies} == {(200, '{"received":true}')}
    assert len(stop_audits(tenant_a)) == 1
    assert len(calls(tenant_a, CALLED)) == 1


def test_a_malformed_event_is_refused_after_its_signature(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    assert hooks(voice_event(ref, b'{"event": "call_exploded", "call": {}}')).status == 400
    assert hooks(voice_event(ref, b'{"call": {"call_id": "call_1"}}')).status == 400


def test_an_event_no_record_keeps_is_acknowledged_and_changes_nothing(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    reply = hooks(voice_event(ref, payload("transcript_updated", transcript="Agent: hi")))
    assert (reply.status, reply.body) == (200, '{"received":true}')
    assert calls(tenant_a, CALLED) == []


def test_erasure_finds_and_deletes_a_contacts_calls(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    for n in range(3):
        hooks(voice_event(ref, payload("call_ended", call_id=f"call_{n}", transcript="t")))
    contact_id = contact_id_for(tenant_a.tenant_id, CALLED)
    assert voice_events.erase_calls(tenant_a.scope, contact_id) == 3
    assert voice_events.calls_of(tenant_a.scope, contact_id) == []


# ---------------------------------------------------------------- Vapi


def test_vapis_status_update_and_end_of_call_report_build_one_record(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a, VAPI_CREDENTIALS)
    assert hooks(vapi_event(ref, published("vapi", "status-update"))).status == 200
    # Its recording is on Vapi's storage, which nothing here reaches: the copy fails and the
    # report is answered 503 so that Vapi sends it again (tests/integration/test_call_recordings.py
    # copies from a vendor on loopback); what the report says is kept all the same.
    assert hooks(vapi_event(ref, published("vapi", "end-of-call-report"))).status == 503
    [record] = calls(tenant_a, VAPI_CUSTOMER)
    assert (record.vendor, record.direction, record.status, record.outcome) == (
        "vapi",
        "outbound",
        "ended",
        "answered",
    )
    assert record.statuses == ["in-progress", "ended"]
    assert record.duration_seconds == 15
    assert [t.role for t in record.turns] == [Speaker.AGENT, Speaker.USER] * 3 + [
        Speaker.AGENT
    ]  # system left out
    assert record.turns[1].content == "Doing pretty well. How are you?"
    assert (record.recording_ref, record.recording_key) == (None, None)  # the vendor's URL is never stored
    assert (record.cost_cents, record.call_successful) == (8.42, True)
    assert record.disconnection_reason == "customer-ended-call"


def test_a_vapi_message_no_record_keeps_is_acknowledged(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a, VAPI_CREDENTIALS)
    raw = json.dumps({"message": {"type": "speech-update", "status": "started", "role": "user"}}).encode()
    assert hooks(vapi_event(ref, raw)).status == 200
    assert calls(tenant_a, VAPI_CUSTOMER) == []


@pytest.mark.parametrize(
    "how", ["forged", "no_timestamp", "stale", "future", "other_tenant", "tampered", "signed_as_retell"]
)
def test_bad_vapi_signatures_get_the_one_401_and_change_nothing(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, tenant_b: TenantFixture, how: str
) -> None:
    ref = connected(tenant_a, VAPI_CREDENTIALS)
    raw = published("vapi", "end-of-call-report")
    now = int(time.time() * 1000)
    event = vapi_event(ref, raw)
    if how == "forged":
        event["headers"]["x-signature"] = "0" * 64
    elif how == "no_timestamp":
        del event["headers"]["x-timestamp"]
    elif how in {"stale", "future"}:
        event = vapi_event(ref, raw, at_ms=now - SIX_MINUTES_MS if how == "stale" else now + SIX_MINUTES_MS)
    elif how == "other_tenant":
        other = {**VAPI_CREDENTIALS, "webhook_secret": "vapi-hmac-" + "o" * 24}
        connected(tenant_b, other)
        event = vapi_event(ref, raw, secret=other["webhook_secret"])
    elif how == "tampered":
        event["body"] = event["body"].replace(VAPI_CUSTOMER, "+13125550141")
    else:  # Retell's scheme with the same secret is not Vapi's
        event = voice_event(ref, raw, key=VAPI_SECRET)
    assert rejected(hooks(event)) == REJECTED
    assert calls(tenant_a, VAPI_CUSTOMER) == []
