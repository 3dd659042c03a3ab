"""What people are told about: the notification kinds, read from occurrences, and what a pause asks of them.

``kind_of`` is the one place that decides whether an occurrence is worth a mail and which
kind it is, from the occurrence's ``kind`` (the audit action), its actor and its data
(ids, statuses, counts, reason codes). Compliance kinds (a campaign that paused itself,
a DNC source that failed or data grown stale) always go out; a person may turn any other
kind off. Nothing here reads a table, a clock or a setting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from pydantic import JsonValue

from gatehouse.events.occurrence import Occurrence


class NotificationKind(StrEnum):
    CAMPAIGN_AWAITS_APPROVAL = "campaign_awaits_approval"
    CAMPAIGN_APPROVED = "campaign_approved"
    CAMPAIGN_REJECTED = "campaign_rejected"
    CAMPAIGN_STARTED = "campaign_started"
    CAMPAIGN_COMPLETED = "campaign_completed"
    CAMPAIGN_PAUSED = "campaign_paused"
    DNC_SOURCE_FAILED = "dnc_source_failed"
    DNC_DATA_STALE = "dnc_data_stale"
    CREDENTIAL_TEST_FAILED = "credential_test_failed"
    IMPORT_HAD_ERRORS = "import_had_errors"
    MESSAGE_HELD_FOR_REVIEW = "message_held_for_review"
    EVENT_ENDPOINT_DISABLED = "event_endpoint_disabled"


K = NotificationKind
# Pauses and DNC failures concern whether contacting people stays lawful: nobody turns them off.
ALWAYS_ON: Final = frozenset({K.CAMPAIGN_PAUSED, K.DNC_SOURCE_FAILED, K.DNC_DATA_STALE})
# The member who submitted the campaign hears of these besides the owners and admins.
CAMPAIGN_KINDS: Final = frozenset(
    {
        K.CAMPAIGN_AWAITS_APPROVAL,
        K.CAMPAIGN_APPROVED,
        K.CAMPAIGN_REJECTED,
        K.CAMPAIGN_STARTED,
        K.CAMPAIGN_COMPLETED,
        K.CAMPAIGN_PAUSED,
    }
)
# Kinds a person's own request causes and answers at once: that person is not mailed about them.
SELF_EVIDENT: Final = frozenset(
    {
        K.CAMPAIGN_AWAITS_APPROVAL,
        K.CAMPAIGN_APPROVED,
        K.CAMPAIGN_REJECTED,
        K.CAMPAIGN_STARTED,
        K.CREDENTIAL_TEST_FAILED,
    }
)
_BY_ACTION: Final = {
    "campaign.submitted": K.CAMPAIGN_AWAITS_APPROVAL,
    "campaign.approved": K.CAMPAIGN_APPROVED,
    "campaign.rejected": K.CAMPAIGN_REJECTED,
    "campaign.started": K.CAMPAIGN_STARTED,
    "campaign.completed": K.CAMPAIGN_COMPLETED,
    "dnc.rescrub_failed": K.DNC_SOURCE_FAILED,
    "dnc.data_stale": K.DNC_DATA_STALE,
    "suppression.held": K.MESSAGE_HELD_FOR_REVIEW,
    "event_endpoint.disabled": K.EVENT_ENDPOINT_DISABLED,
}
REASON_CODE: Final = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def kind_of(occurrence: Occurrence) -> NotificationKind | None:
    """The kind of mail an occurrence calls for, or None when nobody needs to hear of it."""
    action, data = occurrence.kind, occurrence.data
    if action == "campaign.paused":
        # A person who paused it knows; Gatehouse pausing it itself is what people must hear of.
        return K.CAMPAIGN_PAUSED if (occurrence.actor or "").startswith("system:") else None
    if action == "integration.tested":
        return None if _check_passed(data) else K.CREDENTIAL_TEST_FAILED
    if action == "contacts.imported":
        errors = data.get("errors")
        return K.IMPORT_HAD_ERRORS if isinstance(errors, int) and errors > 0 else None
    return _BY_ACTION.get(action)


def _check_passed(data: dict[str, JsonValue]) -> bool:
    """``ok`` when the occurrence says it, else the check's status; anything unclear counts as failed."""
    ok = data.get("ok")
    if isinstance(ok, bool):
        return ok
    return data.get("status") == "verified"


@dataclass(frozen=True)
class PauseAdvice:
    why: str
    what_to_do: str


_PAUSES: Final = {
    "dnc_source_failed": PauseAdvice(
        "the Do-Not-Call source did not answer, so no number was dialled unscrubbed",
        "check the DNC integration (test it under Integrations), then resume the campaign",
    ),
    "provider_credentials": PauseAdvice(
        "the provider credentials could not be used, so nothing was sent",
        "check the provider integration and test it, then resume the campaign",
    ),
    "run_not_started": PauseAdvice(
        "the sending run could not start",
        "resume the campaign; if it pauses again, tell your Gatehouse operator",
    ),
}
_UNKNOWN_PAUSE: Final = PauseAdvice(
    "Gatehouse stopped it rather than send without being sure every rule was met",
    "open the campaign, read its history, and resume it once the cause is fixed",
)


def pause_advice(reason: str | None) -> PauseAdvice:
    """Why a campaign paused itself and what to do, by reason code (``provider_credentials_*`` share one)."""
    if reason is None:
        return _UNKNOWN_PAUSE
    if reason.startswith("provider_credentials_"):
        return _PAUSES["provider_credentials"]
    return _PAUSES.get(reason, _UNKNOWN_PAUSE)
