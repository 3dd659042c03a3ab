"""What Gatehouse holds about one person, by their contact id, and its removal.

``forget`` removes everything held about the person except the contact item and the
suppression list: their texts, calls (with our copies of the recordings), conversations
(and their unread counts), the members' replies to them and what was heard on their calls.
An erasure and the retention purge of a deleted contact both call it, so the two cannot
drift apart; each decides the contact item and the suppression entry itself.
"""

from __future__ import annotations

from typing import Final

from gatehouse.conversations import inbox
from gatehouse.tenancy import TenantScope
from gatehouse.voice.revocations import HeardOnCall
from gatehouse.webhooks.inbound_sms import erase_messages
from gatehouse.webhooks.voice_events import erase_calls

_ERASE_PAGE: Final = 100


def forget(scope: TenantScope, contact_id: str) -> int:
    """Remove all held about the person but the contact item and the suppression list; how many went."""
    removed = erase_messages(scope, contact_id) + erase_calls(scope, contact_id)
    removed += inbox.erase(scope, contact_id)
    while page := scope.query(HeardOnCall, prefix=f"{contact_id}#", limit=_ERASE_PAGE).items:
        removed += scope.batch_delete(HeardOnCall, (heard.sort_key() for heard in page))
    return removed
