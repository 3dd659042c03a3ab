"""After a campaign's call ends unanswered: its contact's outcome is a deferred retry, or final.

The call's events carry back the ids the dispatch placed it with (``campaign_id``,
``contact_id`` in its metadata). When the call ended as voicemail, no answer or busy,
``settle_unanswered`` asks ``dispatch.gates.retry_unanswered`` and writes the contact's
outcome: ``deferred`` with ``retry_unanswered`` until the retry is due (the deferred-attempts
job picks it up from the time index, and the run passes every gate and claims the next
attempt), or ``sent`` with how the call ended (``no_answer``, ``voicemail``, ``busy``) once
no attempt is left. Only the outcome of this very call changes (its ``provider_ref``): a
late or repeated event, or one of an earlier attempt, changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from gatehouse.campaigns.records import Campaign
from gatehouse.clock import Clock, utc_now
from gatehouse.contacts.records import Contact
from gatehouse.dispatch import gates
from gatehouse.dispatch.claims import AttemptLedger
from gatehouse.dispatch.gates import ContactFacts, Reason, Step
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus
from gatehouse.errors import Conflict
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import TenantScope

# The voice agent's disconnection reasons (Retell's words) for a call nobody answered.
UNANSWERED_BY: Final = {
    "dial_no_answer": Reason.NO_ANSWER,
    "no_answer": Reason.NO_ANSWER,
    "dial_busy": Reason.BUSY,
    "busy": Reason.BUSY,
    "voicemail_reached": Reason.VOICEMAIL,
    "machine_detected": Reason.VOICEMAIL,
}
_ROUNDS: Final = 3


def unanswered(disconnection_reason: str | None) -> Reason | None:
    return UNANSWERED_BY.get((disconnection_reason or "").strip().lower())


def after_call_ended(
    scope: TenantScope,
    *,
    call_id: str,
    metadata: Mapping[str, object] | None,
    disconnection_reason: str | None,
    ended: datetime | None,
    clock: Clock = utc_now,
) -> ContactOutcome | None:
    """The call ended: when nobody answered it, its campaign's retry policy decides what follows."""
    why = unanswered(disconnection_reason)
    if why is None:
        return None
    now = clock()
    return settle_unanswered(scope, call_id=call_id, metadata=metadata, why=why, ended=ended or now, now=now)


def settle_unanswered(
    scope: TenantScope,
    *,
    call_id: str,
    metadata: Mapping[str, object] | None,
    why: Reason,
    ended: datetime,
    now: datetime,
) -> ContactOutcome | None:
    """Defer the contact's retry or settle its outcome; None when this call's outcome is not to change."""
    ids = metadata or {}
    campaign_id, contact_id = ids.get("campaign_id"), ids.get("contact_id")
    if not isinstance(campaign_id, str) or not isinstance(contact_id, str):
        return None  # a call the dispatch did not place (no campaign of ours to retry)
    campaign = scope.get(Campaign, campaign_id)
    contact = scope.get(Contact, contact_id)
    if campaign is None or contact is None:
        return None
    for _ in range(_ROUNDS):
        outcome = scope.get(ContactOutcome, f"{campaign_id}#{contact_id}")
        if outcome is None or outcome.provider_ref != call_id or outcome.status is not OutcomeStatus.SENT:
            # Not recorded yet, a later attempt's, or settled already: a repeated event changes nothing.
            logger.info("unanswered call left as it stands", extra={"campaign_id": campaign_id})
            return None
        if outcome.reason is not None:
            return None
        ledger = scope.get(AttemptLedger, contact_id)
        facts = ContactFacts(suppressed=False, attempts_last_day=ledger.recent(now) if ledger else [])
        step = gates.retry_unanswered(
            contact, campaign.spec, facts, attempts=outcome.attempts, ended=ended, why=why
        )
        deferred = step.step is Step.DEFER
        changed = outcome.model_copy(
            update={
                "status": OutcomeStatus.DEFERRED if deferred else OutcomeStatus.SENT,
                "reason": (step.reason or why).value,
                "until": step.until if deferred else None,
                "updated_at": now,
            }
        )
        try:
            saved = scope.save(changed)
        except Conflict:
            continue
        metrics.add_metric(
            name="VoiceRetryDeferred" if deferred else "VoiceUnanswered", unit="Count", value=1
        )
        return saved
    raise Conflict("the contact's outcome changed concurrently; retry")
