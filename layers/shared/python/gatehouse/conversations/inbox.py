"""Keeping each conversation's summary, and the tenant's unread counts, as texts and replies come and go.

A text in (``note_inbound``), a member's reply out (``note_reply``), a read (``mark_read``)
and a decided hold (``stage_state``) each change one ``Conversation``. Whenever its
``unread`` moves, the tenant's ``InboxCounts`` is written in the same transaction, both
conditional on the versions read; a writer that loses reads both again. So the counts
equal the sum of the conversations' unread under any concurrency, at the price of a retry
when two texts land at once. Nothing here is written per campaign message: which campaign
last reached the person is read from their attempt ledger (one GetItem) when they write in.
An erasure (``erase``) removes the contact's conversations and replies. It never logs a body
or a number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from gatehouse.compliance.state_rules import Channel
from gatehouse.conversations.records import Conversation, InboxCounts, ReplyMessage, conversation_id
from gatehouse.dispatch.claims import AttemptLedger
from gatehouse.errors import Conflict
from gatehouse.tenancy import TenantScope
from gatehouse.tenancy.scope import ScopedTransaction, TransactionConflict

_ROUNDS: Final = 8  # a concurrent text or read of the same tenant: read both records again
COUNTS_KEY: Final = "unread"

Change = Callable[[Conversation | None], Conversation | None]


@dataclass(frozen=True)
class Inbound:
    """What a text in changes in its conversation (``webhooks.inbound_sms`` decides each flag)."""

    message_sid: str
    at: datetime
    tenant_number: str | None
    needs_reply: bool | None  # None: leave as it was (a keyword)
    held: bool | None = None
    opted_out: bool | None = None


def last_campaign(scope: TenantScope, contact_id: str) -> str | None:
    """The campaign whose claim on the contact's attempt ledger is the latest (claims are kept 30 days)."""
    ledger = scope.get(AttemptLedger, contact_id)
    if ledger is None or not ledger.claims:
        return None
    latest = max(ledger.claims.items(), key=lambda item: item[1].at)
    return latest[0].partition("#")[0]


def note_inbound(scope: TenantScope, contact_id: str, text: Inbound) -> Conversation:
    """A text from the person on SMS: one more unread, and the flags its reading set."""
    campaign_id = last_campaign(scope, contact_id)

    def change(current: Conversation | None) -> Conversation | None:
        if current is not None and current.last_inbound_sid == text.message_sid:
            return None  # this text counted already: a delivery run a second time
        base = current or Conversation(contact_id=contact_id, channel=Channel.SMS, last_at=text.at)
        updates: dict[str, object] = {
            "last_inbound_at": text.at,
            "last_at": max(base.last_at, text.at),
            "unread": base.unread + 1,
            "last_inbound_sid": text.message_sid,
            "campaign_id": campaign_id or base.campaign_id,
            "tenant_number": text.tenant_number or base.tenant_number,
        }
        for name in ("needs_reply", "held", "opted_out"):
            value = getattr(text, name)
            if value is not None:
                updates[name] = value
        return base.model_copy(update=updates)

    return _apply(scope, contact_id, Channel.SMS, change) or _require(scope, contact_id, Channel.SMS)


def note_reply(
    scope: TenantScope, contact_id: str, channel: Channel, *, at: datetime, campaign_id: str | None = None
) -> None:
    """A member's reply went out: the conversation no longer needs one (the replies send calls this)."""

    def change(current: Conversation | None) -> Conversation | None:
        base = current or Conversation(contact_id=contact_id, channel=channel, last_at=at)
        return base.model_copy(
            update={
                "needs_reply": False,
                "last_outbound_at": at,
                "last_at": max(base.last_at, at),
                "campaign_id": campaign_id or base.campaign_id,
            }
        )

    _apply(scope, contact_id, channel, change)


def mark_read(scope: TenantScope, contact_id: str, channel: Channel) -> Conversation:
    """Everything in the conversation is read: its unread goes to 0, and the counts with it."""
    found = _require(scope, contact_id, channel)
    if found.unread == 0:
        return found

    def change(current: Conversation | None) -> Conversation | None:
        if current is None or current.unread == 0:
            return None
        return current.model_copy(update={"unread": 0})

    return _apply(scope, contact_id, channel, change) or _require(scope, contact_id, channel)


def note_state(
    scope: TenantScope, contact_id: str, *, held: bool | None = None, opted_out: bool | None = None
) -> None:
    """A hold or an opt-out heard outside a text (on a call): the SMS conversation's flags, if it exists."""

    def change(current: Conversation | None) -> Conversation | None:
        if current is None:
            return None  # the person never wrote in: no conversation to flag
        return _flagged(current, held, opted_out)

    _apply(scope, contact_id, Channel.SMS, change)


def stage_state(
    change: ScopedTransaction, contact_id: str, *, held: bool | None = None, opted_out: bool | None = None
) -> None:
    """Stage the SMS conversation's new flags in ``change`` (a decided hold commits with them)."""
    current = change.scope.get(Conversation, conversation_id(contact_id, Channel.SMS))
    if current is not None:
        flagged = _flagged(current, held, opted_out)
        if flagged != current:
            change.save(flagged)


def erase(scope: TenantScope, contact_id: str) -> int:
    """Remove the contact's conversations (their unread out of the counts) and replies; how many went."""
    removed = 0
    for channel in Channel:
        key = conversation_id(contact_id, channel)
        for _ in range(_ROUNDS):
            current = scope.get(Conversation, key)
            if current is None:
                break
            counts = scope.get(InboxCounts, COUNTS_KEY) or InboxCounts()
            emptied = _moved(counts, current, current.model_copy(update={"unread": 0}))
            try:
                with scope.transaction() as txn:
                    txn.delete(current)
                    if emptied != counts:
                        txn.save(emptied)
            except TransactionConflict:
                continue
            removed += 1
            break
        else:
            raise Conflict("the conversation changed concurrently; retry")
    while page := scope.query(ReplyMessage, prefix=f"{contact_id}#", limit=100).items:
        removed += scope.batch_delete(ReplyMessage, (reply.sort_key() for reply in page))
    return removed


def _flagged(current: Conversation, held: bool | None, opted_out: bool | None) -> Conversation:
    updates = {name: value for name, value in (("held", held), ("opted_out", opted_out)) if value is not None}
    return current.model_copy(update=updates)


def _require(scope: TenantScope, contact_id: str, channel: Channel) -> Conversation:
    return scope.require(Conversation, conversation_id(contact_id, channel))


def _apply(scope: TenantScope, contact_id: str, channel: Channel, change: Change) -> Conversation | None:
    """Read the conversation and the counts, write the change and the counts it moves, in one transaction."""
    key = conversation_id(contact_id, channel)
    for _ in range(_ROUNDS):
        with scope.prefetch([scope.key(Conversation, key), scope.key(InboxCounts, COUNTS_KEY)]):
            current = scope.get(Conversation, key)
            counts = scope.get(InboxCounts, COUNTS_KEY) or InboxCounts()
        updated = change(current)
        if updated is None or updated == current:
            return None
        moved = _moved(counts, current, updated)
        try:
            with scope.transaction() as txn:
                written = txn.save(updated)
                if moved != counts:
                    txn.save(moved)
        except TransactionConflict:
            continue
        return written
    raise Conflict("the conversation changed concurrently; retry")


def _moved(counts: InboxCounts, before: Conversation | None, after: Conversation) -> InboxCounts:
    """The counts once ``before``'s unread is taken out and ``after``'s put in (per campaign too)."""
    by_campaign = dict(counts.by_campaign)
    if before is not None and before.campaign_id is not None:
        by_campaign[before.campaign_id] = by_campaign.get(before.campaign_id, 0) - before.unread
    if after.campaign_id is not None:
        by_campaign[after.campaign_id] = by_campaign.get(after.campaign_id, 0) + after.unread
    unread = counts.unread - (before.unread if before else 0) + after.unread
    return counts.model_copy(
        update={"unread": unread, "by_campaign": {c: n for c, n in by_campaign.items() if n > 0}}
    )
