"""Stream records (the Lambda DynamoDB event shape) read as ``Occurrence``s.

Three kinds of committed write say something happened: an audit entry (the audit table's
``E#<seq>`` items; the entry's canonical JSON is its ``body``), a contact's outcome in a
campaign (``dispatch.outcomes.ContactOutcome``) and a send's delivery status
(``dispatch.delivery.Delivery``). Each is read from the record's ``NewImage`` alone, and
its event id comes from what the write says, so a record read twice gives the same id.

``data`` is built from a whitelist per kind (ids, statuses, counts, reason codes), never
copied whole: an entry's ``changes`` may hold a reason a person typed, a name, a time.
A record this module cannot read (another item, a malformed body, an entry whose hash
does not match) gives nothing and a warning that names no value of it: an event is
never invented. Nothing here reads a table, calls a consumer or logs an item's content.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, TypeVar

from boto3.dynamodb.types import TypeDeserializer
from pydantic import JsonValue, ValidationError

from gatehouse.audit.entry import AuditEntry, entry_hash
from gatehouse.dispatch.delivery import Delivery, DeliveryStatus
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeSheet, OutcomeStatus
from gatehouse.events.occurrence import EventType, Occurrence, event_id_for
from gatehouse.ids import is_tenant_id
from gatehouse.observability import logger

# The audit actions the consumers hear of, each with the fields of its ``changes.after``
# they may see. template.yaml's AuditTable filter lists exactly these actions.
# A pause's reason is a code (``dnc_source_failed``); a rejection's is a person's words, left out.
AUDITED: Final[Mapping[str, tuple[str, ...]]] = {
    "campaign.submitted": ("status",),
    "campaign.approved": ("status",),
    "campaign.rejected": ("status",),
    "campaign.started": ("status",),
    "campaign.paused": ("status", "reason"),
    "campaign.completed": ("status",),
    "suppression.added": ("source", "sources", "contact_id"),
    "suppression.held": ("source", "sources", "contact_id"),
    "suppression.hold_confirmed": ("contact_id", "resolution", "sources"),
    "dnc.rescrub_failed": ("reason", "paused_campaigns"),
    "dnc.data_stale": ("area_codes", "states"),
    "integration.tested": ("provider", "status"),
    "contacts.imported": ("rows", "created", "updated", "unchanged", "errors"),
    "event_endpoint.disabled": ("status", "reason"),
}
AUDIT_COLLECTION: Final = "AUDIT"
OUTCOME_COLLECTION: Final = ContactOutcome.collection
SHEET_COLLECTION: Final = OutcomeSheet.collection
DELIVERY_COLLECTION: Final = Delivery.collection
_ENTRY_PREFIX: Final = "E#"
_VERIFIED: Final = "verified"  # providers.base.CheckStatus.VERIFIED: the credentials worked
_MESSAGE_OUTCOMES: Final = {
    OutcomeStatus.SENT: EventType.MESSAGE_SENT,
    OutcomeStatus.SEND_FAILED: EventType.MESSAGE_FAILED,
}
_DELIVERY_OUTCOMES: Final = {
    DeliveryStatus.DELIVERED: EventType.MESSAGE_DELIVERED,
    DeliveryStatus.UNDELIVERED: EventType.MESSAGE_FAILED,
    DeliveryStatus.FAILED: EventType.MESSAGE_FAILED,
}
_WRITES: Final = frozenset({"INSERT", "MODIFY"})
_deserializer = TypeDeserializer()
R = TypeVar("R", ContactOutcome, OutcomeSheet, Delivery)


class Unreadable(ValueError):
    """A record this module will not turn into an occurrence; the message names no value of it."""


def occurrences(record: Mapping[str, Any]) -> list[Occurrence]:
    """What one stream record says happened: none, one occurrence, or a sheet's new sends."""
    try:
        if _collection_of(record) == SHEET_COLLECTION:
            return _sheet(record)
        occurrence = read(record)
    except Unreadable as why:
        logger.warning(
            "stream record skipped",
            extra={"reason": str(why), "event_id": str(record.get("eventID", ""))[:80]},
        )
        return []
    return [] if occurrence is None else [occurrence]


def _collection_of(record: Mapping[str, Any]) -> str | None:
    stream = record.get("dynamodb")
    keys = stream.get("Keys") if isinstance(stream, Mapping) else None
    pk = keys.get("pk") if isinstance(keys, Mapping) else None
    text = pk.get("S") if isinstance(pk, Mapping) else None
    return text.partition("#")[2] if isinstance(text, str) else None


def read(record: Mapping[str, Any]) -> Occurrence | None:
    """The record's occurrence; None for a write that says nothing to hear of; Unreadable otherwise."""
    if record.get("eventName") not in _WRITES:
        return None
    image = _new_image(record)
    pk = _text(image, "pk")
    tenant_id, _, collection = pk.partition("#")
    if not is_tenant_id(tenant_id):
        return None  # a global item (the directory): nothing of a tenant's
    if collection == AUDIT_COLLECTION:
        return _audited(tenant_id, image) if record.get("eventName") == "INSERT" else None
    if collection == OUTCOME_COLLECTION:
        return _outcome(tenant_id, _record(ContactOutcome, image))
    if collection == DELIVERY_COLLECTION:
        return _delivery(tenant_id, image)
    return None


def _sheet(record: Mapping[str, Any]) -> list[Occurrence]:
    """A sheet's write: one ``message.sent`` per send that write put on it (the others were told before)."""
    if record.get("eventName") not in _WRITES:
        return []
    image = _new_image(record)
    tenant_id = _text(image, "pk").partition("#")[0]
    if not is_tenant_id(tenant_id):
        return []
    sheet = _record(OutcomeSheet, image)
    return [o for outcome in sheet.announced() if (o := _outcome(tenant_id, outcome)) is not None]


def _audited(tenant_id: str, image: Mapping[str, Any]) -> Occurrence | None:
    if not _text(image, "sk").startswith(_ENTRY_PREFIX):
        return None  # the chain head or a checkpoint
    action = image.get("action")
    if not isinstance(action, str) or action not in AUDITED:
        return None
    try:
        entry = AuditEntry.model_validate_json(_text(image, "body"))
    except ValidationError:
        raise Unreadable("audit entry body is not an entry") from None
    if entry.tenant_id != tenant_id or entry.action != action:
        raise Unreadable("audit entry body disagrees with its item")
    if entry.hash != entry_hash(entry.fields()):
        raise Unreadable("audit entry hash does not match its body")
    target_field = f"{entry.target.type}_id"
    data: dict[str, JsonValue] = {target_field: entry.target.id}
    after = entry.changes.after or {}
    data.update({name: after[name] for name in AUDITED[action] if name in after})
    if action == "integration.tested" and "status" in after:
        data["ok"] = after["status"] == _VERIFIED
    return Occurrence(
        event_id=event_id_for(tenant_id, "audit", str(entry.seq)),
        tenant_id=tenant_id,
        kind=action,
        at=entry.at,
        target_type=entry.target.type,
        target_id=entry.target.id,
        actor=entry.actor.label,
        data=data,
    )


def _outcome(tenant_id: str, outcome: ContactOutcome) -> Occurrence | None:
    kind = _MESSAGE_OUTCOMES.get(outcome.status)
    if kind is None:
        return None  # blocked or deferred: no message went anywhere
    data: dict[str, JsonValue] = {
        "campaign_id": outcome.campaign_id,
        "contact_id": outcome.contact_id,
        "attempt": outcome.attempts,
        "status": outcome.status.value,
    }
    if outcome.provider_ref is not None:  # the message's id, which its delivery status names too
        data["message_id"] = _message_id(tenant_id, outcome.provider_ref)
    if outcome.reason is not None:
        data["reason"] = outcome.reason
    if outcome.error_code is not None:
        data["error_code"] = outcome.error_code
    parts = ("outcome", outcome.campaign_id, outcome.contact_id, str(outcome.attempts), outcome.status.value)
    return Occurrence(
        event_id=event_id_for(tenant_id, *parts),
        tenant_id=tenant_id,
        kind=kind.value,
        at=outcome.updated_at,
        target_type="contact",
        target_id=outcome.contact_id,
        data=data,
    )


def _delivery(tenant_id: str, image: Mapping[str, Any]) -> Occurrence | None:
    delivery = _record(Delivery, image)
    kind = _DELIVERY_OUTCOMES.get(delivery.status)
    if kind is None:
        return None  # on its way (queued, sent, ringing) or a call's own ending
    message_id = _message_id(tenant_id, delivery.provider_ref)
    data: dict[str, JsonValue] = {"message_id": message_id, "status": delivery.status.value}
    if delivery.error_code is not None:
        data["error_code"] = delivery.error_code
    return Occurrence(
        event_id=event_id_for(tenant_id, "delivery", delivery.provider_ref, delivery.status.value),
        tenant_id=tenant_id,
        kind=kind.value,
        at=delivery.updated_at,
        target_type="message",
        target_id=message_id,
        data=data,
    )


def _message_id(tenant_id: str, provider_ref: str) -> str:
    """A message's id for receivers: stable, the same on its sent and its delivery events, and
    not the provider's reference, which identifies the send to us only."""
    return event_id_for(tenant_id, "message", provider_ref)


def _record(record_type: type[R], image: Mapping[str, Any]) -> R:
    """The record as the data door stored it: ``kind`` names its type, ``body`` is its JSON."""
    if image.get("kind") != record_type.__name__:
        raise Unreadable(f"a {record_type.collection} item of another kind")
    try:
        body = json.loads(_text(image, "body"))
        version = image.get("version", 0)
        return record_type.model_validate({**body, "version": int(version)})
    except (ValueError, TypeError, ValidationError):
        raise Unreadable(f"{record_type.collection} item body is not a {record_type.__name__}") from None


def _new_image(record: Mapping[str, Any]) -> dict[str, Any]:
    stream = record.get("dynamodb")
    image = stream.get("NewImage") if isinstance(stream, Mapping) else None
    if not isinstance(image, Mapping):
        raise Unreadable("no NewImage (the stream must be NEW_IMAGE)")
    try:
        return {str(name): _deserializer.deserialize(value) for name, value in image.items()}
    except (TypeError, ValueError, KeyError, AttributeError):
        raise Unreadable("NewImage is not DynamoDB JSON") from None


def _text(image: Mapping[str, Any], name: str) -> str:
    value = image.get(name)
    if not isinstance(value, str):
        raise Unreadable(f"no string {name}")
    return value
