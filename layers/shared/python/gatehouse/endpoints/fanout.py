"""From an occurrence to the deliveries it owes: which public event it is, and which endpoints want it.

``on_occurrence`` is what the events function calls for every occurrence. It maps the
occurrence's kind to a public ``EventType`` (most kinds map to none and cost nothing),
reads the tenant's endpoints (one query, kept for ``CACHE_SECONDS`` so a batch of a
tenant's occurrences reads them once; a change through ``manage`` forgets them), and for
each enabled endpoint subscribed to the type claims (event id, endpoint id) with one
conditional put, then queues the delivery. A claim already queued means the event was
handled before (a retried stream record): nothing is sent twice. A claim left unqueued
(its claimer stopped in between) is queued again: at least once, the receiver
deduplicates on ``webhook-id``. Raising means "retry this record".

The payload carries ids, statuses, reason codes and counts only, picked field by field
(``PAYLOAD_FIELDS``); a value that looks like a phone number or is not a short id is
dropped, so a number, a body or consent evidence never leaves even if an occurrence
carried one.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

from pydantic import JsonValue

from gatehouse.clock import isoformat, utc_now
from gatehouse.endpoints import queue
from gatehouse.endpoints.queue import Delivery
from gatehouse.endpoints.records import DeliveryClaim, EventEndpoint, claim_key
from gatehouse.errors import Conflict
from gatehouse.events.occurrence import EventType, Occurrence
from gatehouse.observability import logger
from gatehouse.tenancy import TenantScope

CACHE_SECONDS: Final = 10.0
# Only these sources are the person's own revocation; a manual add, an import or an erasure is not.
OPT_OUT_SOURCES: Final = frozenset({"sms_stop", "voice_stop_request"})
_COUNTS: Final = ("rows", "created", "updated", "unchanged", "errors", "suppressed", "skipped", "ineligible")
# Per public type, the fields of ``Occurrence.data`` a payload may carry.
PAYLOAD_FIELDS: Final[dict[EventType, tuple[str, ...]]] = {
    EventType.MESSAGE_SENT: ("campaign_id", "contact_id", "message_id", "channel", "attempt", "status"),
    EventType.MESSAGE_DELIVERED: ("campaign_id", "contact_id", "message_id", "channel", "status"),
    EventType.MESSAGE_FAILED: (
        "campaign_id",
        "contact_id",
        "message_id",
        "channel",
        "status",
        "error_code",
        "reason",
    ),
    EventType.CONTACT_OPTED_OUT: ("contact_id", "source", "channel"),
    EventType.CONTACT_HELD_FOR_REVIEW: ("contact_id", "channel"),
    EventType.CAMPAIGN_PAUSED: ("campaign_id", "reason", "status"),
    EventType.CAMPAIGN_COMPLETED: ("campaign_id", "status"),
    EventType.IMPORT_COMPLETED: ("import_id", "status", *_COUNTS),
}
# The field the occurrence's target id fills in, when the data does not say it.
_TARGET_FIELD: Final = {
    EventType.CAMPAIGN_PAUSED: "campaign_id",
    EventType.CAMPAIGN_COMPLETED: "campaign_id",
    EventType.IMPORT_COMPLETED: "import_id",
}
_SAFE_TEXT: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_NUMBER_LIKE: Final = re.compile(r"^\d{7,}$")  # a phone number without its "+"

_cache: dict[str, tuple[float, list[EventEndpoint]]] = {}
_cache_lock = threading.Lock()


def public_type(occ: Occurrence) -> EventType | None:
    """The public event an occurrence is, or None when endpoints never hear of it."""
    kind = occ.kind
    if kind in {
        "message.sent",
        "message.delivered",
        "message.failed",
        "campaign.paused",
        "campaign.completed",
    }:
        return EventType(kind)
    if kind == "suppression.added":
        return EventType.CONTACT_OPTED_OUT if _source(occ.data) in OPT_OUT_SOURCES else None
    if kind == "suppression.hold_confirmed":
        return EventType.CONTACT_OPTED_OUT
    if kind == "suppression.held":
        return EventType.CONTACT_HELD_FOR_REVIEW
    if kind == "contacts.imported":
        return EventType.IMPORT_COMPLETED
    return None


def payload_data(event_type: EventType, occ: Occurrence) -> dict[str, JsonValue]:
    """The ``data`` of a payload: the type's own fields of the occurrence, each a safe scalar."""
    data: dict[str, JsonValue] = {}
    target_field = _TARGET_FIELD.get(event_type)
    if target_field is not None:
        data[target_field] = occ.target_id
    if event_type is EventType.CONTACT_OPTED_OUT:
        source = _source(occ.data) or ("review" if occ.kind == "suppression.hold_confirmed" else None)
        data["source"] = source
    for name in PAYLOAD_FIELDS[event_type]:
        value = occ.data.get(name)
        if name not in data and _safe(value):
            data[name] = value
    return {k: v for k, v in data.items() if _safe(v) and v is not None}


def body_of(event_type: str, at: datetime, data: Mapping[str, JsonValue]) -> str:
    """The JSON body, as signed and sent: ``{"type", "timestamp", "data"}``."""
    return json.dumps(
        {"type": event_type, "timestamp": isoformat(at), "data": dict(data)},
        separators=(",", ":"),
        sort_keys=True,
    )


def delivery_for(
    tenant_id: str,
    endpoint_id: str,
    event_id: str,
    event_type: str,
    *,
    at: datetime,
    data: Mapping[str, JsonValue],
) -> Delivery:
    return Delivery(
        tenant_id=tenant_id,
        endpoint_id=endpoint_id,
        event_id=event_id,
        event_type=event_type,
        body=body_of(event_type, at, data),
    )


def on_occurrence(occ: Occurrence) -> None:
    """Queue the occurrence to every endpoint of its tenant that wants it; once per event and endpoint."""
    event_type = public_type(occ)
    if event_type is None:
        return
    scope = TenantScope(occ.tenant_id)
    wanting = [e for e in endpoints_of(scope) if e.subscribed(event_type)]
    if not wanting:
        return
    data = payload_data(event_type, occ)
    owed = [c for c in (_claim(scope, e.endpoint_id, occ.event_id, event_type) for e in wanting) if c]
    deliveries = [
        delivery_for(occ.tenant_id, c.endpoint_id, occ.event_id, event_type, at=occ.at, data=data)
        for c in owed
    ]
    queue_deliveries(deliveries)
    for claim in owed:
        _mark_queued(scope, claim)
    logger.info(
        "event queued",
        extra={
            "tenant_id": occ.tenant_id,
            "event_id": occ.event_id,
            "event_type": event_type,
            "endpoints": len(owed),
        },
    )


def queue_deliveries(deliveries: Sequence[Delivery]) -> None:
    queue.send(deliveries)


def endpoints_of(scope: TenantScope) -> list[EventEndpoint]:
    """The tenant's endpoints, read once per ``CACHE_SECONDS`` (a tenant has at most a handful)."""
    now = time.monotonic()
    with _cache_lock:
        held = _cache.get(scope.tenant_id)
    if held is not None and now - held[0] < CACHE_SECONDS:
        return held[1]
    from gatehouse.endpoints.manage import MAX_ENDPOINTS  # noqa: PLC0415 - manage imports this module

    found = scope.query(EventEndpoint, limit=MAX_ENDPOINTS).items
    with _cache_lock:
        _cache[scope.tenant_id] = (now, found)
    return found


def forget_endpoints(tenant_id: str | None = None) -> None:
    """Drop what was read of a tenant's endpoints (every tenant's, without one)."""
    with _cache_lock:
        if tenant_id is None:
            _cache.clear()
        else:
            _cache.pop(tenant_id, None)


def _claim(
    scope: TenantScope, endpoint_id: str, event_id: str, event_type: EventType
) -> DeliveryClaim | None:
    """The claim when the event is owed to the endpoint (newly claimed, or claimed but never queued)."""
    claim = DeliveryClaim(
        endpoint_id=endpoint_id, event_id=event_id, event_type=event_type, claimed_at=utc_now()
    )
    try:
        return scope.save(claim)
    except Conflict:
        held = scope.get(DeliveryClaim, claim_key(endpoint_id, event_id))
        return held if held is not None and not held.queued else None


def _mark_queued(scope: TenantScope, claim: DeliveryClaim) -> None:
    with contextlib.suppress(Conflict):  # another claimer marked it: queued either way
        scope.save(claim.model_copy(update={"queued": True}))


def _source(data: Mapping[str, JsonValue]) -> str | None:
    source = data.get("source")
    if isinstance(source, str):
        return source
    sources = data.get("sources")
    if isinstance(sources, list) and sources and isinstance(sources[-1], str):
        return sources[-1]
    return None


def _safe(value: object) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return 0 <= value < 10**9
    if isinstance(value, str):
        return bool(_SAFE_TEXT.fullmatch(value)) and not _NUMBER_LIKE.fullmatch(value)
    return False
