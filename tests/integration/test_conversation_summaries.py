"""The inbox's summaries: what a text in, a decided hold and a reply do to a conversation and the counts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts.keys import contact_id_for
from gatehouse.conversations import inbox
from gatehouse.conversations.records import Conversation, InboxCounts, conversation_id
from gatehouse.dispatch.claims import AttemptLedger, ClaimMark
from gatehouse.identity.caller import operator
from gatehouse.suppression.review import confirm_hold, release_hold
from tests.conftest import TenantFixture
from tests.support.webhooks import connected, twilio_event
from tests.support.webhooks import inbound_sms as sms_pairs

SENDER = "+14155550123"
OTHER = "+14155550124"
TENANT_NUMBER = "+15005550006"  # the To of tests.support.webhooks.inbound_sms


def _summary(tenant: TenantFixture, number: str) -> Conversation:
    key = conversation_id(contact_id_for(tenant.tenant_id, number), Channel.SMS)
    return tenant.scope.require(Conversation, key)


def _counts(tenant: TenantFixture) -> InboxCounts:
    return tenant.scope.get(InboxCounts, inbox.COUNTS_KEY) or InboxCounts()


def _text(hooks, ref: str, sid: str, body: str, sender: str = SENDER) -> None:  # type: ignore[no-untyped-def]
    reply = hooks(twilio_event(ref, sms_pairs(sid, sender, body)))
    assert reply.status == 200, reply.body


def test_a_message_needs_a_reply_and_counts_as_unread(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    _text(hooks, ref, "SM" + "1" * 32, "Can you call me tomorrow at 10?")
    summary = _summary(tenant_a, SENDER)
    assert (summary.unread, summary.needs_reply, summary.held, summary.opted_out) == (1, True, False, False)
    assert summary.tenant_number == TENANT_NUMBER
    assert summary.last_inbound_at == summary.last_at
    assert _counts(tenant_a).unread == 1


def test_a_text_delivered_twice_counts_once(tenant_a: TenantFixture) -> None:
    from gatehouse.webhooks.inbound_sms import InboundSms, receive

    text = InboundSms("SM" + "2" * 32, SENDER, "hello there", tenant_number=TENANT_NUMBER)
    receive(tenant_a.scope, text, request_id="r1")
    receive(tenant_a.scope, text, request_id="r2")  # its replay claim was lost: run again
    assert _summary(tenant_a, SENDER).unread == 1
    assert _counts(tenant_a).unread == 1


def test_keywords_leave_needs_reply_but_stop_and_start_flip_opted_out(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    _text(hooks, ref, "SM" + "3" * 32, "what time do you open")
    _text(hooks, ref, "SM" + "4" * 32, "HELP")
    assert _summary(tenant_a, SENDER).needs_reply is True
    _text(hooks, ref, "SM" + "5" * 32, "STOP")
    stopped = _summary(tenant_a, SENDER)
    assert (stopped.opted_out, stopped.needs_reply, stopped.unread) == (True, False, 3)
    _text(hooks, ref, "SM" + "6" * 32, "START")
    assert _summary(tenant_a, SENDER).opted_out is False


def test_a_held_text_flags_the_conversation_until_the_hold_is_decided(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    owner = operator(tenant_a.tenant_id, "tests", request_id="tests")
    _text(hooks, ref, "SM" + "7" * 32, "who gave you this number")
    _text(hooks, ref, "SM" + "8" * 32, "who gave you this number", sender=OTHER)
    held = _summary(tenant_a, SENDER)
    assert (held.held, held.needs_reply) == (True, False)

    confirm_hold(tenant_a.scope, owner, contact_id_for(tenant_a.tenant_id, SENDER))
    release_hold(tenant_a.scope, owner, contact_id_for(tenant_a.tenant_id, OTHER), "asked who we are")
    confirmed, released = _summary(tenant_a, SENDER), _summary(tenant_a, OTHER)
    assert (confirmed.held, confirmed.opted_out) == (False, True)
    assert (released.held, released.opted_out) == (False, False)


def test_the_campaign_is_the_one_that_last_reached_the_person(tenant_a: TenantFixture) -> None:
    from gatehouse.webhooks.inbound_sms import InboundSms, receive

    contact_id = contact_id_for(tenant_a.tenant_id, SENDER)
    now = datetime.now(UTC)
    tenant_a.scope.save(
        AttemptLedger(
            contact_id=contact_id,
            claims={
                "cmp_old#01": ClaimMark(run_id="run_1", at=now - timedelta(days=2)),
                "cmp_new#01": ClaimMark(run_id="run_2", at=now - timedelta(hours=1)),
            },
        )
    )
    receive(tenant_a.scope, InboundSms("SM" + "9" * 32, SENDER, "yes please"), request_id="r")
    assert _summary(tenant_a, SENDER).campaign_id == "cmp_new"
    assert _counts(tenant_a).by_campaign == {"cmp_new": 1}


def test_two_texts_at_once_are_both_counted(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    start = threading.Barrier(2)

    def send(sid: str, sender: str) -> None:
        start.wait()
        _text(hooks, ref, sid, "are you open on sunday", sender=sender)

    threads = [
        threading.Thread(target=send, args=("SM" + "a" * 32, SENDER)),
        threading.Thread(target=send, args=("SM" + "b" * 32, OTHER)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _summary(tenant_a, SENDER).unread == 1
    assert _summary(tenant_a, OTHER).unread == 1
    assert _counts(tenant_a).unread == 2


def test_a_reply_and_a_read_clear_what_they_answer(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    _text(hooks, ref, "SM" + "c" * 32, "can I book for friday")
    contact_id = contact_id_for(tenant_a.tenant_id, SENDER)
    sent_at = datetime.now(UTC) + timedelta(seconds=5)
    inbox.note_reply(tenant_a.scope, contact_id, Channel.SMS, at=sent_at)
    answered = _summary(tenant_a, SENDER)
    assert (answered.needs_reply, answered.last_outbound_at, answered.last_at) == (False, sent_at, sent_at)
    assert answered.unread == 1  # a reply is no read
    inbox.mark_read(tenant_a.scope, contact_id, Channel.SMS)
    assert _summary(tenant_a, SENDER).unread == 0
    assert _counts(tenant_a).unread == 0
