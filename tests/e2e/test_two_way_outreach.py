"""Two-way outreach on the local runtime: replies in the inbox, an answer through the gates, a held
reply told to the owner by mail and to the tenant's own receiver by a signed event.

The demo campaign runs over HTTP (``local.demo``). Then, with the gates' clock still on the demo's
Wednesday afternoon: the tenant registers an event endpoint on a local receiver (127.0.0.1, the
local runtime's documented exception to the public-address rule); Ann, whom the campaign texted,
asks "Can you call me tomorrow at 10?" and shows in the inbox as needing a reply; a member answers
through ``POST /conversations/{id}/messages`` and the answer reaches the sandbox provider; Lee
answers with words that may revoke consent ("Where did you get my number?", 47 CFR 64.1200(a)(10):
doubtful, so held for review), and the owner's notification lands in the outbox while the
receiver gets a ``contact.held_for_review`` event whose Standard Webhooks signature it checks.
Every step is an API call, a signed provider webhook, or the runtime's own event sources
(``LocalRuntime.drain_events``: the tables' streams to the events function, the deliveries
queue to the delivery function).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from gatehouse.providers.sandbox import sandbox
from local.demo import Client, DemoRun, demo_moment, reply, run_demo
from local.runtime import DEMO_OWNER_EMAIL, LocalRuntime
from tests.support.receiver import Receiver, local_receiver

ANN = "+14155550132"  # California: the campaign texted her
LEE = "+14045550156"  # Georgia: the campaign texted him
ANNS_QUESTION = "Can you call me tomorrow at 10?"
LEES_DOUBT = "Where did you get my number?"
ANSWER = "Of course, Ann: we will call you tomorrow at 10."
E164 = re.compile(r"\+1\d{10}")


@pytest.fixture(scope="module")
def moment() -> datetime:
    return demo_moment(datetime.now(UTC))


@pytest.fixture(scope="module")
def demo(runtime: LocalRuntime, moment: datetime) -> Iterator[DemoRun]:
    sandbox().reset()
    found = run_demo(runtime, at=moment)
    runtime.drain_events()  # what the demo itself set off is heard before the endpoint exists
    runtime.set_clock(lambda: moment + timedelta(minutes=20))  # the same afternoon, for the gates
    try:
        yield found
    finally:
        runtime.set_clock(None)


@pytest.fixture(scope="module")
def owner(runtime: LocalRuntime, demo: DemoRun) -> Client:
    assert runtime.demo is not None
    return Client(runtime.api_url, runtime.demo.api_key)


@pytest.fixture(scope="module")
def member(owner: Client, runtime: LocalRuntime) -> Client:
    key = owner.expect(201, "POST", "/api-keys", {"name": "inbox", "role": "member"})["token"]
    return Client(runtime.api_url, key)


@pytest.fixture(scope="module")
def receiver(owner: Client) -> Iterator[tuple[Receiver, str]]:
    with local_receiver() as listening:
        created = owner.expect(
            201,
            "POST",
            "/event-endpoints",
            {"url": listening.url, "event_types": ["contact.held_for_review"], "description": "CRM"},
        )
        yield listening, created["secret"]


def _conversations(client: Client, query: str) -> list[dict[str, Any]]:
    return client.expect(200, "GET", f"/conversations?{query}")["items"]


def test_a_question_from_a_person_the_campaign_texted_waits_in_the_inbox(
    demo: DemoRun, owner: Client, member: Client
) -> None:
    ann = demo["contacts"][ANN]
    reply(owner, ANN, ANNS_QUESTION, sid="SM" + "a1" * 16)
    (waiting,) = [c for c in _conversations(member, "needs_reply=true") if c["contact_id"] == ann]
    assert waiting["conversation_id"] == f"{ann}.sms"
    assert (waiting["unread"], waiting["held"], waiting["opted_out"]) == (1, False, False)
    sms_campaign = demo["sms"][0]["campaign_id"]
    assert waiting["campaign_id"] == sms_campaign  # the campaign that reached her
    thread = member.expect(200, "GET", f"/conversations/{ann}.sms/messages")["items"]
    kinds = [item["kind"] for item in thread]
    assert kinds[0] == "inbound"  # newest first: her question, after the campaign's text
    assert thread[0]["body"] == ANNS_QUESTION
    assert "campaign" in kinds


def test_a_members_answer_passes_the_gates_and_reaches_the_provider_once(
    demo: DemoRun, member: Client, runtime: LocalRuntime
) -> None:
    ann = demo["contacts"][ANN]
    assert runtime.demo is not None
    before = len(sandbox().messages(runtime.demo.tenant_id))
    path = f"/conversations/{ann}.sms/messages"
    headers = {"Idempotency-Key": "answer-ann-0001"}
    status, sent = member.call("POST", path, {"body": ANSWER}, headers=headers)
    assert status == 201, sent
    assert sent["status"] == "sent"
    status, again = member.call("POST", path, {"body": ANSWER}, headers=headers)  # a retried POST
    assert (status, again["reply_id"]) == (200, sent["reply_id"])
    answered = [m for m in sandbox().messages(runtime.demo.tenant_id)[before:] if m.to == ANN]
    assert [m.body for m in answered] == [ANSWER]  # once, whatever the retries
    assert answered[0].sender == "+14155550100"  # from the number she wrote to
    (summary,) = [c for c in _conversations(member, "") if c["contact_id"] == ann]
    assert summary["needs_reply"] is False


def test_a_doubtful_reply_is_held_the_owner_is_mailed_and_the_receiver_gets_a_signed_event(
    demo: DemoRun, owner: Client, member: Client, receiver: tuple[Receiver, str], runtime: LocalRuntime
) -> None:
    listening, secret = receiver
    lee = demo["contacts"][LEE]
    mails_before = len(runtime.mail())
    reply(owner, LEE, LEES_DOUBT, sid="SM" + "b2" * 16)
    (held,) = [c for c in _conversations(owner, "held=true") if c["contact_id"] == lee]
    assert held["needs_reply"] is False  # an owner or admin decides first: held, not awaiting an answer
    runtime.drain_events()

    # The tenant's system: one signed event, checked with the Standard Webhooks reference library.
    (got,) = [r for r in listening.received if json.loads(r.body)["type"] == "contact.held_for_review"]
    payload = Webhook(secret).verify(got.body, got.headers)
    assert payload["data"]["contact_id"] == lee
    assert got.headers["webhook-id"].startswith("evt_")
    assert not E164.search(got.body.decode())  # ids, never the number

    # The owner: told by mail, with a link to the review and nothing of the person.
    told = [
        m
        for m in runtime.mail()[mails_before:]
        if m["to"] == DEMO_OWNER_EMAIL and m.get("template") == "message_held_for_review"
    ]
    assert len(told) == 1
    assert "/optout-reviews" in told[0]["text"]
    assert LEES_DOUBT not in told[0]["text"]
    assert not E164.search(told[0]["text"] + told[0]["subject"])

    # Until an owner or admin decides, no attempt reaches him: a member's answer is refused.
    path = f"/conversations/{lee}.sms/messages"
    status, refused = member.call(
        "POST", path, {"body": "Sorry!"}, headers={"Idempotency-Key": "answer-lee-0001"}
    )
    assert status == 409, refused
    assert refused["error"]["details"][0]["reason"] == "held_for_review"
