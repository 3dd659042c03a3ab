"""Twilio inbound SMS: signature first, opt-outs suppressed before the reply, once per MessageSid."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

import pytest

from gatehouse import audit
from gatehouse.contacts.keys import contact_id_for
from gatehouse.identity.caller import operator
from gatehouse.suppression import SuppressionSource, is_suppressed, suppress
from gatehouse.vault import Provider, connect
from gatehouse.webhooks import inbound_sms
from gatehouse.webhooks.refs import ensure_ref, tenant_for
from tests.conftest import TenantFixture
from tests.support.events import Reply, proxy_event
from tests.support.webhooks import TWILIO_CREDENTIALS, connected, twilio_event
from tests.support.webhooks import inbound_sms as sms_pairs
from tests.unit.test_optout import OPT_OUTS, ORDINARY

SENDER = "+14155550123"


def suppression_audits(tenant: TenantFixture) -> list[audit.AuditEntry]:
    return [
        e for e in audit.list_entries(tenant.tenant_id, limit=100).items if e.action == "suppression.added"
    ]


# ---------------------------------------------------------------- refs


def test_a_ref_is_unguessable_stable_and_names_only_its_tenant(tenant_a: TenantFixture, tenant_b) -> None:  # type: ignore[no-untyped-def]
    ref = ensure_ref(tenant_a.scope)
    assert ref.startswith("whk_")
    assert len(ref) == 30
    assert tenant_a.tenant_id[4:] not in ref
    assert ensure_ref(tenant_a.scope) == ref
    assert ensure_ref(tenant_b.scope) != ref
    assert tenant_for(ref) == tenant_a.tenant_id
    assert tenant_for("whk_" + "a" * 26) is None
    assert tenant_for(tenant_a.tenant_id) is None


def test_concurrent_first_asks_agree_on_one_ref(tenant_a: TenantFixture) -> None:
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(ensure_ref(tenant_a.scope))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 5  # every one of them got an answer
    assert len(set(seen)) == 1


def test_the_api_shows_the_webhook_urls(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    from gatehouse.identity.permissions import Role

    reply = api("GET", "/integrations/webhooks", token=tenant_a.keys[Role.ADMIN])
    assert reply.status == 200, reply.body
    ref = ensure_ref(tenant_a.scope)
    assert reply.json() == {
        "twilio_sms": f"https://api.gatehouse.test/webhooks/twilio/{ref}/sms",
        "voice_agent": f"https://api.gatehouse.test/webhooks/voice-agent/{ref}",
    }


# ---------------------------------------------------------------- signatures


def _rejected(reply: Reply) -> tuple[int, dict[str, Any]]:
    body = reply.json()
    body["error"].pop("request_id")
    return reply.status, body


REJECTED = (401, {"error": {"code": "unauthorized", "message": "signature not valid", "details": []}})


def test_a_signed_stop_suppresses_before_the_reply(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    reply = hooks(twilio_event(ref, sms_pairs("SM" + "1" * 32, SENDER, "Stop")))
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"].startswith("text/xml")
    assert inbound_sms.OPT_OUT_REPLY in reply.body
    assert reply.body.count("<Message>") == 1
    assert is_suppressed(tenant_a.scope, SENDER)
    [entry] = suppression_audits(tenant_a)
    assert entry.actor.label == f"contact:{contact_id_for(tenant_a.tenant_id, SENDER)}"
    assert SENDER not in str(entry.model_dump())


@pytest.mark.parametrize(
    "how",
    ["forged", "missing", "other_tenants_token", "unknown_ref", "not_a_ref", "not_connected", "other_url"],
)
def test_every_bad_signature_gets_the_same_401_and_changes_nothing(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, tenant_b: TenantFixture, how: str
) -> None:
    ref = connected(tenant_a)
    pairs = sms_pairs("SM" + "2" * 32, SENDER, "STOP")
    if how == "forged":
        event = twilio_event(ref, pairs, signature="bm90IGEgc2lnbmF0dXJl")
    elif how == "missing":
        event = twilio_event(ref, pairs)
        del event["headers"]["X-Twilio-Signature"]
    elif how == "other_tenants_token":
        caller = operator(tenant_b.tenant_id, "tests", request_id="tests")
        connect(tenant_b.scope, caller, Provider.TWILIO, {**TWILIO_CREDENTIALS, "auth_token": "7c" * 16})
        event = twilio_event(ref, pairs, token="7c" * 16)
    elif how == "unknown_ref":
        event = twilio_event("whk_" + "q" * 26, pairs)
    elif how == "not_a_ref":
        event = twilio_event(tenant_a.tenant_id, pairs)
    elif how == "not_connected":
        event = twilio_event(ensure_ref(tenant_b.scope), pairs)
    else:  # signed for another tenant's URL, replayed at this one
        event = twilio_event(ref, pairs, url_ref=ensure_ref(tenant_b.scope))
    reply = hooks(event)
    assert _rejected(reply) == REJECTED
    assert not is_suppressed(tenant_a.scope, SENDER)
    assert suppression_audits(tenant_a) == []


def test_a_tampered_body_fails_its_signature(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    event = twilio_event(ref, sms_pairs("SM" + "3" * 32, SENDER, "see you soon"))
    event["body"] = event["body"].replace("see+you+soon", "STOP")
    assert _rejected(hooks(event)) == REJECTED
    assert not is_suppressed(tenant_a.scope, SENDER)


def test_a_huge_body_is_413_before_anything(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    event = twilio_event(ref, sms_pairs("SM" + "4" * 32, SENDER, "STOP " + "x" * 300_000))
    reply = hooks(event)
    assert reply.status == 413
    assert not is_suppressed(tenant_a.scope, SENDER)


# ---------------------------------------------------------------- keywords and messages


def test_every_opt_out_phrasing_suppresses(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    phrasings = list(dict.fromkeys(OPT_OUTS))
    assert len(phrasings) >= 40
    for n, body in enumerate(phrasings):
        sender = f"+1415555{2000 + n:04d}"
        reply = hooks(twilio_event(ref, sms_pairs(f"SM{n:032d}", sender, body)))
        assert reply.status == 200, (body, reply.body)
        assert is_suppressed(tenant_a.scope, sender), body


def test_ordinary_replies_are_stored_never_suppressed(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    for n, body in enumerate(dict.fromkeys(ORDINARY)):
        sender = f"+1415555{3000 + n:04d}"
        reply = hooks(twilio_event(ref, sms_pairs(f"SM{n:032d}", sender, body)))
        assert reply.status == 200, (body, reply.body)
        assert "<Message>" not in reply.body
        assert not is_suppressed(tenant_a.scope, sender), body
        [stored] = inbound_sms.messages_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, sender))
        assert stored.body == body[: inbound_sms.BODY_MAX]


def test_start_lifts_only_a_stop_that_stands_alone(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    hooks(twilio_event(ref, sms_pairs("SM" + "5" * 32, SENDER, "STOP")))
    reply = hooks(twilio_event(ref, sms_pairs("SM" + "6" * 32, SENDER, "START")))
    assert inbound_sms.OPT_IN_REPLY in reply.body
    assert not is_suppressed(tenant_a.scope, SENDER)

    manual = "+14155550124"
    suppress(
        tenant_a.scope, operator(tenant_a.tenant_id, "t", request_id="t"), manual, SuppressionSource.MANUAL
    )
    hooks(twilio_event(ref, sms_pairs("SM" + "7" * 32, manual, "STOP")))
    reply = hooks(twilio_event(ref, sms_pairs("SM" + "8" * 32, manual, "UNSTOP")))
    assert reply.status == 200
    assert "<Message>" not in reply.body
    assert is_suppressed(tenant_a.scope, manual)


def test_help_answers_with_the_tenants_text(hooks, api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    from gatehouse.identity.permissions import Role

    ref = connected(tenant_a)
    reply = hooks(twilio_event(ref, sms_pairs("SM" + "9" * 32, SENDER, "HELP")))
    assert inbound_sms.DEFAULT_HELP.replace("&", "&amp;") in reply.body
    put = api(
        "PUT", "/settings/sms-help", token=tenant_a.keys[Role.ADMIN], body={"help_text": "Alpha: call us"}
    )
    assert put.status == 200, put.body
    reply = hooks(twilio_event(ref, sms_pairs("SM" + "a" * 32, SENDER, "help")))
    assert "<Message>Alpha: call us</Message>" in reply.body
    assert not is_suppressed(tenant_a.scope, SENDER)


# ---------------------------------------------------------------- form encoding


def test_unicode_and_empty_bodies(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    hooks(twilio_event(ref, sms_pairs("SM" + "b" * 32, SENDER, "\uff33\uff34\uff2f\uff30")))
    assert is_suppressed(tenant_a.scope, SENDER)
    other = "+14155550125"
    for sid, body in (("SM" + "c" * 32, "¿Mañana a las 3? 🙂"), ("SM" + "d" * 32, "")):
        reply = hooks(twilio_event(ref, sms_pairs(sid, other, body)))
        assert reply.status == 200, reply.body
    stored = inbound_sms.messages_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, other))
    assert sorted(m.body for m in stored) == ["", "¿Mañana a las 3? 🙂"]
    assert not is_suppressed(tenant_a.scope, other)


def test_repeated_fields_are_signed_as_twilio_signs_them_then_refused(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    pairs = [*sms_pairs("SM" + "e" * 32, SENDER, "hello"), ("Body", "STOP")]
    reply = hooks(twilio_event(ref, pairs))
    assert reply.status == 400, reply.body
    assert not is_suppressed(tenant_a.scope, SENDER)


def test_a_body_that_is_not_a_form_is_rejected_like_a_bad_signature(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    event = proxy_event(
        "POST",
        f"/webhooks/twilio/{ref}/sms",
        raw_body=urlencode([("a", "b")] * 300),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )
    assert _rejected(hooks(event)) == REJECTED


# ---------------------------------------------------------------- once per MessageSid


def test_a_replayed_stop_changes_nothing_and_is_confirmed_once(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(12) (FCC 24-24) allows one confirmation: a repeated delivery answers with none.

    (It used to get the first reply again, which Twilio would have sent as a second text.)
    """
    ref = connected(tenant_a)
    event = twilio_event(ref, sms_pairs("SM" + "f" * 32, SENDER, "STOP"))
    replies = [hooks(event) for _ in range(5)]
    assert [r.status for r in replies] == [200] * 5
    assert replies[0].body.count(inbound_sms.OPT_OUT_REPLY) == 1
    assert all("<Message>" not in r.body for r in replies[1:])
    assert len(suppression_audits(tenant_a)) == 1


def test_concurrent_duplicates_have_one_effect(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    stop = twilio_event(ref, sms_pairs("SM" + "0a" * 16, SENDER, "STOP"))
    message = twilio_event(ref, sms_pairs("SM" + "0b" * 16, "+14155550126", "see you at 3"))
    replies: list[Reply] = []

    def deliver(event: dict[str, Any]) -> None:
        replies.append(hooks(event))

    threads = [threading.Thread(target=deliver, args=(e,)) for e in (stop, message) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in replies] == [200] * 10
    assert sum(r.body.count(inbound_sms.OPT_OUT_REPLY) for r in replies) == 1  # (a)(12): one confirmation
    assert len(suppression_audits(tenant_a)) == 1
    assert (
        len(inbound_sms.messages_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, "+14155550126"))) == 1
    )


def test_a_message_run_again_without_its_claim_is_kept_once(tenant_a: TenantFixture) -> None:
    # The first run stored the message, then its reply was lost and its claim dropped.
    sms = inbound_sms.InboundSms(message_sid="SM" + "0c" * 16, sender="+14155550127", body="running late")
    for _ in range(2):
        assert inbound_sms.receive(tenant_a.scope, sms, request_id="req-1") is None
    kept = inbound_sms.messages_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, "+14155550127"))
    assert [m.message_sid for m in kept] == [sms.message_sid]


def test_erasure_finds_and_deletes_a_contacts_messages(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    for n in range(3):
        hooks(twilio_event(ref, sms_pairs(f"SM{n:032d}", SENDER, f"message {n}")))
    contact_id = contact_id_for(tenant_a.tenant_id, SENDER)
    assert len(inbound_sms.messages_of(tenant_a.scope, contact_id)) == 3
    assert inbound_sms.erase_messages(tenant_a.scope, contact_id) == 3
    assert inbound_sms.messages_of(tenant_a.scope, contact_id) == []
