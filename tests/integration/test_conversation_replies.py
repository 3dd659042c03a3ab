"""A member's one-off reply: the campaign's gates, one claim, one text per Idempotency-Key.

Each conversation starts as it does in use: the campaign texts the person (a dispatch batch),
the person texts back through the signed Twilio webhook, then a member answers through the
API with the API's clock pinned. A refusal says which gate, why and when the reply may go,
and writes nothing but what the gates write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse import audit
from gatehouse.campaigns.records import Campaign, CampaignStatus
from gatehouse.clients import aws_client
from gatehouse.config import get_settings
from gatehouse.contacts.records import Contact
from gatehouse.conversations.records import Conversation, ReplyMessage, ReplyStatus
from gatehouse.conversations.replies import reply_id_for
from gatehouse.conversations.sending import ReplySendRequest, reply_claim_key
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


def answer(
    api: Api,
    tenant: TenantFixture,
    convo: Thread,
    key: str = "key-0001",
    text: str = TEXT,
    role: Role = Role.MEMBER,
):  # type: ignore[no-untyped-def]
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
    return [
        e for e in audit.list_entries(tenant.tenant_id, limit=200).items if e.action == "conversation.replied"
    ]


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
    assert summary.last_inbound_at is not None
    assert summary.last_at == max(PINNED, summary.last_inbound_at)


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
    assert other.json()["error"]["details"] == [
        {"field": "Idempotency-Key", "reason": "used for another message"}
    ]
    assert len(sandbox().messages()) == 1


def test_a_provider_refusal_is_recorded_as_send_failed_and_its_key_never_sends_again(
    api, hooks, world
) -> None:  # type: ignore[no-untyped-def]
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


# ---------------------------------------------------------------- refusals: which gate, why, and when


def unchanged(convo: Thread, ledger_before: AttemptLedger | None) -> None:
    """A refusal sends nothing and records nothing: no reply, no audit entry, no claim."""
    assert sandbox().messages() == []
    assert replies_of(convo) == []
    assert convo.scope.get(AttemptLedger, convo.contact_id) == ledger_before


def test_federal_hours_refuse_a_reply_at_21_30_local_until_8_00(api, hooks, world, pinned) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(c)(1): nothing before 8 a.m. or after 9 p.m. at the called party's location; the
    replies row of the rule book applies it to answers too (no exception within 24 hours)."""
    every_hour = [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}
    ]
    convo = started(world, hooks, campaign_id=approved_campaign(world.scope, windows=every_hour))
    ledger = convo.scope.get(AttemptLedger, convo.contact_id)
    pinned(datetime(2026, 3, 11, 1, 30, tzinfo=UTC))  # 21:30 EDT in New York, 10 March
    detail = refusal(answer(api, world, convo))
    assert (detail["gate"], detail["reason"]) == ("hours", "federal_hours")
    assert detail["until"] == "2026-03-11T12:00:00Z"  # 8:00 EDT
    assert detail["rule"].startswith("47 CFR 64.1200(c)(1)")
    unchanged(convo, ledger)
    assert reply_entries(world) == []


def test_a_reply_keeps_the_campaigns_own_window(api, hooks, world, pinned) -> None:  # type: ignore[no-untyped-def]
    """Rule book ``replies`` (47 CFR 64.1200(c)(1), strictest reading): answers keep campaign windows."""
    convo = started(world, hooks)  # the campaign texts Monday to Friday, 09:00 to 20:00
    ledger = convo.scope.get(AttemptLedger, convo.contact_id)
    pinned(
        datetime(2026, 3, 11, 0, 30, tzinfo=UTC)
    )  # 20:30 EDT: inside the federal floor, outside the window
    detail = refusal(answer(api, world, convo))
    assert detail == {
        "gate": "hours",
        "reason": "campaign_window",
        "until": "2026-03-11T13:00:00Z",
        "rule": detail["rule"],
    }
    unchanged(convo, ledger)


def test_a_stop_suppresses_every_reply(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(10)-(12), FCC 24-24: a STOP revokes consent; only the one confirmation follows."""
    convo = started(world, hooks)
    signed_webhook(hooks)(convo.scope, "SM" + "5" * 32, convo.phone, "STOP")
    ledger = convo.scope.get(AttemptLedger, convo.contact_id)
    assert refusal(answer(api, world, convo)) == {"gate": "suppression", "reason": "suppressed"}
    unchanged(convo, ledger)


def test_a_text_held_for_review_holds_the_reply(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(10), FCC 24-24: words that may revoke consent stop every attempt until read."""
    convo = started(world, hooks, text="who gave you my number?")
    ledger = convo.scope.get(AttemptLedger, convo.contact_id)
    assert refusal(answer(api, world, convo)) == {"gate": "suppression", "reason": "held_for_review"}
    unchanged(convo, ledger)


def test_a_number_on_the_do_not_call_registry_gets_no_reply(api, hooks, world, pinned) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(c)(2): no telephone solicitation to a number on the National Do-Not-Call Registry.
    The person registered after the campaign's text; the reply's re-scrub (the stamp is 35 days old,
    16 CFR 310.4(b)(3)(iv)) finds them listed."""
    convo = started(world, hooks)
    sandbox().register_on_dnc(convo.phone)
    ledger = convo.scope.get(AttemptLedger, convo.contact_id)
    pinned(PINNED + timedelta(days=35))  # a Tuesday, 14:00 in New York
    assert refusal(answer(api, world, convo)) == {"gate": "dnc", "reason": "dnc_listed"}
    assert sandbox().messages() == []
    assert convo.scope.get(AttemptLedger, convo.contact_id) == ledger


def test_a_stale_dnc_answer_is_rescrubbed_before_the_reply_goes(api, hooks, world, pinned) -> None:  # type: ignore[no-untyped-def]
    """16 CFR 310.4(b)(3)(iv): the registry data relied on is at most 31 days old on the attempt's day."""
    convo = started(world, hooks)
    later = PINNED + timedelta(days=35)  # a Tuesday, 14:00 in New York
    pinned(later)
    assert answer(api, world, convo).status == 201
    stamp = convo.scope.require(Contact, convo.contact_id).dnc
    assert stamp is not None
    assert stamp.checked_at == later  # the re-scrub's answer, stored
    assert len(sandbox().messages()) == 1


def test_a_failed_dnc_source_refuses_the_reply_and_pauses_no_campaign(api, hooks, world, pinned) -> None:  # type: ignore[no-untyped-def]
    """16 CFR 310.4(b)(3)(iv) and DESIGN.md section 6 (fail closed): no fresh answer, no attempt."""
    from gatehouse.providers.base import CheckStatus

    convo = started(world, hooks)
    sandbox().answer(Provider.DNC, CheckStatus.UNREACHABLE)
    ledger = convo.scope.get(AttemptLedger, convo.contact_id)
    pinned(PINNED + timedelta(days=35))  # the stamp is stale: the reply asks the source again
    assert refusal(answer(api, world, convo)) == {"gate": "dnc", "reason": "dnc_source_failed"}
    unchanged(convo, ledger)
    assert convo.scope.require(Campaign, convo.campaign_id).status is CampaignStatus.RUNNING
    stamp = convo.scope.require(Contact, convo.contact_id).dnc
    assert stamp is not None
    assert stamp.source_failed  # what the gate wrote: the failed answer, never a pass


def test_a_reply_is_not_held_to_the_campaigns_own_pacing(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    """A campaign's max_attempts_per_contact paces its outreach, not an answer (dispatch.reply_gates):
    the person the campaign texted today, with a limit of one attempt, is answered the same day."""
    convo = started(world, hooks, campaign_id=approved_campaign(world.scope, max_attempts_per_contact=1))
    assert answer(api, world, convo).status == 201
    assert [m.body for m in sandbox().messages()] == [TEXT]


def test_a_reply_past_a_states_cap_waits_for_it(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    """Fla. Stat. 501.616(6): at most 3 attempts to a person in 24 hours, every number and subject
    counted: the campaign's text at 16:00 UTC and two answers use them; the next waits until the
    text is 24 hours old."""
    convo = started(world, hooks, phone="+13055550101", state="FL")
    assert answer(api, world, convo).status == 201
    assert answer(api, world, convo, key="key-0002", text="See you then").status == 201
    ledger = convo.scope.get(AttemptLedger, convo.contact_id)
    sandbox().reset()
    detail = refusal(answer(api, world, convo, key="key-0003", text="And one more thing"))
    assert detail == {"gate": "caps", "reason": "state_attempt_cap", "until": "2026-03-11T16:00:00Z"}
    assert sandbox().messages() == []
    assert len(replies_of(convo)) == 2
    assert convo.scope.get(AttemptLedger, convo.contact_id) == ledger


def test_a_person_the_campaign_could_not_reach_for_want_of_consent_gets_no_reply(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(2): marketing texts need prior express written consent. The campaign
    blocked the person, so no campaign reached them: their text is answered under none."""
    convo = started(world, hooks, consent=False)
    ledger = convo.scope.get(AttemptLedger, convo.contact_id)
    assert refusal(answer(api, world, convo)) == {"gate": "state", "reason": "no_campaign"}
    unchanged(convo, ledger)


def test_billing_out_of_good_standing_refuses_the_reply(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    from gatehouse.billing.account import BillingAccount, BillingStatus

    convo = started(world, hooks)
    world.scope.save(
        world.scope.require(BillingAccount, "ACCOUNT").model_copy(update={"status": BillingStatus.PAST_DUE})
    )
    assert refusal(answer(api, world, convo)) == {"gate": "state", "reason": "billing_not_in_good_standing"}
    assert sandbox().messages() == []


def test_revoked_twilio_credentials_refuse_before_any_attempt_is_used(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    convo = started(world, hooks)
    revoke(convo.scope, operator(world.tenant_id, "tests", request_id="tests"), Provider.TWILIO)
    ledger = convo.scope.get(AttemptLedger, convo.contact_id)
    detail = refusal(answer(api, world, convo))
    assert detail == {"gate": "provider", "reason": "provider_credentials_unavailable"}
    unchanged(convo, ledger)


def test_a_person_no_campaign_reached_gets_no_reply(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    convo = started(world, hooks)
    summary = convo.scope.require(Conversation, convo.conversation_id)
    convo.scope.save(summary.model_copy(update={"campaign_id": None}))  # wrote in unprompted
    reply = answer(api, world, convo)
    assert refusal(reply) == {"gate": "state", "reason": "no_campaign"}
    assert sandbox().messages() == []


def test_a_voice_conversation_is_answered_by_no_text(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    from gatehouse.compliance.state_rules import Channel

    convo = started(world, hooks)
    summary = convo.scope.require(Conversation, convo.conversation_id)
    convo.scope.save(summary.model_copy(update={"channel": Channel.VOICE, "version": 0}))
    voice = Thread(convo.scope, convo.contact_id, f"{convo.contact_id}.voice", convo.campaign_id, convo.phone)
    assert refusal(answer(api, world, voice)) == {"gate": "channel", "reason": "channel_not_available"}
    assert sandbox().messages() == []


# ---------------------------------------------------------------- bad requests, other people's conversations


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, {"body": TEXT}),
        ({"Idempotency-Key": "short"}, {"body": TEXT}),
        ({"Idempotency-Key": "has spaces in it"}, {"body": TEXT}),
        ({"Idempotency-Key": "key-0001"}, {"body": "   "}),
        ({"Idempotency-Key": "key-0001"}, {"body": "x" * 1601}),
        ({"Idempotency-Key": "key-0001"}, {"body": TEXT, "to": "+12125550199"}),
    ],
    ids=["no key", "short key", "spaces", "blank text", "too long", "unknown field"],
)
def test_a_malformed_request_is_422_and_sends_nothing(api, hooks, world, headers, body) -> None:  # type: ignore[no-untyped-def]
    convo = started(world, hooks)
    reply = api(
        "POST",
        f"/conversations/{convo.conversation_id}/messages",
        token=world.keys[Role.MEMBER],
        body=body,
        headers=headers,
    )
    assert reply.status == 422, reply.body
    assert "+1212" not in reply.body
    assert sandbox().messages() == []


def test_another_tenants_or_an_unknown_conversation_is_404(api, hooks, world, tenant_b) -> None:  # type: ignore[no-untyped-def]
    convo = started(world, hooks)
    theirs = answer(api, tenant_b, convo, role=Role.OWNER)
    assert (theirs.status, theirs.json()["error"]["code"]) == (404, "not_found")
    unknown = Thread(
        convo.scope, convo.contact_id, "con_" + "a" * 26 + ".sms", convo.campaign_id, convo.phone
    )
    assert answer(api, world, unknown).status == 404
    assert sandbox().messages() == []


def test_viewers_may_not_reply(api, hooks, world) -> None:  # type: ignore[no-untyped-def]
    convo = started(world, hooks)
    reply = answer(api, world, convo, role=Role.VIEWER)
    assert (reply.status, reply.json()["error"]["code"]) == (403, "forbidden")
    assert sandbox().messages() == []


# ---------------------------------------------------------------- where the credentials are opened


def test_with_a_check_function_configured_the_api_never_sends_the_reply_itself(  # type: ignore[no-untyped-def]
    api, hooks, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's role opens no provider credentials (template.yaml): a reply is sent by the
    integration check function. When that function cannot be reached, nothing is sent, and the
    claim stays, so the reply is recorded ``send_unconfirmed`` and never sent again."""
    convo = started(world, hooks)
    monkeypatch.setenv("GATEHOUSE_INTEGRATION_CHECK_FUNCTION", "no-such-function")
    get_settings.cache_clear()
    try:
        reply = answer(api, world, convo)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert reply.status == 201, reply.body
    assert (reply.json()["status"], reply.json()["error"]) == ("send_failed", "send_unconfirmed")
    assert sandbox().messages() == []
    assert (
        reply_claim_key(reply_id_for(convo.contact_id, "key-0001"))
        in convo.scope.require(AttemptLedger, convo.contact_id).claims
    )


def test_the_check_function_sends_only_a_claimed_unrecorded_reply_to_the_contacts_own_number(  # type: ignore[no-untyped-def]
    api, hooks, world
) -> None:
    """What the API hands the check function names no number: the contact's own is read there,
    and only a reply whose claim the ledger holds, and that is not recorded yet, is sent."""
    convo = started(world, hooks)
    unclaimed = ReplySendRequest(
        tenant_id=world.tenant_id,
        contact_id=convo.contact_id,
        reply_id=reply_id_for(convo.contact_id, "never-claimed"),
        body=TEXT,
    )
    assert invoke_check_function(unclaimed) == {
        "accepted": False,
        "provider_ref": None,
        "error": "send_failed",
    }
    assert sandbox().messages() == []

    assert answer(api, world, convo).status == 201
    (sent,) = sandbox().messages()
    assert sent.to == convo.phone
    again = unclaimed.model_copy(update={"reply_id": reply_id_for(convo.contact_id, "key-0001")})
    assert invoke_check_function(again)["error"] == "send_unconfirmed"
    assert len(sandbox().messages()) == 1


def invoke_check_function(request: ReplySendRequest) -> dict[str, Any]:
    reply = aws_client("lambda").invoke(
        FunctionName=get_settings().integration_check_function,
        InvocationType="RequestResponse",
        Payload=request.model_dump_json(),
    )
    assert not reply.get("FunctionError"), reply
    return dict(json.loads(reply["Payload"].read()))
