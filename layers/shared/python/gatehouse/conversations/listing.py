"""The inbox as members read it: conversations newest first with filters, the unread counts, one summary.

The list walks the time index (``INBOX_INDEX``: the tenant's conversations by their last
event, newest first); ``assigned=<person>`` walks that person's partition of the lookup
index instead (``ASSIGNEE_INDEX``). The other filters are applied to what the walk reads:
a request reads at most ``EXAMINED`` summaries, so a page may hold fewer than ``limit``
items and still carry a cursor. Without an ``assigned`` filter, a person sees the
conversations assigned to them first, then every other one (the cursor says which part it
is in). Both indexes are eventually consistent: a text of a moment ago may show a moment
later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pydantic import Field

from gatehouse.compliance.state_rules import Channel
from gatehouse.conversations.inbox import COUNTS_KEY
from gatehouse.conversations.records import (
    ASSIGNEE_INDEX,
    INBOX_INDEX,
    Conversation,
    InboxCounts,
    conversation_id,
    parse_conversation_id,
)
from gatehouse.errors import Invalid
from gatehouse.identity.api_keys import ApiKey
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantScope

EXAMINED: Final = 200  # summaries one list request reads at most
NOBODY: Final = "none"
_MINE, _REST = "mine", "rest"


class ConversationView(GatehouseModel):
    conversation_id: str
    contact_id: str
    channel: Channel
    campaign_id: str | None
    tenant_number: str | None = Field(description="the tenant's number the person wrote to")
    last_at: datetime
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    unread: int
    needs_reply: bool
    held: bool = Field(description="a text of theirs is held for review")
    opted_out: bool
    assigned_to: str | None

    @classmethod
    def of(cls, record: Conversation) -> ConversationView:
        fields = record.model_dump(exclude={"version", "last_inbound_sid"})
        return cls(conversation_id=record.sort_key(), **fields)


@dataclass(frozen=True)
class InboxFilter:
    needs_reply: bool | None = None
    held: bool | None = None
    opted_out: bool | None = None
    campaign_id: str | None = None
    assigned: str | None = None  # a user id, or ``NOBODY``; "me" is resolved before

    def admits(self, item: Conversation) -> bool:
        checks = (
            (self.needs_reply, item.needs_reply),
            (self.held, item.held),
            (self.opted_out, item.opted_out),
            (self.campaign_id, item.campaign_id),
        )
        if any(wanted is not None and wanted != value for wanted, value in checks):
            return False
        return self.assigned != NOBODY or item.assigned_to is None


@dataclass(frozen=True)
class ConversationPage:
    items: list[ConversationView]
    cursor: str | None


class InboxCountsView(GatehouseModel):
    unread: int = Field(description="unread texts across the tenant's conversations")
    by_campaign: dict[str, int] = Field(description="unread texts per campaign that last reached the person")


def person_of(scope: TenantScope, caller: Caller) -> str | None:
    """The member a caller is: a signed-in person, or the member an API key belongs to (None: nobody)."""
    if caller.principal_type is PrincipalType.USER:
        return caller.principal_id
    if caller.principal_type is PrincipalType.API_KEY:
        key = scope.get(ApiKey, caller.principal_id)
        owner = (key.owner_id or key.created_by.removeprefix("user:")) if key else None
        return owner if owner and owner.startswith("usr_") else None
    return None


def list_conversations(
    scope: TenantScope,
    caller: Caller,
    wanted: InboxFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> ConversationPage:
    me = person_of(scope, caller)
    if wanted.assigned == "me":
        if me is None:
            raise Invalid("assigned=me needs a member: this caller is none", details=[_field("assigned")])
        wanted = InboxFilter(**{**wanted.__dict__, "assigned": me})
    if wanted.assigned not in {None, NOBODY}:
        return _walk(scope, f"{ASSIGNEE_INDEX}#{wanted.assigned}", True, wanted.admits, limit, cursor)
    if me is None:
        return _walk(scope, INBOX_INDEX, False, wanted.admits, limit, cursor)
    return _mine_first(scope, me, wanted, limit, cursor)


def _mine_first(
    scope: TenantScope, me: str, wanted: InboxFilter, limit: int, cursor: str | None
) -> ConversationPage:
    """The caller's assigned conversations, then the rest; the cursor names the part it resumes."""
    part, _, inner = (cursor or f"{_MINE}.").partition(".")
    if part not in {_MINE, _REST}:
        raise Invalid("cursor is not valid", details=[_field("cursor")])
    if part == _MINE:
        mine = _walk(scope, f"{ASSIGNEE_INDEX}#{me}", True, wanted.admits, limit, inner or None)
        if mine.cursor is not None:
            return ConversationPage(mine.items, f"{_MINE}.{mine.cursor}")
        if len(mine.items) == limit:
            return ConversationPage(mine.items, f"{_REST}.")
        rest = _walk(scope, INBOX_INDEX, False, _not_mine(wanted, me), limit - len(mine.items), None)
        return ConversationPage([*mine.items, *rest.items], f"{_REST}.{rest.cursor}" if rest.cursor else None)
    rest = _walk(scope, INBOX_INDEX, False, _not_mine(wanted, me), limit, inner or None)
    return ConversationPage(rest.items, f"{_REST}.{rest.cursor}" if rest.cursor else None)


def _not_mine(wanted: InboxFilter, me: str) -> Callable[[Conversation], bool]:
    return lambda item: item.assigned_to != me and wanted.admits(item)


def _walk(  # noqa: PLR0917 - the index walked, what it keeps, and the page asked
    scope: TenantScope,
    index: str,
    lookup: bool,
    admits: Callable[[Conversation], bool],
    limit: int,
    cursor: str | None,
) -> ConversationPage:
    """Read the index newest first, keeping what ``admits`` until ``limit`` are kept or ``EXAMINED`` read.

    Each read asks for no more than the room left, so the cursor resumes right after the last
    summary examined and nothing is skipped or shown twice.
    """
    kept: list[ConversationView] = []
    examined = 0
    while True:
        room = min(limit - len(kept), EXAMINED - examined)
        page = scope.newest(Conversation, index, lookup=lookup, limit=room, cursor=cursor)
        examined += room
        kept.extend(ConversationView.of(item) for item in page.items if admits(item))
        cursor = page.cursor
        if cursor is None or len(kept) >= limit or examined >= EXAMINED:
            return ConversationPage(kept, cursor)


def get_conversation(scope: TenantScope, conversation: str) -> ConversationView:
    contact_id, channel = parse_conversation_id(conversation)
    return ConversationView.of(scope.require(Conversation, conversation_id(contact_id, channel)))


def counts(scope: TenantScope) -> InboxCountsView:
    """The unread counts; a person whose access is scoped counts only their campaigns'."""
    stored = scope.get(InboxCounts, COUNTS_KEY) or InboxCounts()
    campaigns = scope.restriction.campaigns() if scope.restriction else None
    if campaigns is None:
        return InboxCountsView(unread=stored.unread, by_campaign=stored.by_campaign)
    theirs = {campaign: n for campaign, n in stored.by_campaign.items() if campaign in campaigns}
    return InboxCountsView(unread=sum(theirs.values()), by_campaign=theirs)


def _field(name: str) -> dict[str, str]:
    return {"field": name, "reason": "not a valid value"}
