"""Spoken revocations: what the person says on a call suppresses or holds the number, whatever the agent says.

47 CFR 64.1200(a)(10) (FCC 24-24): consent is revoked by any reasonable means, a call
included; the revocation reaches every channel. The caller's turns are read, never the
agent's. Events are signed and posted to the webhook as the voice agent posts them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatehouse import audit
from gatehouse.contacts.keys import contact_id_for
from gatehouse.dispatch.gates import ContactFacts, Reason, gate_suppression
from gatehouse.suppression import SuppressionSource, list_entries, suppressed
from gatehouse.suppression.review import HeldText
from gatehouse.vault import Provider
from gatehouse.voice.revocations import heard_on_call
from gatehouse.webhooks import inbound_sms, voice_events
from tests.conftest import TenantFixture
from tests.support.webhooks import VOICE_CREDENTIALS, voice_event
from tests.support.webhooks import connected as connect_provider

CALLED = "+13125550140"
REVOKING = (
    "Agent: Hi, this is Ava for Acme Solar. Say stop calling at any time.\nUser: please stop calling me"
)
OFFER_ONLY = "Agent: You can say stop calling, or press 9.\nUser: sure, tell me more about the panels"
DOUBTFUL = "Agent: Hi, this is Ava for Acme Solar.\nUser: who gave you my number?"


def connected(tenant: TenantFixture) -> str:
    return connect_provider(tenant, Provider.VOICE_AGENT, VOICE_CREDENTIALS)


def payload(kind: str, call_id: str = "call_rev_1", **call: Any) -> bytes:
    body = {"event": kind, "call": {"call_id": call_id, "direction": "outbound", "to_number": CALLED, **call}}
    return json.dumps(body).encode()


def entries(tenant: TenantFixture, action: str) -> list[audit.AuditEntry]:
    return [e for e in audit.list_entries(tenant.tenant_id, limit=200).items if e.action == action]


def post(hooks, ref: str, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    reply = hooks(voice_event(ref, raw))
    assert reply.status == 200, reply.body


def gate_says(tenant: TenantFixture) -> Reason | None:
    """What gate 3 says of the number: the one suppression list, read before every text and every call."""
    on_list = suppressed(tenant.scope, [CALLED])
    facts = ContactFacts(
        suppressed=CALLED in on_list and CALLED not in on_list.held, held=CALLED in on_list.held
    )
    return gate_suppression(facts).reason


def test_the_caller_saying_stop_calling_suppresses_every_channel_audited_with_the_call(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture
) -> None:
    """47 CFR 64.1200(a)(10) (FCC 24-24): "please stop calling me", said, revokes; the agent flags nothing."""
    ref = connected(tenant_a)
    post(hooks, ref, payload("call_ended", transcript=REVOKING, call_analysis={"do_not_call": False}))
    assert gate_says(tenant_a) is Reason.SUPPRESSED
    [entry] = list_entries(tenant_a.scope).items
    assert entry.sources == [SuppressionSource.VOICE_STOP_REQUEST]
    contact_id = contact_id_for(tenant_a.tenant_id, CALLED)
    [added] = entries(tenant_a, "suppression.added")
    [heard] = entries(tenant_a, "call.revocation_heard")
    assert added.actor.label == heard.actor.label == f"contact:{contact_id}"
    assert (heard.target.type, heard.target.id) == ("call", "call_rev_1")
    assert heard.changes.after is not None
    assert heard.changes.after["intent"] == "opt_out"
    assert heard.changes.after["ref"] == entry.ref
    assert CALLED not in json.dumps(heard.fields())  # ids and references only, never the number


def test_the_agent_offering_the_opt_out_revokes_nothing(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(10): only the person called revokes; the agent's own words are no request."""
    ref = connected(tenant_a)
    post(hooks, ref, payload("call_ended", transcript=OFFER_ONLY))
    assert gate_says(tenant_a) is None
    assert entries(tenant_a, "suppression.added") == []
    assert entries(tenant_a, "call.revocation_heard") == []


def test_doubtful_words_on_a_call_hold_the_number_for_review(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(10): words that may revoke keep the number out until a person decides."""
    ref = connected(tenant_a)
    post(hooks, ref, payload("call_ended", transcript=DOUBTFUL))
    assert gate_says(tenant_a) is Reason.HELD_FOR_REVIEW
    [held] = inbound_sms.held_texts(tenant_a.scope).items
    assert (held.call_id, held.body) == ("call_rev_1", None)
    [heard] = entries(tenant_a, "call.revocation_heard")
    assert heard.changes.after is not None
    assert heard.changes.after["intent"] == "uncertain"
    assert len(entries(tenant_a, "suppression.held")) == 1


def test_one_calls_events_suppress_once_and_a_later_revocation_settles_a_doubt(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture
) -> None:
    """One call read twice (ended, then analysed) changes the list once; a stronger reading still counts."""
    ref = connected(tenant_a)
    post(hooks, ref, payload("call_ended", transcript=DOUBTFUL))
    post(hooks, ref, payload("call_analyzed", transcript=DOUBTFUL))
    assert len(entries(tenant_a, "suppression.held")) == 1
    assert len(entries(tenant_a, "call.revocation_heard")) == 1
    contact_id = contact_id_for(tenant_a.tenant_id, CALLED)
    filed = tenant_a.scope.require(HeldText, contact_id)
    assert filed.texts == 1
    # Past the webhook's replay window the domain itself acts once: the same event again changes nothing,
    # and a stronger reading of the call (the agent reports a do-not-call) suppresses and is noted.
    again = voice_events.parse(payload("call_analyzed", transcript=DOUBTFUL))
    voice_events.record_event(tenant_a.scope, again, request_id="redelivered")
    assert len(entries(tenant_a, "call.revocation_heard")) == 1
    stronger = voice_events.parse(payload("call_analyzed", call_analysis={"disposition": "dnc"}))
    for _ in range(2):
        voice_events.record_event(tenant_a.scope, stronger, request_id="redelivered")
    noted = heard_on_call(tenant_a.scope, contact_id, "call_rev_1")
    assert noted is not None
    assert noted.intent == "opt_out"
    assert len(entries(tenant_a, "call.revocation_heard")) == 2
    assert len(entries(tenant_a, "suppression.added")) == 1
    [entry] = list_entries(tenant_a.scope).items
    assert set(entry.sources) == {SuppressionSource.HELD_FOR_REVIEW, SuppressionSource.VOICE_STOP_REQUEST}


@pytest.mark.parametrize(
    "transcript",
    ["User: no me llame más", "Agent: hello\nCustomer: put me on your do not call list\nAgent: ok"],
)
def test_spanish_and_other_caller_roles_are_read(hooks, tenant_a: TenantFixture, transcript: str) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(10): any reasonable means, in Spanish too; "customer" is the caller's role."""
    ref = connected(tenant_a)
    post(hooks, ref, payload("call_ended", transcript=transcript))
    assert gate_says(tenant_a) is Reason.SUPPRESSED


def test_the_call_record_keeps_the_disclosures_the_call_carried(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(b)(1)-(2): what the call was configured to say comes back in its metadata and stays."""
    ref = connected(tenant_a)
    said = {"opening": "Hi, this is Ava for Acme Solar.", "opt_out_key": "9", "opt_out_phrase": "say stop"}
    post(hooks, ref, payload("call_started", metadata={"campaign_id": "cmp_x", **said}))
    post(hooks, ref, payload("call_ended", transcript="User: hello"))  # no metadata: what is kept stays
    [record] = voice_events.calls_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, CALLED))
    assert record.disclosures is not None
    assert record.disclosures.model_dump() == said
