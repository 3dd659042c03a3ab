"""The fields of a notification's template: what the occurrence says, what the tenant named, and links.

Only ids that match their shape, reason codes, counts, the names the tenant chose (its own
name, a campaign's) and links built from ``Settings.public_base_url`` go in: never a
number, a contact's name, a message body or an address other than the recipient's own
(which is the destination, not a field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from pydantic import JsonValue

from gatehouse.campaigns.records import Campaign, CampaignStatus
from gatehouse.events.occurrence import Occurrence
from gatehouse.identity.permissions import Role
from gatehouse.notifications.kinds import (
    ALWAYS_ON,
    CAMPAIGN_KINDS,
    REASON_CODE,
    NotificationKind,
    pause_advice,
)
from gatehouse.notifications.recipients import Recipient
from gatehouse.vault.schemas import Provider

K = NotificationKind
_ID: Final = re.compile(r"^[a-z]{2,5}_[a-z2-7]{26}$")
_LIST_NAME: Final = re.compile(r"^[A-Z]{2}$|^[2-9][0-9]{2}$")  # a state or an area code


@dataclass(frozen=True)
class Facts:
    """What the occurrence does not carry and the mail names: read once per occurrence."""

    base_url: str
    tenant_name: str
    campaign: Campaign | None = None


def template_data(
    kind: NotificationKind, occurrence: Occurrence, facts: Facts, person: Recipient
) -> dict[str, str]:
    data = {"tenant_name": facts.tenant_name, "role": _as(person.role)}
    if kind not in ALWAYS_ON:
        data["preferences_url"] = _link(facts, "/me/notifications")
    if kind in CAMPAIGN_KINDS:
        data.update(_campaign(kind, occurrence, facts))
    else:
        data.update(_FIELDS[kind](occurrence, facts))
    return data


def _campaign(kind: NotificationKind, occurrence: Occurrence, facts: Facts) -> dict[str, str]:
    campaign_id = _id(occurrence.target_id)
    name = facts.campaign.spec.name if facts.campaign is not None else campaign_id
    fields = {"campaign_name": name, "campaign_url": _link(facts, f"/campaigns/{campaign_id}")}
    if kind is K.CAMPAIGN_PAUSED:
        reason = _code(occurrence.data.get("reason")) or _paused_reason(facts.campaign)
        advice = pause_advice(reason)
        fields.update(reason_code=reason or "unknown", reason_text=advice.why, what_to_do=advice.what_to_do)
    return fields


def _paused_reason(campaign: Campaign | None) -> str | None:
    """The reason the campaign's history gives its last pause, when the occurrence carries none."""
    if campaign is None:
        return None
    paused = [t for t in campaign.history if t.status is CampaignStatus.PAUSED]
    return _code(paused[-1].reason) if paused else None


def _dnc_failed(occurrence: Occurrence, facts: Facts) -> dict[str, str]:
    paused = occurrence.data.get("paused_campaigns")
    return {
        "reason_code": _code(occurrence.data.get("reason")) or "unknown",
        "paused_count": str(len(paused) if isinstance(paused, list) else 0),
        "dnc_url": _link(facts, "/dnc/status"),
    }


def _dnc_stale(occurrence: Occurrence, facts: Facts) -> dict[str, str]:
    names = [
        str(n)
        for key in ("area_codes", "states")
        for n in _list(occurrence.data.get(key))
        if isinstance(n, str) and _LIST_NAME.fullmatch(n)
    ]
    return {
        "stale_count": str(len(names)),
        "stale_lists": ", ".join(names) or "see the DNC status",
        "dnc_url": _link(facts, "/dnc/status"),
    }


def _credential(occurrence: Occurrence, facts: Facts) -> dict[str, str]:
    provider = occurrence.data.get("provider") or occurrence.target_id
    named = provider if provider in {p.value for p in Provider} else None
    return {
        "provider": str(named or "provider"),
        "check_status": _code(occurrence.data.get("status")) or "failed",
        "integration_url": _link(facts, f"/integrations/{named}" if named else "/integrations"),
    }


def _import(occurrence: Occurrence, facts: Facts) -> dict[str, str]:
    import_id = _id(occurrence.target_id)
    return {
        "import_id": import_id,
        "rows": _count(occurrence.data.get("rows")),
        "error_rows": _count(occurrence.data.get("errors")),
        "import_url": _link(facts, f"/contacts/imports/{import_id}"),
    }


def _held(occurrence: Occurrence, facts: Facts) -> dict[str, str]:
    return {"review_url": _link(facts, "/optout-reviews")}


def _endpoint(occurrence: Occurrence, facts: Facts) -> dict[str, str]:
    endpoint_id = _id(occurrence.target_id)
    return {"endpoint_id": endpoint_id, "endpoint_url": _link(facts, f"/event-endpoints/{endpoint_id}")}


_FIELDS: Final = {
    K.DNC_SOURCE_FAILED: _dnc_failed,
    K.DNC_DATA_STALE: _dnc_stale,
    K.CREDENTIAL_TEST_FAILED: _credential,
    K.IMPORT_HAD_ERRORS: _import,
    K.MESSAGE_HELD_FOR_REVIEW: _held,
    K.EVENT_ENDPOINT_DISABLED: _endpoint,
}


def _link(facts: Facts, path: str) -> str:
    return f"{facts.base_url}{path}"


def _id(value: str) -> str:
    return value if _ID.fullmatch(value) else "unknown"


def _code(value: JsonValue) -> str | None:
    return value if isinstance(value, str) and REASON_CODE.fullmatch(value) else None


def _count(value: JsonValue) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else "0"


def _list(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else []


def _as(role: Role) -> str:
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"
