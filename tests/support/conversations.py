"""A conversation as it happens: a campaign texts a person, the person texts back, a member may answer.

Built through the domain: the contact by intake (scrubbed by the sandbox DNC source), the
campaign approved through its lifecycle and run for the person by a dispatch batch, the
person's text through the signed Twilio webhook (``deliver``) or ``inbound_sms.receive``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gatehouse.billing.account import BillingAccount, BillingStatus
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignSpec, CampaignStatus
from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts import checks
from gatehouse.contacts.records import ContactInput
from gatehouse.contacts.service import create
from gatehouse.conversations import inbox
from gatehouse.conversations.records import Conversation, ReplyMessage, ReplyStatus, conversation_id
from gatehouse.dispatch.batch import run_batch
from gatehouse.identity.caller import operator
from gatehouse.tenancy import TenantScope
from gatehouse.vault import Provider, connect
from gatehouse.webhooks import inbound_sms
from gatehouse.webhooks.refs import ensure_ref
from tests.support.consent import written
from tests.support.webhooks import TWILIO_CREDENTIALS
from tests.support.webhooks import inbound_sms as sms_pairs

# Tuesday 10 March 2026, 18:00 UTC: 14:00 in New York (EDT), inside every window below.
PINNED = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
WRITTEN_TO = "+15005550006"  # the tenant's number the person texts (Twilio's "To")
OTHER_SENDER = "+15005550007"
CONSENT = {
    "type": "express_written",
    "channels": ["sms"],
    "obtained_at": "2026-01-05T10:00:00Z",
    "source": "import",
    "wording": "Yes, text me about offers",
}
SPEC: dict[str, Any] = {
    "name": "Spring offer",
    "channel": "sms",
    "audience": {"tag": "spring"},
    "content": {"kind": "sms", "template": "Hi {first_name}, spring offer inside. Reply STOP to opt out."},
    "senders": {"numbers": [OTHER_SENDER, WRITTEN_TO]},
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "20:00"}],
    # One attempt: the campaign texts each person once; an answer is not paced by it (dispatch.reply_gates).
    "max_attempts_per_contact": 1,
}

Deliver = Callable[[TenantScope, str, str, str], None]  # (scope, message sid, sender, body)


@dataclass(frozen=True)
class Thread:
    scope: TenantScope
    contact_id: str
    conversation_id: str
    campaign_id: str
    phone: str


def receive_directly(scope: TenantScope, sid: str, sender: str, body: str) -> None:
    """The person's text handed to the inbound path as the webhook hands it (to the tenant's number)."""
    sms = inbound_sms.InboundSms(sid, sender, body, tenant_number=WRITTEN_TO)
    inbound_sms.receive(scope, sms, request_id="tests")


def signed_webhook(hooks: Callable[[dict[str, Any]], Any]) -> Deliver:
    """Deliver a person's text as Twilio does: signed, to the tenant's webhook URL."""
    from tests.support.webhooks import twilio_event

    def deliver(scope: TenantScope, sid: str, sender: str, body: str) -> None:
        reply = hooks(twilio_event(ensure_ref(scope), sms_pairs(sid, sender, body)))
        assert reply.status == 200, reply.body

    return deliver


def connected_tenant(scope: TenantScope) -> None:
    """Twilio (the webhook's signing token), the sandbox DNC source, and billing in good standing."""
    ops = operator(scope.tenant_id, "fixtures", request_id="fixtures")
    connect(scope, ops, Provider.TWILIO, dict(TWILIO_CREDENTIALS))
    connect(
        scope, ops, Provider.DNC, {"provider_name": "sandbox-dnc", "api_key": "sandbox-dnc-key-0123456789"}
    )
    scope.save(BillingAccount(status=BillingStatus.ACTIVE, updated_at=PINNED - timedelta(days=30)))


def approved_campaign(scope: TenantScope, **changes: Any) -> str:
    ops = operator(scope.tenant_id, "fixtures", request_id="fixtures")
    campaign = lifecycle.create(scope, ops, CampaignSpec.model_validate(SPEC | changes))
    lifecycle.transition(scope, ops, campaign.campaign_id, "submit")
    lifecycle.transition(scope, ops, campaign.campaign_id, "approve")
    approved = scope.require(Campaign, campaign.campaign_id)
    scope.save(approved.model_copy(update={"status": CampaignStatus.RUNNING}))  # what a run's start does
    return campaign.campaign_id


def person(scope: TenantScope, phone: str, *, state: str = "NY", consent: bool = True) -> str:
    ops = operator(scope.tenant_id, "fixtures", request_id="fixtures")
    fields: dict[str, Any] = {"phone": phone, "first_name": "Ann", "state": state, "tags": ["spring"]}
    if consent:
        fields["consent"] = [written(CONSENT, phone)]
    return create(
        scope,
        ops,
        ContactInput.model_validate(fields),
        suppressed=checks.suppressed,
        scrub=lambda s, numbers: checks.scrub(s, numbers, clock=lambda: PINNED - timedelta(days=1)),
        clock=lambda: PINNED - timedelta(days=1),
    ).contact_id


def thread(
    scope: TenantScope,
    deliver: Deliver,
    *,
    phone: str = "+12125550101",
    text: str = "Can you call me tomorrow at 10?",
    campaign_id: str | None = None,
    **contact: Any,
) -> Thread:
    """The campaign texts the person two hours before ``PINNED``; then the person writes ``text``."""
    campaign_id = campaign_id or approved_campaign(scope)
    contact_id = person(scope, phone, **contact)
    ran = run_batch(
        scope,
        campaign_id,
        "run-fixture",
        [contact_id],
        now=PINNED - timedelta(hours=2),
        suppressed=checks.suppressed,
        scrub=lambda s, numbers: checks.scrub(s, numbers, clock=lambda: PINNED - timedelta(hours=2)),
        billing=lambda _: "active",
    )
    deliver(scope, "SM" + contact_id[-26:].ljust(32, "0"), phone, text)
    _inbox_noted(scope, contact_id, campaign_id, reached=contact_id in ran.sent)
    return Thread(scope, contact_id, conversation_id(contact_id, Channel.SMS), campaign_id, phone)


def _inbox_noted(scope: TenantScope, contact_id: str, campaign_id: str, reached: bool) -> None:
    """The inbox kept the person's text: the summary names the campaign when it reached them."""
    summary = scope.get(Conversation, conversation_id(contact_id, Channel.SMS))
    assert summary is not None, "the inbox did not note the text"
    assert summary.tenant_number is not None, "the inbox did not keep the number written to"
    assert summary.campaign_id == (campaign_id if reached else None)


def replied(scope: TenantScope, contact_id: str, reply_id: str, sent_at: datetime) -> None:
    """A reply a member sent the person at ``sent_at``, written as the replies send writes it."""
    scope.save(
        ReplyMessage(
            contact_id=contact_id,
            channel=Channel.SMS,
            reply_id=reply_id,
            body=f"answer {reply_id}",
            sent_by="user:usr_" + "a" * 26,
            sent_at=sent_at,
            status=ReplyStatus.SENT,
        )
    )
    inbox.note_reply(scope, contact_id, Channel.SMS, at=sent_at)
