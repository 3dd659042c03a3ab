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
from gatehouse.tenancy.records import Subject, Tally, time_sort_key

_CONVERSATION_ID: Final = re.compile(r"^(con_[a-z2-7]{26})\.(sms|voice)$")
INBOX_INDEX: Final = "CONVERSATION"  # the time index: a tenant's conversations, newest first
ASSIGNEE_INDEX: Final = "CONVERSATION_ASSIGNEE"  # the lookup index: a member's, newest first
READS_INDEX: Final = "CONVERSATION_READS"  # the time index: read tallies, at the end of their day
REPLY_BODY_INDEX: Final = "CONVERSATION_REPLY_BODY"  # the time index: replies whose text is kept


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
    # The tenant's number the person last wrote to (E.164): a reply goes from it.
    tenant_number: str | None = None
    last_at: datetime
    last_inbound_at: datetime | None = None
    last_outbound_at: datetime | None = None
    unread: int = 0
    needs_reply: bool = False
    held: bool = False  # a text of theirs is held for review (compliance.optout: uncertain)
    opted_out: bool = False
    assigned_to: str | None = None  # a member's user id
    last_inbound_sid: str | None = None  # the latest text counted: a delivery run again counts once

    def sort_key(self) -> str:
        return conversation_id(self.contact_id, self.channel)

    def subject(self) -> Subject | None:
        # Scoped access: a conversation is a campaign's (the last that reached the person).
        return Subject(self.contact_id, campaign_id=self.campaign_id, by_campaign=True)

    def time_key(self) -> tuple[str, str] | None:
        return INBOX_INDEX, time_sort_key(self.last_at, self.sort_key())

    def lookup_key(self) -> tuple[str, str] | None:
        if self.assigned_to is None:
            return None
        return f"{ASSIGNEE_INDEX}#{self.assigned_to}", time_sort_key(self.last_at, self.sort_key())


class InboxCounts(TenantRecord):
    """The tenant's unread texts, in all and per campaign: written in each transaction that changes a
    conversation's ``unread`` (optimistic on both), so the counts are exact under concurrency."""

    collection = "CONVERSATION_COUNTS"

    unread: int = 0
    by_campaign: dict[str, int] = {}

    def sort_key(self) -> str:
        return "unread"


class ReadTally(Tally):
    """How many times one person read conversations (a list or a thread) on one UTC day.

    On the time index at the day's end: the ``conversation_reads`` job audits each finished
    day as one ``conversation.reads_counted`` entry and removes the tally with it.
    """

    collection = "CONVERSATION_READS"

    day: str  # YYYY-MM-DD, UTC
    reader: str  # the actor ("user:usr_...", "api_key:key_...")
    day_ends: datetime

    def sort_key(self) -> str:
        return f"{self.day}#{self.reader}"

    def time_key(self) -> tuple[str, str] | None:
        return READS_INDEX, time_sort_key(self.day_ends, self.sort_key())


class ReplyStatus(StrEnum):
    SENT = "sent"
    SEND_FAILED = "send_failed"


class ReplyMessage(TenantRecord):
    """A one-off reply a member sent in a conversation, after the gates and its claim.

    Sort key ``<contact id>#<reply id>``: an erasure finds a person's replies by prefix.
    While its text is kept it waits on the time index for the tenant's message-body window
    (``gatehouse.retention``), as an inbound text does; blanked, it leaves the index.
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

    def subject(self) -> Subject | None:
        return Subject(self.contact_id)

    def time_key(self) -> tuple[str, str] | None:
        return (REPLY_BODY_INDEX, time_sort_key(self.sent_at, self.sort_key())) if self.body else None
