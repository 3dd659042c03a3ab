"""A member's one-off reply in a conversation: the gates, the claim and the provider a campaign text meets.

``reply`` gathers for the one contact the facts a dispatch batch gathers (the tenant and its
billing, the conversation's campaign, the suppression list with holds for review, the attempt
ledger, the DNC stamp, re-scrubbed when stale as the batch does), asks ``dispatch.reply_gates``
(which asks the campaign gates themselves), opens the Twilio credentials, claims the text on
the contact's ledger (``dispatch.claims``: the reply counts as an attempt of the day), sends
once through the campaign adapter and records a ``ReplyMessage`` with its audit entry
(``conversation.replied``: ids and status, never the body or a number).

The client's ``Idempotency-Key`` names the reply: its id and its claim key derive from it, so
a retried POST finds the first reply and sends nothing. A refusal raises ``ReplyRefused``
(409) naming the gate, the reason and, for a deferral, when the reply may go; it writes
nothing but what the gates write (a re-scrub stores the contact's fresh DNC stamp). A DNC
source failure refuses the reply; it pauses no campaign.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NoReturn

from pydantic import Field

from gatehouse import audit
from gatehouse.billing.account import billing_status
from gatehouse.campaigns.records import CallPlacement, Campaign, VoiceContent
from gatehouse.clock import Clock, isoformat, utc_now
from gatehouse.compliance import declared
from gatehouse.compliance.state_rules import Channel, RuleBook
from gatehouse.contacts import checks
from gatehouse.contacts.records import Contact
from gatehouse.conversations import inbox
from gatehouse.conversations.records import (
    Conversation,
    ReplyMessage,
    ReplyStatus,
    conversation_id,
    parse_conversation_id,
)
from gatehouse.conversations.sending import (
    CLAIM_ATTEMPT,
    ReplySendRequest,
    claim_holder,
    send_reply,
)
from gatehouse.dispatch import reply_gates
from gatehouse.dispatch.batch import CLAIM_ROUNDS, rescrubbed
from gatehouse.dispatch.claims import AttemptLedger, claim
from gatehouse.dispatch.gates import CampaignFacts, ContactFacts, Outcome, Reason, TenantFacts, Verdict
from gatehouse.dnc.acknowledgment import on_owners_word
from gatehouse.dnc.stamps import ScrubStamp
from gatehouse.errors import Conflict, GatehouseError, Invalid
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.identity.tenants import TenantStatus, find_tenant
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.suppression import held_only
from gatehouse.tenancy import TenantScope
from gatehouse.vault import Provider
from gatehouse.vault.credentials import Integration, IntegrationStatus

BODY_MAX: Final = 1600  # Twilio's own limit on a message body
IDEMPOTENCY_KEY: Final = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

Suppressed = Callable[[TenantScope, list[str]], set[str]]
Scrub = Callable[[TenantScope, list[str]], dict[str, ScrubStamp]]


class ReplyRefused(Conflict):
    """The gates refused the reply: ``details`` name the gate, the reason and when it may go."""

    code = "reply_refused"


class ReplyView(GatehouseModel):
    reply_id: str = Field(description="derived from the Idempotency-Key: the same key names the same reply")
    conversation_id: str
    campaign_id: str | None
    status: ReplyStatus
    body: str
    sent_by: str
    sent_at: datetime
    provider_ref: str | None = None
    error: str | None = Field(
        default=None, description="the provider's refusal code when status is send_failed"
    )

    @classmethod
    def of(cls, message: ReplyMessage) -> ReplyView:
        return cls(
            reply_id=message.reply_id,
            conversation_id=conversation_id(message.contact_id, message.channel),
            campaign_id=message.campaign_id,
            status=message.status,
            body=message.body,
            sent_by=message.sent_by,
            sent_at=message.sent_at,
            provider_ref=message.provider_ref,
            error=message.error,
        )


class ReplyAudit(GatehouseModel):
    """What the audit entry keeps of a reply: ids and outcome, never the body or a number."""

    reply_id: str
    campaign_id: str | None
    status: ReplyStatus
    provider_ref: str | None
    error: str | None


@dataclass(frozen=True)
class Replied:
    reply: ReplyView
    created: bool  # False: an earlier POST with the same key made it, and nothing was sent now


@dataclass(frozen=True)
class Checks:
    """The sources of the facts (the real ones unless a test gives its own)."""

    suppressed: Suppressed = checks.suppressed
    scrub: Callable[..., dict[str, ScrubStamp]] = checks.scrub
    billing: Callable[[str], str | None] = lambda tenant_id: billing_status(tenant_id).value


def reply_id_for(contact_id: str, idempotency_key: str) -> str:
    """The reply's id: the key hashed with the contact, so one key names one reply per person."""
    digest = hashlib.sha256(f"{contact_id}\n{idempotency_key}".encode()).digest()
    return "rpl_" + base64.b32encode(digest).decode("ascii").lower()[:26]


def reply(
    scope: TenantScope,
    caller: Caller,
    conversation: str,
    body: str,
    idempotency_key: str,
    *,
    clock: Clock = utc_now,
    sources: Checks | None = None,
    rules: RuleBook | None = None,
) -> Replied:
    """Send ``body`` to the person of ``conversation`` once per ``idempotency_key``, or refuse and say why."""
    caller.require(Permission.CONVERSATIONS_REPLY)
    if not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise Invalid(
            "Idempotency-Key must be 8 to 128 letters, digits or . _ : -",
            details=[{"field": "Idempotency-Key", "reason": "malformed"}],
        )
    text = body.strip()
    if not text or len(text) > BODY_MAX:
        raise Invalid(
            f"body must be 1 to {BODY_MAX} characters", details=[{"field": "body", "reason": "length"}]
        )
    contact_id, channel = parse_conversation_id(conversation)
    summary = scope.require(Conversation, conversation)  # another tenant's, or none: 404 alike
    reply_id = reply_id_for(contact_id, idempotency_key)
    earlier = _earlier(scope, contact_id, reply_id, text)
    if earlier is not None:
        return Replied(earlier, created=False)
    now = clock()
    sources = sources or Checks()
    rules = declared.rules_at(now, rules)
    campaign = scope.get(Campaign, summary.campaign_id) if summary.campaign_id else None
    facts = _campaign_facts(campaign)
    context = reply_gates.gate_reply(channel, _tenant_facts(scope, sources), facts)
    if campaign is None or facts is None or not context.passed:  # no campaign never passes
        _refuse(context, rules)
    contact, ledger, verdict = _decide(scope, contact_id, facts, now, sources, rules)
    if contact is None or not verdict.passed:  # a person who is no contact never passes
        _refuse(verdict, rules)
    _provider_ready(scope, campaign)
    _claim(scope, contact, ledger, reply_id, facts, now, sources, rules)
    sender = _sender(summary, campaign)
    receipt = send_reply(
        scope,
        ReplySendRequest(
            tenant_id=scope.tenant_id, contact_id=contact_id, reply_id=reply_id, body=text, sender=sender
        ),
    )
    message = ReplyMessage(
        contact_id=contact_id,
        channel=channel,
        reply_id=reply_id,
        body=text,
        sent_by=caller.actor,
        sent_at=now,
        status=ReplyStatus.SENT if receipt.accepted else ReplyStatus.SEND_FAILED,
        provider_ref=receipt.provider_ref,
        error=None if receipt.accepted else (receipt.error or Reason.SEND_FAILED.value),
        campaign_id=campaign.campaign_id,
        request_hash=_request_hash(text),
    )
    _record(scope, caller, message)
    if receipt.accepted:
        _noted(scope, contact_id, channel, now, campaign.campaign_id)
    metrics.add_metric(name="ConversationReplies", unit="Count", value=1)
    return Replied(ReplyView.of(message), created=True)


def _earlier(scope: TenantScope, contact_id: str, reply_id: str, text: str) -> ReplyView | None:
    """The reply an earlier POST with this key recorded; a different message under the same key is refused."""
    found = scope.get(ReplyMessage, f"{contact_id}#{reply_id}")
    if found is None:
        return None
    if found.request_hash is not None and found.request_hash != _request_hash(text):
        raise Conflict(
            "this Idempotency-Key was used for another message: choose a new key",
            details=[{"field": "Idempotency-Key", "reason": "used for another message"}],
        )
    return ReplyView.of(found)


def _request_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _tenant_facts(scope: TenantScope, sources: Checks) -> TenantFacts:
    entry = find_tenant(scope.tenant_id)
    return TenantFacts(
        active=entry is not None and entry.status is TenantStatus.ACTIVE,
        billing_status=sources.billing(scope.tenant_id),
    )


def _campaign_facts(campaign: Campaign | None) -> CampaignFacts | None:
    if campaign is None:
        return None
    return CampaignFacts(status=campaign.status, approved_by=campaign.approved_by, spec=campaign.spec)


def _decide(  # noqa: PLR0917
    scope: TenantScope,
    contact_id: str,
    campaign: CampaignFacts,
    now: datetime,
    sources: Checks,
    rules: RuleBook,
    ledger: AttemptLedger | None = None,
) -> tuple[Contact | None, AttemptLedger | None, Verdict]:
    """The person's gates on the facts as they stand, with one re-scrub when the DNC answer is stale."""
    contact = scope.get(Contact, contact_id)
    if contact is None:
        return (
            None,
            None,
            reply_gates.evaluate_reply(None, campaign, ContactFacts(suppressed=None), now, rules),
        )
    if ledger is None:
        ledger = scope.get(AttemptLedger, contact_id)
    on_list = sources.suppressed(scope, [contact.e164])
    on_hold = held_only(on_list)
    facts = ContactFacts(
        suppressed=contact.e164 in on_list and contact.e164 not in on_hold,
        held=contact.e164 in on_hold,
        attempts_last_day=ledger.recent(now) if ledger else [],
        owners_word=on_owners_word(scope),
        hung_up_at=ledger.hung_up_at if ledger else None,
    )
    verdict = reply_gates.evaluate_reply(contact, campaign, facts, now, rules)
    if verdict.outcome is Outcome.RESCRUB:
        scrub = sources.scrub
        fresh = rescrubbed(scope, [contact], lambda s, numbers: scrub(s, numbers, clock=lambda: now))
        contact = fresh[0] if fresh else contact
        verdict = reply_gates.unresolved(reply_gates.evaluate_reply(contact, campaign, facts, now, rules))
    return contact, ledger, verdict


def _refuse(verdict: Verdict, rules: RuleBook) -> NoReturn:
    """Nothing more happens for a verdict that does not pass: 409 with the gate, the reason and when."""
    detail = {"gate": verdict.gate or "state", "reason": (verdict.reason or Reason.SEND_FAILED).value}
    if verdict.outcome is Outcome.DEFERRED and verdict.until is not None:
        detail["until"] = isoformat(verdict.until)
    if verdict.gate == "hours":
        detail["rule"] = rules.replies.citation
    metrics.add_metric(name="ConversationRepliesRefused", unit="Count", value=1)
    logger.info("reply refused", extra={"gate": detail["gate"], "reason": detail["reason"]})
    when = f", may go at {detail['until']}" if "until" in detail else ""
    raise ReplyRefused(
        f"the reply was refused by the {detail['gate']} gate ({detail['reason']}){when}", details=[detail]
    )


def _provider_ready(scope: TenantScope, campaign: Campaign) -> None:
    """Twilio connected for the campaign's texts, looked at before the claim so a refusal uses no attempt.

    Only its record is read: the credentials are opened where they may be, by ``sending``.
    """
    content = campaign.spec.content
    voice_agent = isinstance(content, VoiceContent) and content.placed_by is not CallPlacement.TWILIO
    record = scope.get(Integration, Provider.TWILIO.value)
    if voice_agent or record is None or record.status is not IntegrationStatus.CONNECTED:
        logger.warning("reply credentials unavailable", extra={"code": "not_connected"})
        raise ReplyRefused(
            "the tenant's Twilio credentials are not available: reconnect the integration",
            details=[{"gate": "provider", "reason": Reason.PROVIDER_CREDENTIALS_UNAVAILABLE.value}],
        )


def _claim(  # noqa: PLR0917
    scope: TenantScope,
    contact: Contact,
    ledger: AttemptLedger | None,
    reply_id: str,
    campaign: CampaignFacts,
    now: datetime,
    sources: Checks,
    rules: RuleBook,
) -> None:
    """Gate 7 for the reply: its claim on the ledger as the gates read it, decided again if another won."""
    holder = claim_holder(reply_id)
    ledgers = {contact.contact_id: ledger} if ledger is not None else {}
    for _ in range(CLAIM_ROUNDS):
        claimed = claim(scope, holder, reply_id, [(contact.contact_id, CLAIM_ATTEMPT)], now, ledgers=ledgers)
        if claimed.held:
            return
        if claimed.taken:
            raise Conflict(
                "a reply with this Idempotency-Key was claimed and is not recorded: it is never sent again",
                details=[{"field": "Idempotency-Key", "reason": Reason.SEND_UNCONFIRMED.value}],
            )
        fresh = claimed.contested[contact.contact_id]
        _, _, verdict = _decide(scope, contact.contact_id, campaign, now, sources, rules, ledger=fresh)
        if not verdict.passed:
            _refuse(verdict, rules)
        ledgers = {contact.contact_id: fresh}
    _refuse(reply_gates.still_contested(now), rules)


def _sender(summary: Conversation, campaign: Campaign) -> str | None:
    """The number the person wrote to if it is in the campaign's pool, else the pool's first (None: none)."""
    pool = campaign.spec.senders.numbers
    if summary.tenant_number is not None and summary.tenant_number in pool:
        return summary.tenant_number
    return pool[0] if pool else None


def _record(scope: TenantScope, caller: Caller, message: ReplyMessage) -> None:
    """The reply and its audit entry, in one transaction; the conversation is the entry's target."""
    after = ReplyAudit(
        reply_id=message.reply_id,
        campaign_id=message.campaign_id,
        status=message.status,
        provider_ref=message.provider_ref,
        error=message.error,
    )
    target = conversation_id(message.contact_id, message.channel)
    with audit.recorded(scope, caller, "conversation.replied", "conversation", target, after=after) as txn:
        txn.save(message)


def _noted(scope: TenantScope, contact_id: str, channel: Channel, at: datetime, campaign_id: str) -> None:
    """The inbox hears of the answer; never raises after a send (the reply is recorded either way)."""
    try:
        inbox.note_reply(scope, contact_id, channel, at=at, campaign_id=campaign_id)
    except GatehouseError:
        key = conversation_id(contact_id, channel)
        logger.warning("conversation summary not updated after a reply", extra={"conversation_id": key})
