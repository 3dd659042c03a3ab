"""A conversation's thread, assembled when read: texts in, campaign messages out, replies, opt-outs and holds.

Nothing is written per campaign message, so the thread gathers, for one contact: the
person's texts (``InboundMessage``, by the contact's prefix), the campaign messages sent
them (the campaigns their attempt ledger names, whose ``ContactOutcome`` was a send, with
the provider's delivery status), the members' replies (``ReplyMessage``, by prefix), and the
suppression events of their number (the list's entry, through its marker under the contact
id, and a hold for review). Each source is one or two reads bounded by ``PER_SOURCE``; the
merged thread is ordered newest first and paged with a sealed position cursor. It never
logs a body and never shows the number.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import Field

from gatehouse.campaigns.records import Campaign
from gatehouse.compliance.state_rules import Channel
from gatehouse.conversations.records import Conversation, ReplyMessage, conversation_id
from gatehouse.dispatch.claims import AttemptLedger
from gatehouse.dispatch.delivery import DeliveryStatus, deliveries
from gatehouse.dispatch.outcomes import OutcomeStatus, find
from gatehouse.models import GatehouseModel
from gatehouse.suppression.entries import SuppressionEntry, SuppressionSource
from gatehouse.suppression.markers import SuppressedContact
from gatehouse.suppression.review import HeldText
from gatehouse.tenancy import TenantScope
from gatehouse.webhooks.inbound_sms import InboundMessage

PER_SOURCE: Final = 500  # items read per source: a person's thread, never the tenant's
_OPT_OUTS: Final = frozenset(
    {SuppressionSource.SMS_STOP, SuppressionSource.VOICE_STOP_REQUEST, SuppressionSource.MANUAL}
)


class ThreadItemKind(StrEnum):
    INBOUND = "inbound"  # a text the person sent
    CAMPAIGN = "campaign"  # a campaign message sent them
    REPLY = "reply"  # a member's one-off reply
    OPTED_OUT = "opted_out"  # their number is on the suppression list
    HELD = "held"  # a text (or words on a call) of theirs is held for review


class ThreadItem(GatehouseModel):
    kind: ThreadItemKind
    at: datetime
    body: str | None = Field(
        default=None, description="the text (inbound, reply); null once retention purged it"
    )
    message_sid: str | None = None
    campaign_id: str | None = None
    status: str | None = Field(default=None, description="the send's outcome (campaign, reply)")
    delivery_status: DeliveryStatus | None = None
    reply_id: str | None = None
    sent_by: str | None = None
    source: SuppressionSource | None = Field(default=None, description="what put the number on the list")


class ThreadPage(GatehouseModel):
    conversation_id: str
    items: list[ThreadItem]
    next_cursor: str | None


def thread(
    scope: TenantScope, contact_id: str, channel: Channel, *, limit: int = 50, cursor: str | None = None
) -> ThreadPage:
    """One page of the conversation's thread, newest first; NotFound when there is no such conversation."""
    key = conversation_id(contact_id, channel)
    scope.require(Conversation, key)
    start = scope.position_of(f"thread:{key}", cursor) if cursor else 0
    items = sorted(_gathered(scope, contact_id, channel), key=lambda item: item.at, reverse=True)
    page = items[start : start + limit]
    more = start + limit < len(items)
    return ThreadPage(
        conversation_id=key,
        items=page,
        next_cursor=scope.position_cursor(f"thread:{key}", start + limit) if more else None,
    )


def _gathered(scope: TenantScope, contact_id: str, channel: Channel) -> list[ThreadItem]:
    items = [*_campaign_messages(scope, contact_id, channel), *_replies(scope, contact_id, channel)]
    if channel is Channel.SMS:
        items.extend(_texts(scope, contact_id))
    items.extend(_suppression_events(scope, contact_id))
    return items


def _texts(scope: TenantScope, contact_id: str) -> list[ThreadItem]:
    texts = scope.query(InboundMessage, prefix=f"{contact_id}#", limit=PER_SOURCE).items
    return [
        ThreadItem(
            kind=ThreadItemKind.INBOUND, at=t.received_at, body=t.body or None, message_sid=t.message_sid
        )
        for t in texts
    ]


def _replies(scope: TenantScope, contact_id: str, channel: Channel) -> list[ThreadItem]:
    replies = scope.query(ReplyMessage, prefix=f"{contact_id}#", limit=PER_SOURCE).items
    return [
        ThreadItem(
            kind=ThreadItemKind.REPLY,
            at=r.sent_at,
            body=r.body or None,
            reply_id=r.reply_id,
            sent_by=r.sent_by,
            status=r.status.value,
        )
        for r in replies
        if r.channel is channel
    ]


def _campaign_messages(scope: TenantScope, contact_id: str, channel: Channel) -> list[ThreadItem]:
    """The sends of the campaigns the ledger names (claims are kept 30 days), on this channel."""
    ledger = scope.get(AttemptLedger, contact_id)
    if ledger is None:
        return []
    campaign_ids = list(dict.fromkeys(key.partition("#")[0] for key in ledger.claims))[:PER_SOURCE]
    campaigns = scope.batch_get(Campaign, campaign_ids)
    wanted = [cid for cid, c in campaigns.items() if c.spec.channel is channel]
    outcomes = find(scope, [f"{cid}#{contact_id}" for cid in wanted])
    sent = [o for o in outcomes.values() if o.status in {OutcomeStatus.SENT, OutcomeStatus.SEND_FAILED}]
    reported = deliveries(scope, [o.provider_ref for o in sent if o.provider_ref])
    items = []
    for outcome in sent:
        delivery = reported.get(outcome.provider_ref or "")
        items.append(
            ThreadItem(
                kind=ThreadItemKind.CAMPAIGN,
                at=outcome.updated_at,
                campaign_id=outcome.campaign_id,
                status=outcome.status.value,
                delivery_status=delivery.status if delivery else outcome.delivery_status,
            )
        )
    return items


def _suppression_events(scope: TenantScope, contact_id: str) -> list[ThreadItem]:
    events: list[ThreadItem] = []
    marker = scope.get(SuppressedContact, contact_id)
    entry = scope.get(SuppressionEntry, marker.number_key) if marker else None
    stood = [s for s in (entry.sources or [entry.source]) if s in _OPT_OUTS] if entry else []
    if entry is not None and stood:
        events.append(ThreadItem(kind=ThreadItemKind.OPTED_OUT, at=entry.added_at, source=stood[0]))
    held = scope.get(HeldText, contact_id)
    if held is not None:
        events.append(ThreadItem(kind=ThreadItemKind.HELD, at=held.held_at))
    return events
