"""Status callbacks: Twilio message and call status and the voice agent's call events move a send's
delivery status forward only, signature first, once per (provider id, status)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

import pytest

from gatehouse.contacts.keys import contact_id_for
from gatehouse.dispatch.delivery import Delivery, DeliveryStatus
from gatehouse.identity.caller import operator
from gatehouse.vault import Provider, connect
from gatehouse.webhooks import voice_events
from gatehouse.webhooks.refs import ensure_ref
from tests.conftest import TenantFixture
from tests.integration.test_webhooks_voice import payload
from tests.support.events import Reply, proxy_event
from tests.support.webhooks import (
    TWILIO_CREDENTIALS,
    VOICE_CREDENTIALS,
    call_status,
    connected,
    message_status,
    twilio_event,
    voice_event,
)

SM = "SM" + "5a" * 16
CA = "CA" + "6b" * 16
REJECTED = (401, {"error": {"code": "unauthorized", "message": "signature not valid", "details": []}})


def message(ref: str, sid: str, status: str, **extra: Any) -> dict[str, Any]:
    options = {k: extra.pop(k) for k in ("token", "signature", "url_ref") if k in extra}
    return twilio_event(ref, message_status(sid, status, **extra), route="message-status", **options)


def call(ref: str, sid: str, status: str, **extra: str) -> dict[str, Any]:
    return twilio_event(ref, call_status(sid, status, **extra), route="call-status")


def stored(tenant: TenantFixture, ref: str) -> Delivery | None:
    return tenant.scope.get(Delivery, ref)


def rejected(reply: Reply) -> tuple[int, dict[str, Any]]:
    body = reply.json()
    body["error"].pop("request_id")
    return reply.status, body


# ---------------------------------------------------------------- every status


@pytest.mark.parametrize(
    ("word", "status", "error"),
    [
        ("queued", DeliveryStatus.QUEUED, None),
        ("sent", DeliveryStatus.SENT, None),
        ("delivered", DeliveryStatus.DELIVERED, None),
        ("undelivered", DeliveryStatus.UNDELIVERED, "30003"),
        ("failed", DeliveryStatus.FAILED, "30008"),
    ],
)
def test_every_message_status_is_recorded(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, word: str, status: DeliveryStatus, error: str | None
) -> None:
    ref = connected(tenant_a)
    extra = {"ErrorCode": error} if error else {}
    reply = hooks(message(ref, SM, word, **extra))
    assert (reply.status, reply.json()) == (200, {"received": True})
    record = stored(tenant_a, SM)
    assert record is not None
    assert (record.status, record.error_code) == (status, error)


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("initiated", DeliveryStatus.INITIATED),
        ("ringing", DeliveryStatus.RINGING),
        ("answered", DeliveryStatus.ANSWERED),
        ("in-progress", DeliveryStatus.ANSWERED),
        ("completed", DeliveryStatus.COMPLETED),
        ("busy", DeliveryStatus.BUSY),
        ("no-answer", DeliveryStatus.NO_ANSWER),
        ("failed", DeliveryStatus.FAILED),
    ],
)
def test_every_call_status_is_recorded(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, word: str, status: DeliveryStatus
) -> None:
    ref = connected(tenant_a)
    extra = {"CallDuration": "37"} if word == "completed" else {}
    assert hooks(call(ref, CA, word, **extra)).status == 200
    record = stored(tenant_a, CA)
    assert record is not None
    assert record.status is status
    assert record.duration_seconds == (37 if word == "completed" else None)


def test_a_calls_record_keeps_every_status_and_who_answered(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    for word, extra in [
        ("initiated", {}),
        ("ringing", {}),
        ("in-progress", {"AnsweredBy": "machine_end_beep"}),
        ("completed", {"AnsweredBy": "machine_end_beep", "CallDuration": "23"}),
    ]:
        assert hooks(call(ref, CA, word, **extra)).status == 200
    [record] = voice_events.calls_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, "+14155550123"))
    assert (record.call_id, record.vendor, record.answered_by) == (CA, "twilio", "machine_end_beep")
    assert record.statuses == ["initiated", "ringing", "in-progress", "completed"]
    assert (record.status, record.outcome, record.duration_seconds) == ("completed", "voicemail", 23)


def test_an_answered_by_twilio_does_not_send_is_a_400_and_records_nothing(
    hooks, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    assert hooks(call(ref, CA, "completed", AnsweredBy="robot")).status == 400
    assert stored(tenant_a, CA) is None


# ---------------------------------------------------------------- order


def test_out_of_order_message_statuses_never_move_back(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    for word in ("delivered", "sent", "queued", "undelivered"):
        assert hooks(message(ref, SM, word)).status == 200
    record = stored(tenant_a, SM)
    assert record is not None
    assert record.status is DeliveryStatus.DELIVERED
    assert record.version == 1  # the late ones wrote nothing


def test_out_of_order_call_statuses_keep_the_end_and_its_duration(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    hooks(call(ref, CA, "ringing"))
    hooks(call(ref, CA, "completed", CallDuration="61"))
    hooks(call(ref, CA, "in-progress"))
    hooks(call(ref, CA, "initiated"))
    record = stored(tenant_a, CA)
    assert record is not None
    assert (record.status, record.duration_seconds, record.version) == (DeliveryStatus.COMPLETED, 61, 2)


def test_in_order_statuses_each_step_forward(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    seen = []
    for word in ("queued", "sent", "delivered"):
        hooks(message(ref, SM, word))
        record = stored(tenant_a, SM)
        assert record is not None
        seen.append(record.status)
    assert seen == [DeliveryStatus.QUEUED, DeliveryStatus.SENT, DeliveryStatus.DELIVERED]


# ---------------------------------------------------------------- signatures


@pytest.mark.parametrize("how", ["forged", "missing", "other_tenants_token", "unknown_ref", "other_url"])
def test_bad_signatures_get_the_one_401_and_record_nothing(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, tenant_b: TenantFixture, how: str
) -> None:
    ref = connected(tenant_a)
    if how == "forged":
        event = message(ref, SM, "delivered", signature="bm90IGEgc2lnbmF0dXJl")
    elif how == "missing":
        event = message(ref, SM, "delivered")
        del event["headers"]["X-Twilio-Signature"]
    elif how == "other_tenants_token":
        caller = operator(tenant_b.tenant_id, "tests", request_id="tests")
        connect(tenant_b.scope, caller, Provider.TWILIO, {**TWILIO_CREDENTIALS, "auth_token": "7c" * 16})
        event = message(ref, SM, "delivered", token="7c" * 16)
    elif how == "unknown_ref":
        event = message("whk_" + "q" * 26, SM, "delivered")
    else:  # signed for the SMS webhook's URL, replayed at the status one
        pairs = message_status(SM, "delivered")
        event = twilio_event(ref, pairs, route="message-status")
        event["headers"]["X-Twilio-Signature"] = twilio_event(ref, pairs)["headers"]["X-Twilio-Signature"]
    assert rejected(hooks(event)) == REJECTED
    assert stored(tenant_a, SM) is None


def test_another_tenants_callback_cannot_touch_this_tenants_send(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    ref_a = connected(tenant_a)
    ref_b = connected(tenant_b)
    hooks(message(ref_a, SM, "sent"))
    assert hooks(message(ref_b, SM, "failed", ErrorCode="30008")).status == 200  # b's own, same SID
    record_a = stored(tenant_a, SM)
    assert record_a is not None
    assert record_a.status is DeliveryStatus.SENT


# ---------------------------------------------------------------- once per (sid, status)


def test_a_replayed_callback_has_one_effect(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    event = message(ref, SM, "undelivered", ErrorCode="30003")
    replies = [hooks(event) for _ in range(5)]
    assert {(r.status, r.body) for r in replies} == {(200, '{"received":true}')}
    record = stored(tenant_a, SM)
    assert record is not None
    assert (record.status, record.error_code, record.version) == (DeliveryStatus.UNDELIVERED, "30003", 1)


def test_concurrent_duplicates_have_one_effect(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    events = [message(ref, SM, "delivered"), call(ref, CA, "completed", CallDuration="12")]
    replies: list[Reply] = []

    def deliver(event: dict[str, Any]) -> None:
        replies.append(hooks(event))

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in replies] == [200] * 10
    for sid in (SM, CA):
        record = stored(tenant_a, sid)
        assert record is not None
        assert record.version == 1


# ---------------------------------------------------------------- form encoding


@pytest.mark.parametrize(
    ("pairs", "why"),
    [
        ([*message_status(SM, "delivered"), ("MessageStatus", "failed")], "repeated status"),
        (message_status(SM, "teleported"), "unknown status"),
        (message_status(SM, "undelivered", ErrorCode="30003; DROP"), "error code not a number"),
        (message_status("SM../../x", "delivered"), "sid not an id"),
        ([p for p in message_status(SM, "delivered") if p[0] != "MessageStatus"], "no status"),
        ([p for p in message_status(SM, "delivered") if p[0] != "MessageSid"], "no sid"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_signed_but_unreadable_callback_is_400_and_records_nothing(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, pairs: list[tuple[str, str]], why: str
) -> None:
    ref = connected(tenant_a)
    reply = hooks(twilio_event(ref, pairs, route="message-status"))
    assert reply.status == 400, (why, reply.body)
    assert stored(tenant_a, SM) is None


def test_unknown_extra_fields_and_unicode_are_signed_and_accepted(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    event = message(ref, SM, "Delivered", RawDlrDoneDate="2603101800", Note="¿Qué? 🙂 a+b&c=d")
    assert hooks(event).status == 200
    record = stored(tenant_a, SM)
    assert record is not None
    assert record.status is DeliveryStatus.DELIVERED


def test_a_body_that_is_not_a_form_is_rejected_like_a_bad_signature(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    event = proxy_event(
        "POST",
        f"/webhooks/twilio/{ref}/call-status",
        raw_body=urlencode([("a", "b")] * 300),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )
    assert rejected(hooks(event)) == REJECTED


# ---------------------------------------------------------------- voice agent


def test_voice_agent_events_move_the_calls_delivery_status(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    caller = operator(tenant_a.tenant_id, "tests", request_id="tests")
    connect(tenant_a.scope, caller, Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    ref = ensure_ref(tenant_a.scope)
    ended = payload(
        "call_ended", "call_42", start_timestamp=1_700_000_000_000, end_timestamp=1_700_000_095_500
    )
    assert hooks(voice_event(ref, ended)).status == 200
    assert hooks(voice_event(ref, payload("call_started", "call_42"))).status == 200
    record = stored(tenant_a, "call_42")
    assert record is not None
    assert (record.status, record.duration_seconds) == (DeliveryStatus.COMPLETED, 95)

    unanswered = payload("call_ended", "call_43", disconnection_reason="dial_no_answer")
    hooks(voice_event(ref, unanswered))
    record = stored(tenant_a, "call_43")
    assert record is not None
    assert record.status is DeliveryStatus.NO_ANSWER
