"""Who answers a conversation: members take one themselves; owners and admins give one to any member.

An assignee is an active member whose role reads conversations and, where the tenant restricts
members to their campaigns (``conversations.access``), one who can see the conversation: it is
never given to someone who could not open it. Every change commits with
its ``conversation.assigned`` audit entry (before and after name user ids, never the person's
number or texts), conditional on the conversation as read: of two at once, one gets a Conflict.
"""

from __future__ import annotations

from gatehouse import audit
from gatehouse.campaigns.members import campaigns_of
from gatehouse.conversations.access import RESTRICTED_ROLES, ConversationAccess, policy
from gatehouse.conversations.listing import ConversationView, person_of
from gatehouse.conversations.records import Conversation, conversation_id, parse_conversation_id
from gatehouse.errors import Forbidden, Invalid
from gatehouse.identity.caller import Caller
from gatehouse.identity.members import Membership
from gatehouse.identity.permissions import Permission, allows
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantScope


class Assignment(GatehouseModel):
    conversation_id: str
    assigned_to: str | None


def assign(scope: TenantScope, caller: Caller, conversation: str, user_id: str | None) -> ConversationView:
    caller.require(Permission.CONVERSATIONS_WRITE)
    contact_id, channel = parse_conversation_id(conversation)
    current = scope.require(Conversation, conversation_id(contact_id, channel))
    _check_may_assign(scope, caller, current, user_id)
    if user_id is not None:
        member = scope.get(Membership, user_id)
        if member is None or not allows(member.role, Permission.CONVERSATIONS_READ):
            raise Invalid(
                "assign to an active member who reads conversations (member, admin or owner)",
                details=[{"field": "user_id", "reason": "not an assignable member"}],
            )
        if not _sees(scope, member, current):
            raise Invalid(
                "this member sees only their campaigns' conversations: add them to the campaign first",
                details=[{"field": "user_id", "reason": "outside the member's campaigns"}],
            )
    if current.assigned_to == user_id:
        return ConversationView.of(current)
    updated = current.model_copy(update={"assigned_to": user_id})
    with audit.recorded(
        scope,
        caller,
        "conversation.assigned",
        "conversation",
        current.sort_key(),
        before=Assignment(conversation_id=current.sort_key(), assigned_to=current.assigned_to),
        after=Assignment(conversation_id=current.sort_key(), assigned_to=user_id),
    ) as change:
        written = change.save(updated)
    return ConversationView.of(written)


def _sees(scope: TenantScope, member: Membership, current: Conversation) -> bool:
    """Whether the member could open the conversation under the tenant's access policy."""
    if member.role not in RESTRICTED_ROLES:
        return True
    everyone = TenantScope(scope.tenant_id)  # the member's view, not the assigning caller's
    if policy(everyone).conversation_access is ConversationAccess.ALL:
        return True
    return current.campaign_id is not None and current.campaign_id in campaigns_of(everyone, member.user_id)


def _check_may_assign(scope: TenantScope, caller: Caller, current: Conversation, user_id: str | None) -> None:
    """Without CONVERSATIONS_ASSIGN a member only takes a conversation, or gives back their own."""
    if allows(caller.role, Permission.CONVERSATIONS_ASSIGN) and not caller.read_only:
        return
    me = person_of(scope, caller)
    taking = user_id is not None and user_id == me
    giving_back = user_id is None and me is not None and current.assigned_to == me
    if not (taking or giving_back):
        raise Forbidden("members assign conversations to themselves; owners and admins to anyone")
