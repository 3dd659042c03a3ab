"""What Gatehouse holds about one person, by their contact id: read it all, or remove it.

A person is their contact id (``keys``: the number's keyed hash), whether or not a contact
record exists: a stranger's texts, conversation and calls are kept under the same id. So
an export or an erasure works whenever anything is held under the id, contact or not.

``forget`` removes everything held about the person except the contact item and the
suppression list: their texts, calls (with our copies of the recordings), conversations,
the members' replies to them and what was heard on their calls. An erasure and the retention
purge of a deleted contact both call it, so the two cannot drift apart; each decides the
contact item and the suppression entry itself.

``exported`` reads everything held, one bounded page at a time: the person's own records on
the first page, then their texts, replies, calls, readings of calls and campaign outcomes,
in that order, each page holding at most ``LIMITS`` items of each. Its cursor names the
collection it stops in and holds that collection's sealed cursor, so it only resumes the
same person's export. Kept after an erasure: the suppression entry and its marker (keyed
hashes), a hold for review (a keyed hash and ids), the attempt ledger (times and ids, for
the frequency caps) and campaign outcomes (ids and statuses), none naming the person.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from pydantic import Field

from gatehouse.campaigns.records import Campaign
from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts.records import Contact, ContactView
from gatehouse.conversations import inbox
from gatehouse.conversations.listing import ConversationView
from gatehouse.conversations.records import Conversation, ReplyMessage, conversation_id
from gatehouse.dispatch.claims import AttemptLedger
from gatehouse.dispatch.outcomes import find
from gatehouse.errors import Invalid, NotFound
from gatehouse.models import GatehouseModel
from gatehouse.suppression.review import HeldText
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.voice.revocations import HeardOnCall
from gatehouse.webhooks.inbound_sms import InboundMessage, erase_messages
from gatehouse.webhooks.voice_events import CallRecord, erase_calls

# Items per collection on one page: a page stays well inside a Lambda response (6 MB) even
# when every text is 1,600 characters and every call keeps a 150,000-character transcript.
LIMITS: Final = {"messages": 200, "replies": 200, "calls": 10, "call_revocations": 200, "outcomes": 100}
_ERASE_PAGE: Final = 100

Rows = list[dict[str, Any]]


class PersonNotFound(NotFound):
    code = "not_found"


class PersonData(GatehouseModel):
    """One page of a data-subject export; the pages up to ``next_cursor`` null are the whole of it."""

    contact_id: str
    contact: ContactView | None = Field(
        description="the contact (a deleted one too, until it is purged); null when the person was never "
        "a contact, and on every page after the first"
    )
    conversations: list[ConversationView] = Field(description="first page only")
    held_for_review: dict[str, Any] | None = Field(description="first page only: a hold on the number")
    attempts: dict[str, Any] | None = Field(description="first page only: the attempt ledger")
    messages: Rows = Field(description="texts the person sent")
    replies: Rows = Field(description="texts members sent the person in conversations")
    calls: Rows = Field(description="calls with the person: status, transcript, summary, recording reference")
    call_revocations: Rows = Field(description="what was heard on the person's calls (opt-out readings)")
    outcomes: Rows = Field(description="where the person stands in each campaign that reached them")
    next_cursor: str | None = Field(description="null: this was the last page; else ask again with it")


def forget(scope: TenantScope, contact_id: str) -> int:
    """Remove all held about the person but the contact item and the suppression list; how many went."""
    removed = erase_messages(scope, contact_id) + erase_calls(scope, contact_id)
    removed += inbox.erase(scope, contact_id)
    while page := scope.query(HeardOnCall, prefix=f"{contact_id}#", limit=_ERASE_PAGE).items:
        removed += scope.batch_delete(HeardOnCall, (heard.sort_key() for heard in page))
    return removed


def holds_anything(scope: TenantScope, contact_id: str) -> bool:
    """Whether a contact record, or any record ``forget`` removes, is held under the id."""
    if scope.get(Contact, contact_id) is not None or _conversations(scope, contact_id):
        return True
    kinds: tuple[type[TenantRecord], ...] = (InboundMessage, ReplyMessage, CallRecord, HeardOnCall)
    return any(scope.query(kind, prefix=f"{contact_id}#", limit=1).items for kind in kinds)


def exported(scope: TenantScope, contact_id: str, *, cursor: str | None = None) -> PersonData:
    """One page of everything held about the person; PersonNotFound when nothing is held at all."""
    start, inner = _opened(cursor)
    first = cursor is None
    if first and not holds_anything(scope, contact_id):
        raise PersonNotFound("nothing is held about this person")
    found: dict[str, Rows] = {name: [] for name in LIMITS}
    next_cursor = None
    for name in list(LIMITS)[list(LIMITS).index(start) :]:
        found[name], more = _READERS[name](scope, contact_id, LIMITS[name], inner)
        inner = None
        if more is not None:
            next_cursor = f"{name}.{more}"
            break
    contact = scope.get(Contact, contact_id) if first else None
    return PersonData(
        contact_id=contact_id,
        contact=ContactView.of(contact) if contact else None,
        conversations=[ConversationView.of(c) for c in _conversations(scope, contact_id)] if first else [],
        held_for_review=_dumped(scope.get(HeldText, contact_id)) if first else None,
        attempts=_dumped(scope.get(AttemptLedger, contact_id)) if first else None,
        next_cursor=next_cursor,
        **found,
    )


def _opened(cursor: str | None) -> tuple[str, str | None]:
    """The collection an export's cursor stops in and that collection's own cursor (None: its start)."""
    if cursor is None:
        return next(iter(LIMITS)), None
    name, dot, inner = cursor.partition(".")
    if not dot or name not in LIMITS:
        raise Invalid("cursor is not valid")
    return name, inner or None


def _conversations(scope: TenantScope, contact_id: str) -> list[Conversation]:
    found = scope.batch_get(Conversation, [conversation_id(contact_id, channel) for channel in Channel])
    return list(found.values())


def _dumped(record: TenantRecord | None) -> dict[str, Any] | None:
    return record.model_dump(mode="json", exclude={"version"}) if record is not None else None


def _by_prefix(kind: type[TenantRecord]) -> Reader:
    def read(scope: TenantScope, contact_id: str, limit: int, cursor: str | None) -> tuple[Rows, str | None]:
        page = scope.query(kind, prefix=f"{contact_id}#", limit=limit, cursor=cursor)
        return [row for record in page.items if (row := _dumped(record)) is not None], page.cursor

    return read


def _outcomes(scope: TenantScope, contact_id: str, limit: int, cursor: str | None) -> tuple[Rows, str | None]:
    """A page of the tenant's campaigns, and the person's outcome in each that has one."""
    campaigns = scope.query(Campaign, limit=limit, cursor=cursor)
    keys = [f"{campaign.campaign_id}#{contact_id}" for campaign in campaigns.items]
    found = find(scope, keys) if keys else {}
    return [row for key in keys if (row := _dumped(found.get(key))) is not None], campaigns.cursor


Reader = Callable[[TenantScope, str, int, str | None], tuple[Rows, str | None]]

_READERS: Final[dict[str, Reader]] = {
    "messages": _by_prefix(InboundMessage),
    "replies": _by_prefix(ReplyMessage),
    "calls": _by_prefix(CallRecord),
    "call_revocations": _by_prefix(HeardOnCall),
    "outcomes": _outcomes,
}
