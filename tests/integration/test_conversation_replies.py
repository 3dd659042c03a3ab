"""A member's one-off reply: the campaign's gates, one claim, one text per Idempotency-Key.

Each conversation starts as it does in use: the campaign texts the person (a dispatch batch),
the person texts back through the signed Twilio webhook, then a member answers through the
API with the API's clock pinned. A refusal says which gate, why and when the reply may go,
and writes nothing but what the gates write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse import audit
from gatehouse.campaigns.records import Campaign, CampaignStatus
from gatehouse.contacts.records import Contact
from gatehouse.conversations.records import Conversation, ReplyMessage, ReplyStatus
from gatehouse.conversations.replies import reply_claim_key, reply_id_for
from gatehouse.dispatch.claims import AttemptLedger
from gatehouse.identity.caller import operator
from gatehouse.identity.permissions import Role
from gatehouse.providers.sandbox import sandbox
from gatehouse.vault import Provider, revoke
from tests.conftest import TenantFixture
from tests.support.conversations import (
    OTHER_SENDER,
    PINNED,
    WRITTEN_TO,
    Thread,
    approved_campaign,
    connected_tenant,
    signed_webhook,
    thread,
)

TEXT = "Yes, 10 tomorrow works. Talk then!"
Api = Callable[..., Any]


@pytest.fixture
def pinned(api_module, monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:  # type: ignore[no-untyped-def]
    """Set the API's clock (the gates decide by the time in the person's zones)."""

    def at(moment: datetime) -> None:
        monkeypatch.setattr(api_module, "clock", lambda: moment)

    at(PINNED)
    return at


@pytest.fixture
def world(tenant_a: TenantFixture, hooks, pinned) -> Iterator[TenantFixture]:  # type: ignore[no-untyped-def]
    sandbox().reset()
    connected_tenant(tenant_a.scope)
    yield tenant_a
    sandbox().reset()


def started(tenant: TenantFixture, hooks, **kwargs: Any) -> Thread:  # type: ignore[no-untyped-def]
    convo = thread(tenant.scope, signed_webhook(hooks), **kwargs)
    sandbox().reset()  # the campaign's own text is not the reply
    return convo


def answer(api: Api, tenant: TenantFixture, convo: Thread, key: str = "key-0001", text: str = TEXT, role: Role = Role.MEMBER):  # type: ignore[no-untyped-def]
    return api(
        "POST",
        f"/conversations/{convo.conversation_id}/messages",
        token=tenant.keys[role],
        body={"body": text},
        headers={"Idempotency-Key": key},
    )


def refusal(reply: Any) -> dict[str, str]:
    assert reply.status == 409, reply.body
    error = reply.json()["error"]
    assert error["code"] == "reply_refused"
    (detail,) = error["details"]
    return dict(detail)


def replies_of(convo: Thread) -> list[ReplyMessage]:
    return convo.scope.query(ReplyMessage, prefix=f"{convo.contact_id}#", limit=10).items


def reply_entries(tenant: TenantFixture) -> list[audit.AuditEntry]:
    return [e for e in audit.list_entries(tenant.tenant_id, limit=200).items if e.action == "conversation.replied"]


# ---------------------------------------------------------------- a reply that passes


def test_a_reply_is_sent_once_from_the_number_written_to_even_when_posted_twice(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    convo = started(world, hooks)
    first = answer(api, world, convo)
    again = answer(api, world, convo)

    assert first.status == 201, first.body
    assert again.status == 200, again.body
    assert again.json() == first.json()
    (sent,) = sandbox().messages()
    assert (sent.to, sent.body, sent.sender) == (convo.phone, TEXT, WRITTEN_TO)
    body = first.json()
    assert body["status"] == "sent"
    assert body["provider_ref"] == sent.sid
    assert body["sent_by"].startswith("api_key:")
    assert body["campaign_id"] == convo.campaign_id
    assert body["reply_id"] == reply_id_for(convo.contact_id, "key-0001")
    (stored,) = replies_of(convo)
    assert (stored.status, stored.body) == (ReplyStatus.SENT, TEXT)


def test_the_reply_is_a_claim_on_the_ledger_and_counts_as_an_attempt_of_the_day(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    convo = started(world, hooks)
    before = convo.scope.require(AttemptLedger, convo.contact_id)
    assert answer(api, world, convo).status == 201
    ledger = convo.scope.require(AttemptLedger, convo.contact_id)
    reply_id = reply_id_for(convo.contact_id, "key-0001")
    assert reply_claim_key(reply_id) in ledger.claims
    assert ledger.recent(PINNED) == [*before.recent(PINNED), PINNED]


def test_the_reply_is_audited_by_ids_never_by_body_or_number(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    convo = started(world, hooks)
    answer(api, world, convo)
    answer(api, world, convo)  # the retry sends and records nothing more
    (entry,) = reply_entries(world)
    assert (entry.target.type, entry.target.id) == ("conversation", convo.conversation_id)
    dumped = str(entry.model_dump())
    assert TEXT not in dumped
    assert convo.phone not in dumped
    assert WRITTEN_TO not in dumped


def test_the_conversation_no_longer_needs_a_reply(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    convo = started(world, hooks)
    assert answer(api, world, convo).status == 201
    summary = convo.scope.require(Conversation, convo.conversation_id)
    assert summary.needs_reply is False
    assert summary.last_outbound_at == PINNED
    assert summary.last_at == PINNED


def test_a_number_outside_the_campaigns_pool_answers_from_the_pools_first(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    campaign_id = approved_campaign(world.scope, senders={"numbers": [OTHER_SENDER]})
    convo = started(world, hooks, campaign_id=campaign_id)
    assert answer(api, world, convo).status == 201
    (sent,) = sandbox().messages()
    assert sent.sender == OTHER_SENDER


def test_the_same_key_with_another_text_is_refused_and_sends_nothing(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    convo = started(world, hooks)
    answer(api, world, convo)
    other = answer(api, world, convo, text="Something else entirely")
    assert other.status == 409, other.body
    assert other.json()["error"]["details"] == [{"field": "Idempotency-Key", "reason": "used for another message"}]
    assert len(sandbox().messages()) == 1


def test_a_provider_refusal_is_recorded_as_send_failed_and_its_key_never_sends_again(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    from gatehouse.providers.base import CheckStatus

    convo = started(world, hooks)
    sandbox().answer(Provider.TWILIO, CheckStatus.REJECTED)
    first = answer(api, world, convo)
    sandbox().answer(Provider.TWILIO, CheckStatus.VERIFIED)
    again = answer(api, world, convo)
    assert first.status == 201, first.body
    assert (first.json()["status"], first.json()["error"]) == ("send_failed", "sandbox_rejected")
    assert again.json() == first.json()
    assert len(sandbox().messages()) == 1
    assert convo.scope.require(Conversation, convo.conversation_id).needs_reply is True
