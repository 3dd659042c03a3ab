"""One thing that happened in a tenant, as its people (notifications) and its systems (events) hear of it.

An ``Occurrence`` is read from a write that already committed, never announced beside it:
an audit entry (every state change lands on the tenant's chain in the same transaction as
the change, so the chain is the outbox) or a message's outcome or delivery status. The
same committed write always gives the same ``event_id``, so a reader that sees a write
twice (a stream retried, a job run again) can tell and deduplicate.

``data`` carries ids, statuses, counts and reason codes only: never a number, a body,
consent evidence, a credential or anything else a receiver does not need to look the
rest up through the API.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, JsonValue

from gatehouse.models import GatehouseModel


class EventType(StrEnum):
    """The event types a tenant's endpoints may subscribe to (the public names)."""

    MESSAGE_SENT = "message.sent"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_FAILED = "message.failed"
    CONTACT_OPTED_OUT = "contact.opted_out"
    CONTACT_HELD_FOR_REVIEW = "contact.held_for_review"
    CAMPAIGN_PAUSED = "campaign.paused"
    CAMPAIGN_COMPLETED = "campaign.completed"
    IMPORT_COMPLETED = "import.completed"


class Occurrence(GatehouseModel):
    """What happened: ``kind`` is the audit action (``campaign.paused``) or a message's ``message.*``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    tenant_id: str
    kind: str
    at: datetime
    target_type: str
    target_id: str
    actor: str | None = None  # "user:usr_...", "system:dispatch", ...; None for a message's outcome
    data: dict[str, JsonValue] = {}


def event_id_for(tenant_id: str, *parts: str) -> str:
    """A stable id for what one committed write says: ``evt_`` and 26 base32 characters."""
    digest = hashlib.sha256("\x1f".join((tenant_id, *parts)).encode()).digest()
    return "evt_" + base64.b32encode(digest).decode("ascii").lower()[:26]
