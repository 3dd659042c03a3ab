"""The inbox: conversations with filters, unread counts, a conversation, its thread, read marks, assignment.

Conversations hold personal data (texts, who wrote): members and up read them, viewers do
not. Every list or thread read adds one to the reader's count of the day, which reaches the
audit trail as one entry per person per day (``gatehouse.conversations.reads``).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from guards import caller, requires, scope
from pydantic import Field

from gatehouse.conversations import assignment, inbox, listing, reads, thread
from gatehouse.conversations.listing import ConversationView, InboxCountsView, InboxFilter
from gatehouse.conversations.records import parse_conversation_id
from gatehouse.conversations.thread import ThreadPage
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from routes.schemas import Cursor, PageLimit, StrictBody, documented

router = Router()

ConversationId = Annotated[
    str,
    Path(pattern=r"^con_[a-z2-7]{26}\.(sms|voice)$", description="conversation id: <contact id>.<channel>"),
]
Flag = Annotated[bool | None, Query(description="only conversations with this flag so")]
Assigned = Annotated[
    str | None,
    Query(
        pattern=r"^(me|none|usr_[a-z2-7]{26})$",
        description="only those assigned to you (me), to a member (user id) or to nobody (none)",
    ),
]
CampaignFilter = Annotated[
    str | None, Query(pattern=r"^cmp_[a-z2-7]{26}$", description="only those a campaign last reached")
]


class ConversationList(GatehouseModel):
    items: list[ConversationView]
    next_cursor: str | None = Field(description="a page may hold fewer items than asked and still go on")


class AssigneeRequest(StrictBody):
    user_id: str | None = Field(pattern=r"^usr_[a-z2-7]{26}$", description="a member's user id; null: nobody")


@router.get(
    "/conversations/counts",
    middlewares=requires(Permission.CONVERSATIONS_READ),
    summary="Unread texts for the tenant and per campaign",
    tags=["conversations"],
    responses=documented(200, InboxCountsView),
)
def unread_counts() -> InboxCountsView:
    return listing.counts(scope(router))


@router.get(
    "/conversations",
    middlewares=requires(Permission.CONVERSATIONS_READ),
    summary="Conversations, newest first (yours first unless filtered by assignee), with filters",
    tags=["conversations"],
    responses=documented(200, ConversationList, 400),
)
def list_conversations(  # noqa: PLR0917 - one query parameter per filter
    needs_reply: Flag = None,
    held: Flag = None,
    opted_out: Flag = None,
    assigned: Assigned = None,
    campaign_id: CampaignFilter = None,
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> ConversationList:
    tenant, who = scope(router), caller(router)
    wanted = InboxFilter(
        needs_reply=needs_reply, held=held, opted_out=opted_out, campaign_id=campaign_id, assigned=assigned
    )
    page = listing.list_conversations(tenant, who, wanted, limit=limit, cursor=cursor)
    reads.count_read(tenant, who)
    return ConversationList(items=page.items, next_cursor=page.cursor)


@router.get(
    "/conversations/<conversation_id>",
    middlewares=requires(Permission.CONVERSATIONS_READ),
    summary="One conversation's summary, with the contact's id",
    tags=["conversations"],
    responses=documented(200, ConversationView, 404),
)
def get_conversation(conversation_id: ConversationId) -> ConversationView:
    return listing.get_conversation(scope(router), conversation_id)


@router.get(
    "/conversations/<conversation_id>/messages",
    middlewares=requires(Permission.CONVERSATIONS_READ),
    summary="The thread, newest first: texts in, campaign messages out, replies, opt-outs and holds",
    tags=["conversations"],
    responses=documented(200, ThreadPage, 400, 404),
)
def conversation_thread(
    conversation_id: ConversationId, limit: PageLimit = 50, cursor: Cursor = None
) -> ThreadPage:
    tenant = scope(router)
    contact_id, channel = parse_conversation_id(conversation_id)
    page = thread.thread(tenant, contact_id, channel, limit=limit, cursor=cursor)
    reads.count_read(tenant, caller(router))
    return page


@router.post(
    "/conversations/<conversation_id>/read",
    middlewares=requires(Permission.CONVERSATIONS_READ),
    summary="Mark the conversation read: its unread goes to 0, and the counts with it",
    tags=["conversations"],
    responses=documented(200, ConversationView, 404, 409),
)
def mark_read(conversation_id: ConversationId) -> ConversationView:
    tenant = scope(router)
    contact_id, channel = parse_conversation_id(conversation_id)
    marked = inbox.mark_read(tenant, contact_id, channel)
    reads.count_read(tenant, caller(router))
    return ConversationView.of(marked)


@router.put(
    "/conversations/<conversation_id>/assignee",
    middlewares=requires(Permission.CONVERSATIONS_WRITE),
    summary="Assign the conversation (members: to themselves; owners and admins: to any member), audited",
    tags=["conversations"],
    responses=documented(200, ConversationView, 400, 403, 404, 409),
)
def set_assignee(
    conversation_id: ConversationId, request: Annotated[AssigneeRequest, Body()]
) -> ConversationView:
    return assignment.assign(scope(router), caller(router), conversation_id, request.user_id)
