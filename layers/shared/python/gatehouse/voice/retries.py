"""After a campaign's call ends unanswered: its contact's outcome is a deferred retry, or final.

The call's events carry back the ids the dispatch placed it with (``campaign_id``,
``contact_id`` in its metadata); a call Twilio placed carries none, so its campaign is the
one whose outcome for the contact holds this call (``placed_by``, from the contact's claims).
When the call ended as voicemail, no answer or busy, ``settle_unanswered`` asks
``dispatch.gates.retry_unanswered`` and writes the contact's outcome: ``deferred`` with
``retry_unanswered`` until the retry is due (the deferred-attempts job picks it up from the
time index, and the run passes every gate and claims the next attempt), or ``sent`` with
how the call ended (``no_answer``, ``voicemail``, ``busy``) once no attempt is left or the
campaign was cancelled. Only the outcome of this very call changes (its ``provider_ref``):
a late or repeated event, or one of an earlier attempt, changes nothing. A call that ends
before its batch records it is settled by the batch (``ended_before_recorded``), from what
the webhook kept on the call record.

Why reopen rather than keep a campaign running until its calls end: a run cannot know when
(or whether) the vendor's last call_ended comes, so an open campaign would need a timer to
close it. A run's end completes a campaign with nothing deferred (``dispatch.settle``); a
retry deferred afterwards reopens it (``lifecycle.reopen_for_retry``, audited, in the
deferral's own transaction) and the retry's run completes it again. Each side reads the
other's state after its own write (this module the campaign, ``finish_run`` the outcomes),
so a call that ends while its run finishes is reopened by one of them. A paused campaign
keeps the deferral for its resume; a cancelled one never calls again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignStatus
from gatehouse.clock import Clock, utc_now
from gatehouse.contacts.records import Contact
from gatehouse.dispatch import gates
from gatehouse.dispatch.claims import AttemptLedger
from gatehouse.dispatch.gates import ContactFacts, Reason, Step
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus, find, find_one
from gatehouse.errors import Conflict
from gatehouse.identity.caller import system
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import TenantScope

# The vendors' words for a call nobody answered: Retell's disconnection reasons, and the
# outcome a call Twilio placed ended with (its CallStatus and AnsweredBy, ``voice_wire``).
UNANSWERED_BY: Final = {
    "dial_no_answer": Reason.NO_ANSWER,
    "no_answer": Reason.NO_ANSWER,
    "dial_busy": Reason.BUSY,
    "busy": Reason.BUSY,
    "voicemail_reached": Reason.VOICEMAIL,
    "machine_detected": Reason.VOICEMAIL,
    "voicemail": Reason.VOICEMAIL,
    # Vapi's ended reasons (its end-of-call report's endedReason).
    "customer-did-not-answer": Reason.NO_ANSWER,
    "customer-busy": Reason.BUSY,
}
_ROUNDS: Final = 3


def unanswered(disconnection_reason: str | None, outcome: str | None = None) -> Reason | None:
    """Why nobody answered; the outcome speaks only for a call without a disconnection reason (Twilio's)."""
    if disconnection_reason:
        return UNANSWERED_BY.get(disconnection_reason.strip().lower())
    return UNANSWERED_BY.get((outcome or "").strip().lower())


def after_call_ended(
    scope: TenantScope,
    *,
    call_id: str,
    metadata: Mapping[str, object] | None,
    disconnection_reason: str | None,
    ended: datetime | None,
    outcome: str | None = None,
    contact_id: str | None = None,
    clock: Clock = utc_now,
) -> ContactOutcome | None:
    """The call ended: when nobody answered it, its campaign's retry policy decides what follows.

    ``contact_id`` is the person called, for a call whose metadata names no campaign.
    """
    why = unanswered(disconnection_reason, outcome)
    if why is None:
        return None
    ids: Mapping[str, object] = metadata or {}
    if not isinstance(ids.get("campaign_id"), str) and contact_id is not None:
        ids = placed_by(scope, contact_id, call_id) or ids
    now = clock()
    return settle_unanswered(scope, call_id=call_id, metadata=ids, why=why, ended=ended or now, now=now)


def placed_by(scope: TenantScope, contact_id: str, call_id: str) -> dict[str, str] | None:
    """The campaign whose outcome for the contact is this call: looked up among the contact's claims."""
    ledger = scope.get(AttemptLedger, contact_id)
    if ledger is None:
        return None
    campaigns = {key.rsplit("#", 1)[0] for key in ledger.claims}
    outcomes = find(scope, [f"{c}#{contact_id}" for c in sorted(campaigns)])
    for outcome in outcomes.values():
        if outcome.provider_ref == call_id:
            return {"campaign_id": outcome.campaign_id, "contact_id": contact_id}
    return None


def ended_before_recorded(
    scope: TenantScope, campaign_id: str, placed: Mapping[str, str], *, now: datetime
) -> list[ContactOutcome]:
    """Calls of a batch that ended unanswered before the batch recorded them: settled now.

    ``placed`` is contact id -> call id, as the batch has just recorded them (``sent``). The
    vendor's call_ended may come while the batch still runs: its webhook kept how the call
    ended on the call record, found no outcome holding the call, and left it. Read here
    after the outcomes are written (one BatchGetItem per hundred calls), so whatever the
    order, one side sees the other's write and the retry is never lost; when both do, the
    second finds the outcome settled and changes nothing.
    """
    from gatehouse.webhooks.voice_events import CallRecord  # noqa: PLC0415 - it imports this module

    keys = [f"{contact_id}#{call_id}" for contact_id, call_id in placed.items() if call_id]
    settled: list[ContactOutcome] = []
    for call in scope.batch_get(CallRecord, keys).values():
        why = unanswered(call.disconnection_reason, call.outcome)
        if why is None:
            continue
        ids = {"campaign_id": campaign_id, "contact_id": call.contact_id}
        ended = call.ended_at or now
        outcome = settle_unanswered(scope, call_id=call.call_id, metadata=ids, why=why, ended=ended, now=now)
        if outcome is not None:
            settled.append(outcome)
    return settled


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
    contact = scope.get(Contact, contact_id)
    if contact is None or scope.get(Campaign, campaign_id) is None:
        return None
    for _ in range(_ROUNDS):
        campaign = scope.require(Campaign, campaign_id)
        outcome = find_one(scope, f"{campaign_id}#{contact_id}")
        if outcome is None or outcome.provider_ref != call_id:
            # Not recorded yet (its batch settles it when it does), or a later attempt's: nothing to change.
            logger.info("unanswered call left as it stands", extra={"campaign_id": campaign_id})
            return None
        if outcome.status is not OutcomeStatus.SENT or outcome.reason is not None:
            # Settled already (a repeated event): at most the reopening a crash may have cut short.
            if outcome.status is OutcomeStatus.DEFERRED and outcome.reason == Reason.RETRY_UNANSWERED:
                _reopen(scope, campaign_id, outcome, now)
            return None
        try:
            return _settle(scope, campaign, contact, outcome, why=why, ended=ended, now=now)
        except Conflict:
            continue
    raise Conflict("the contact's outcome changed concurrently; retry")


def _settle(
    scope: TenantScope,
    campaign: Campaign,
    contact: Contact,
    outcome: ContactOutcome,
    *,
    why: Reason,
    ended: datetime,
    now: datetime,
) -> ContactOutcome:
    """Write this call's outcome on the versions read; a completed campaign reopens in the same write."""
    ledger = scope.get(AttemptLedger, contact.contact_id)
    facts = ContactFacts(
        suppressed=False,
        attempts_last_day=ledger.recent(now) if ledger else [],
        hung_up_at=ledger.hung_up_at if ledger else None,
    )
    step = gates.retry_unanswered(
        contact,
        campaign.spec,
        facts,
        attempts=outcome.attempts,
        ended=ended,
        why=why,
        campaign_status=campaign.status,
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
    if deferred and campaign.status is CampaignStatus.COMPLETED:
        lifecycle.reopen_for_retry(
            scope,
            system(scope.tenant_id, "voice-retries"),
            campaign,
            reason=Reason.RETRY_UNANSWERED.value,
            contact_id=contact.contact_id,
            retry_at=step.until,
            deferral=changed,
            clock=lambda: now,
        )
        saved = changed.model_copy(update={"version": changed.version + 1})
    else:
        saved = scope.save(changed)
        if deferred:  # completed by its run's end meanwhile: reopened now, or by finish_run's recount
            _reopen(scope, campaign.campaign_id, saved, now)
    metrics.add_metric(name="VoiceRetryDeferred" if deferred else "VoiceUnanswered", unit="Count", value=1)
    return saved


def _reopen(scope: TenantScope, campaign_id: str, deferral: ContactOutcome, now: datetime) -> None:
    """Reopen the campaign if completed while this retry is deferred (a concurrent reopening will do)."""
    for _ in range(_ROUNDS):
        campaign = scope.require(Campaign, campaign_id)
        if campaign.status is not CampaignStatus.COMPLETED:
            return
        try:
            lifecycle.reopen_for_retry(
                scope,
                system(scope.tenant_id, "voice-retries"),
                campaign,
                reason=Reason.RETRY_UNANSWERED.value,
                contact_id=deferral.contact_id,
                retry_at=deferral.until,
                clock=lambda: now,
            )
        except Conflict:
            continue
        return
    raise Conflict("the campaign changed concurrently; retry")
