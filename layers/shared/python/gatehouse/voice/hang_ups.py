"""After a call by a recorded voice that the person hung up on: the contact's ledger keeps when.

NRS 597.814 (the rule book's ``no_recall_after_hang_up``, low confidence, applied strictly)
bars calling again, by an artificial or prerecorded voice, a person who hung up on such a
call. The gate (``dispatch.gates.recall_barred``) decides on the person's states; this module
records the fact, for every person, on the attempt ledger every batch already reads
(``AttemptLedger.hung_up_at``, the latest such hang-up).

A hang-up is an answered outbound call that its vendor says the person ended (Retell's
``user_hangup``, Vapi's ``customer-ended-call``) or that no one says the agent ended: Twilio
reports no ender, and an error or an unknown reason may hide a hang-up (fail closed). The
voice is a recorded one unless the call's campaign is known to use a live voice. The write
is conditional on the version read and retried on conflict; a repeated event changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from gatehouse.campaigns.records import Campaign
from gatehouse.dispatch.claims import AttemptLedger
from gatehouse.errors import Conflict
from gatehouse.observability import metrics
from gatehouse.tenancy import TenantScope
from gatehouse.voice import retries
from gatehouse.voice.disclosures import SPOKEN_BY_MACHINE
from gatehouse.voice.facts import facts_of
from gatehouse.webhooks.call_payload import CallOutcome, CallPayload

# Reasons that say the agent's side ended an answered call, not the person (Retell, Vapi).
ENDED_BY_AGENT: Final = frozenset(
    {
        "agent_hangup",
        "call_transfer",
        "inactivity",
        "max_duration_reached",
        "assistant-ended-call",
        "assistant-ended-call-after-message-spoken",
        "assistant-ended-call-with-hangup-task",
        "assistant-said-end-call-phrase",
        "assistant-forwarded-call",
        "exceeded-max-duration",
        "silence-timed-out",
    }
)
_ROUNDS: Final = 3


def hung_up(call: CallPayload) -> bool:
    """The person hung up on this answered outbound call, or may have: no one says the agent ended it."""
    if call.direction == "inbound" or call.outcome is not CallOutcome.ANSWERED:
        return False
    return (call.disconnection_reason or "").strip().lower() not in ENDED_BY_AGENT


def spoken_by_machine(scope: TenantScope, call: CallPayload, contact_id: str) -> bool:
    """The call's voice was artificial or prerecorded, unless its campaign is known to call live."""
    campaign_id = facts_of(call).get("campaign_id")
    if not isinstance(campaign_id, str):
        found = retries.placed_by(scope, contact_id, call.call_id)  # a call Twilio placed names none
        campaign_id = found["campaign_id"] if found else None
    campaign = scope.get(Campaign, campaign_id) if isinstance(campaign_id, str) else None
    return campaign is None or campaign.spec.reach in SPOKEN_BY_MACHINE


def after_call_ended(
    scope: TenantScope, call: CallPayload, contact_id: str, *, ended: datetime
) -> AttemptLedger | None:
    """Keep the hang-up on the contact's ledger when the call was one; None when it was not."""
    if not hung_up(call) or not spoken_by_machine(scope, call, contact_id):
        return None
    return record(scope, contact_id, ended)


def record(scope: TenantScope, contact_id: str, at: datetime) -> AttemptLedger:
    """``hung_up_at`` set to ``at`` on the version read (kept when it is already as late)."""
    for _ in range(_ROUNDS):
        ledger = scope.get(AttemptLedger, contact_id) or AttemptLedger(contact_id=contact_id)
        if ledger.hung_up_at is not None and ledger.hung_up_at >= at:
            return ledger  # a repeated event, or a later hang-up recorded already
        try:
            saved = scope.save(ledger.model_copy(update={"hung_up_at": at}))
        except Conflict:
            continue  # a claim or another event wrote meanwhile: read it again
        metrics.add_metric(name="VoiceHangUpRecorded", unit="Count", value=1)
        return saved
    raise Conflict("the contact's attempt ledger changed concurrently; retry")
