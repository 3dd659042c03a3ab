"""The records of a conversation: its summary per contact and channel, and the replies members send.

A conversation is one contact on one channel; its id is ``<contact id>.<channel>``. The
thread is assembled when read: the person's texts (``InboundMessage``), the campaign
messages sent them (their ledger's claims and the campaigns' outcomes), the members'
replies (``ReplyMessage``) and the opt-out and review events. Nothing is written per
campaign message: a conversation's summary (``Conversation``) is written when the person
writes in or a member answers, so the inbox costs nothing while a campaign sends.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Final

from gatehouse.compliance.state_rules import Channel
from gatehouse.errors import NotFound
from gatehouse.tenancy import TenantRecord

_CONVERSATION_ID: Final = re.compile(r"^(con_[a-z2-7]{26})\.(sms|voice)$")


def conversation_id(contact_id: str, channel: Channel) -> str:
    return f"{contact_id}.{channel.value}"


def parse_conversation_id(value: str) -> tuple[str, Channel]:
    """(contact id, channel) of a conversation id; NotFound for anything else (ids are not guessable)."""
    match = _CONVERSATION_ID.fullmatch(value)
    if match is None:
        raise NotFound("no such conversation")
    return match.group(1), Channel(match.group(2))


class Conversation(TenantRecord):
    """Where one contact's thread on one channel stands: the inbox lists these."""

    collection = "CONVERSATION"

    contact_id: str
    channel: Channel
    campaign_id: str | None = None  # the last campaign that reached the person on this channel
    tenant_number: str | None = None  # the tenant's number they last wrote to (E.164): replies go from it
    last_at: datetime
    last_inbound_at: datetime | None = None
    last_outbound_at: datetime | None = None
    unread: int = 0
    needs_reply: bool = False
    held: bool = False  # a text of theirs is held for review (compliance.optout: uncertain)
    opted_out: bool = False
    assigned_to: str | None = None  # a member's user id

    def sort_key(self) -> str:
        return conversation_id(self.contact_id, self.channel)


class ReplyStatus(StrEnum):
    SENT = "sent"
    SEND_FAILED = "send_failed"


class ReplyMessage(TenantRecord):
    """A one-off reply a member sent in a conversation, after the gates and its claim.

    Sort key ``<contact id>#<reply id>``: an erasure finds a person's replies by prefix.
    """

    collection = "CONVERSATION_REPLY"

    contact_id: str
    channel: Channel
    reply_id: str
    body: str
    sent_by: str  # the member's actor ("user:usr_...")
    sent_at: datetime
    status: ReplyStatus
    provider_ref: str | None = None
    error: str | None = None
    campaign_id: str | None = None  # the campaign whose gates it passed
    request_hash: str | None = None  # SHA-256 of the body: a retry with the same key must carry the same text

    def sort_key(self) -> str:
        return f"{self.contact_id}#{self.reply_id}"
