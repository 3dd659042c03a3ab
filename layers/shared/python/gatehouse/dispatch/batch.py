"""One batch of a campaign run: gather the facts, ask the gates, claim, send, record.

``run_batch`` is what a dispatch task does with up to 500 contact ids. It reads the
campaign, the tenant, the contacts, their suppression, their attempts and the campaign's
earlier outcomes in batch; re-scrubs in one call the numbers whose DNC answer is missing
or stale; asks ``dispatch.gates`` for every decision; claims the attempts that may go
(gate 7, ``dispatch.claims``); opens the credentials and sends (``dispatch.send``), once
per claim held; and records each contact's outcome (``dispatch.report``). Nothing here
decides: every outcome and its ``Reason`` come from the gates.

Fail closed: a DNC source failure or credentials that no longer open pause the campaign
(a severe event: audit entry and metric) and the batch sends nothing; a campaign paused or
cancelled while the batch ran is read again just before the claims, and nothing is claimed.
A send is never retried here: the claim stays, so a lost provider reply can never become
two messages. A call that ended unanswered before the batch recorded it gets its retry
from the batch (``voice.retries.ended_before_recorded``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from gatehouse.billing.account import BillingAccount
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignStatus, VoiceContent
from gatehouse.compliance import declared
from gatehouse.compliance.state_rules import RuleBook
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import Contact
from gatehouse.dispatch import gates
from gatehouse.dispatch.claims import AttemptLedger, claim
from gatehouse.dispatch.gates import (
    CampaignFacts,
    ContactFacts,
    History,
    Next,
    Outcome,
    Reason,
    Step,
    TenantFacts,
    Verdict,
)
from gatehouse.dispatch.outcomes import ContactOutcome, Read, find_read, spanned
from gatehouse.dispatch.report import count_blocked_by_reason, record
from gatehouse.dispatch.send import Credentials, open_credentials, send
from gatehouse.dnc.acknowledgment import CURRENT, DncAcknowledgment, on_owners_word
from gatehouse.dnc.stamps import ScrubStamp
from gatehouse.errors import Conflict, GatehouseError
from gatehouse.identity.caller import system
from gatehouse.identity.tenants import TenantEntry, TenantStatus
from gatehouse.observability import logger, metrics
from gatehouse.suppression import held_only, suppressed_span
from gatehouse.suppression.markers import STATE_KEY, SuppressionMarkers
from gatehouse.tenancy import TenantScope, get_directory
from gatehouse.vault import Provider
from gatehouse.vault.credentials import Integration
from gatehouse.webhooks.refs import WebhookRef

BATCH_MAX: Final = 500
CLAIM_ROUNDS: Final = 3  # decide again when another campaign attempted a contact meanwhile
# The campaign's status as the batch's first (strongly consistent) read gave it stands this long;
# a batch that took longer, or waited on a DNC re-scrub, reads it again before its claims.
STATUS_FRESH_FOR: Final = 1.0  # seconds

Suppressed = Callable[[TenantScope, list[str]], set[str]]
Scrub = Callable[[TenantScope, list[str]], dict[str, ScrubStamp]]
Billing = Callable[[str], str | None]


@dataclass
class BatchResult:
    sent: dict[str, str] = field(default_factory=dict)  # contact id -> provider reference
    failed: dict[str, str] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)
    deferred: dict[str, datetime] = field(default_factory=dict)
    deferred_why: dict[str, str] = field(default_factory=dict)  # the rule that defers it
    skipped: list[str] = field(default_factory=list)  # claimed before: another execution sends
    settled: list[str] = field(default_factory=list)  # reached by an earlier run: never sent again
    paused: str | None = None

    def note(self, cid: str, step: Next) -> tuple[str, int] | None:
        """Keep a decision; the (contact, attempt) to claim when the gates let it go."""
        if step.step is Step.CLAIM:
            return cid, step.attempt
        if step.step is Step.SKIP:
            self.skipped.append(cid)
        elif step.step is Step.SETTLED:
            self.settled.append(cid)
        elif step.step is Step.DEFER and step.until is not None:
            self.deferred[cid] = step.until
            if step.reason is not None:
                self.deferred_why[cid] = step.reason.value
        else:
            self.blocked[cid] = (step.reason or Reason.SEND_FAILED).value
        return None


def run_batch(
    scope: TenantScope,
    campaign_id: str,
    run_id: str,
    contact_ids: list[str],
    *,
    now: datetime,
    suppressed: Suppressed,
    scrub: Scrub,
    billing: Billing | None = None,
    rules: RuleBook | None = None,
    contiguous: bool = False,
) -> BatchResult:
    """Every gate for up to ``BATCH_MAX`` contacts, then a claim and one send per claim held.

    ``contiguous`` says the ids are every contact between the smallest and the largest (a
    slice of a page of the whole audience): their records, ledgers and outcomes are then
    read as three key ranges, one Query each, instead of one BatchGetItem per hundred.
    """
    if len(contact_ids) > BATCH_MAX:
        raise ValueError(f"a batch holds at most {BATCH_MAX} contacts")
    ids = sorted(set(contact_ids))
    # Read once per batch: a date declared while a run is under way applies from its next batch.
    rules = declared.rules_at(now, rules)
    with scope.prefetch(_single_items(scope, campaign_id)):
        return _run(scope, campaign_id, run_id, ids, now, suppressed, scrub, billing, rules, contiguous)


def _single_items(scope: TenantScope, campaign_id: str) -> list[tuple[str, str]]:
    """The batch's one-of-a-kind reads, fetched together: campaign, tenant, billing, credentials, DNC."""
    return [
        scope.key(Campaign, campaign_id),
        get_directory().key(TenantEntry, scope.tenant_id, "PROFILE"),
        scope.key(BillingAccount, "ACCOUNT"),
        scope.key(Integration, Provider.TWILIO.value),
        scope.key(Integration, Provider.VOICE_AGENT.value),
        scope.key(WebhookRef, "CURRENT"),
        scope.key(SuppressionMarkers, STATE_KEY),
        scope.key(Integration, Provider.DNC.value),
        scope.key(DncAcknowledgment, CURRENT),
    ]


def _run(  # noqa: PLR0917
    scope: TenantScope,
    campaign_id: str,
    run_id: str,
    ids: list[str],
    now: datetime,
    suppressed: Suppressed,
    scrub: Scrub,
    billing: Billing | None,
    rules: RuleBook,
    contiguous: bool,
) -> BatchResult:
    result = BatchResult()
    campaign = scope.require(Campaign, campaign_id)
    read_at = time.monotonic()
    entry = get_directory().get(TenantEntry, scope.tenant_id, "PROFILE")
    standing = billing(scope.tenant_id) if billing is not None else _stripe_standing(scope.tenant_id)
    tenant = TenantFacts(
        active=entry is not None and entry.status is TenantStatus.ACTIVE, billing_status=standing
    )
    facts = CampaignFacts(status=campaign.status, approved_by=campaign.approved_by, spec=campaign.spec)
    contacts, ledgers, read = _read(scope, campaign_id, ids, contiguous)
    earlier = read.outcomes
    for missing in [cid for cid in ids if cid not in contacts]:
        result.blocked[missing] = Reason.CONTACT_DELETED.value
    numbers = [c.e164 for c in contacts.values()]
    if contiguous and numbers:  # the range's markers: only numbers on the list are read
        by_contact = {cid: c.e164 for cid, c in contacts.items()}
        on_list = suppressed_span(scope, by_contact, ids[0], ids[-1], now, otherwise=suppressed)
    else:
        on_list = suppressed(scope, numbers) if numbers else set()
    on_hold = held_only(on_list)  # from the same batch get: numbers only a hold for review keeps out
    owners_word = on_owners_word(scope)

    def verdict_of(contact: Contact) -> Verdict:
        ledger = ledgers.get(contact.contact_id)
        known = ContactFacts(
            suppressed=contact.e164 in on_list and contact.e164 not in on_hold,
            held=contact.e164 in on_hold,
            attempts_last_day=ledger.recent(now) if ledger else [],
            owners_word=owners_word,
            hung_up_at=ledger.hung_up_at if ledger else None,
        )
        return gates.evaluate(contact, facts, tenant, known, now, rules)

    verdicts = {cid: verdict_of(c) for cid, c in contacts.items()}
    stale = [contacts[cid] for cid, v in verdicts.items() if v.outcome is Outcome.RESCRUB]
    if stale:
        for contact in rescrubbed(scope, stale, scrub):
            contacts[contact.contact_id] = contact
            verdicts[contact.contact_id] = verdict_of(contact)

    if any(v.reason is Reason.DNC_SOURCE_FAILED for v in verdicts.values()):
        result.paused = _pause(scope, campaign, Reason.DNC_SOURCE_FAILED.value)

    def placed(decided: Mapping[str, Verdict]) -> list[tuple[str, int]]:
        steps = (_step(campaign, cid, v, earlier, ledgers, result.paused, now) for cid, v in decided.items())
        return [held for cid, step in zip(decided, steps, strict=True) if (held := result.note(cid, step))]

    passing, slots = _throttled(scope, campaign, placed(verdicts), now, result)
    passing, credentials = _credentials_before_claims(scope, campaign, passing, result)
    waited = bool(stale) or time.monotonic() - read_at > STATUS_FRESH_FOR
    passing = _unless_stopped(scope, campaign, tenant, passing, verdicts, placed, result, waited=waited)

    def decide_again(contested: Mapping[str, AttemptLedger]) -> list[tuple[str, int]]:
        # Another campaign attempted these contacts since the gates read their ledgers: ask again.
        ledgers.update(contested)
        return placed({cid: verdict_of(contacts[cid]) for cid in contested})

    held = _claim_rounds(scope, campaign_id, run_id, passing, ledgers, decide_again, result, now)
    if held:
        sends = send(scope, campaign, [contacts[cid] for cid in held], credentials, slots=slots)
        result.sent.update(sends.sent)
        result.failed.update(sends.failed)
    record(scope, campaign_id, contacts, earlier, set(held), result, now, read=read)
    _calls_already_ended(scope, campaign, result.sent, now)
    metrics.add_metric(name="DispatchSent", unit="Count", value=len(result.sent))
    metrics.add_metric(name="DispatchBlocked", unit="Count", value=len(result.blocked))
    count_blocked_by_reason(result.blocked)
    return result


def _step(  # noqa: PLR0917
    campaign: Campaign,
    cid: str,
    verdict: Verdict,
    earlier: Mapping[str, ContactOutcome],
    ledgers: Mapping[str, AttemptLedger],
    paused: str | None,
    now: datetime,
) -> Next:
    """The facts ``gates.next_step`` needs about this campaign's history with the contact."""
    before = earlier.get(f"{campaign.campaign_id}#{cid}")
    attempts = before.attempts if before else 0
    ledger = ledgers.get(cid)
    history = History(
        attempts=attempts,
        status=before.status if before else None,
        reason=Reason(before.reason) if before and before.reason in set(Reason) else None,
        until=before.until if before else None,
        next_claimed=ledger is not None and ledger.holder(campaign.campaign_id, attempts + 1) is not None,
    )
    return gates.next_step(
        verdict,
        history,
        paused=paused is not None,
        max_attempts=campaign.spec.max_attempts_per_contact,
        now=now,
    )


def _unless_stopped(  # noqa: PLR0917
    scope: TenantScope,
    campaign: Campaign,
    tenant: TenantFacts,
    passing: list[tuple[str, int]],
    verdicts: Mapping[str, Verdict],
    placed: Callable[[Mapping[str, Verdict]], list[tuple[str, int]]],
    result: BatchResult,
    *,
    waited: bool,
) -> list[tuple[str, int]]:
    """What may still be claimed once the campaign's status is read again: one strongly consistent GetItem.

    The batch read the campaign at its start (strongly consistent); when it then waited on a
    DNC re-scrub, which can take seconds, or took longer than ``STATUS_FRESH_FOR`` gathering
    its facts, a pause or a cancel meanwhile stops it here, before anything is claimed, so no
    attempt is used and a resumed run decides these contacts again. Paused, they are blocked
    ``campaign_paused``; otherwise gate 1 says why (``campaign_not_running``). A batch that
    decided within the second acts on the status it read at its start, without a round trip.
    """
    if not passing or not waited:
        return passing
    status = scope.require(Campaign, campaign.campaign_id).status
    if status is CampaignStatus.RUNNING:
        return passing
    if status is CampaignStatus.PAUSED:
        result.paused = result.paused or Reason.CAMPAIGN_PAUSED.value
        return placed({cid: verdicts[cid] for cid, _ in passing})
    now_facts = CampaignFacts(status=status, approved_by=campaign.approved_by, spec=campaign.spec)
    stopped = gates.gate_state(tenant, now_facts)
    return placed(dict.fromkeys((cid for cid, _ in passing), stopped))


def _calls_already_ended(
    scope: TenantScope, campaign: Campaign, sent: Mapping[str, str], now: datetime
) -> None:
    """An unanswered call whose end the webhook heard before this batch recorded it: its retry now."""
    if not sent or not isinstance(campaign.spec.content, VoiceContent):
        return
    from gatehouse.voice import retries  # noqa: PLC0415 - voice reads the dispatch's outcomes

    retries.ended_before_recorded(scope, campaign.campaign_id, sent, now=now)


def _claim_rounds(  # noqa: PLR0917
    scope: TenantScope,
    campaign_id: str,
    run_id: str,
    passing: list[tuple[str, int]],
    ledgers: Mapping[str, AttemptLedger],
    decide_again: Callable[[Mapping[str, AttemptLedger]], list[tuple[str, int]]],
    result: BatchResult,
    now: datetime,
) -> list[str]:
    """Claim what passed; a contested contact goes back through the gates, up to ``CLAIM_ROUNDS``."""
    held: list[str] = []
    for _ in range(CLAIM_ROUNDS):
        if not passing:
            break
        claimed = claim(scope, campaign_id, run_id, passing, now, ledgers=ledgers)
        held.extend(claimed.held)
        result.skipped.extend(claimed.taken)
        passing = decide_again(claimed.contested) if claimed.contested else []
    for cid, _ in passing:  # still contested after every round: never dropped
        result.note(cid, gates.still_contested(now))
    return held


def _read(
    scope: TenantScope, campaign_id: str, ids: list[str], contiguous: bool
) -> tuple[dict[str, Contact], dict[str, AttemptLedger], Read]:
    """The batch's contacts, their ledgers and this campaign's outcomes of them (``outcomes.Read``).

    An outcome that cannot be read fails the batch (``UnreadableRecord``) rather than reading as
    none: its contacts may have been reached, so none of the batch is sent to. The settle then
    accounts for them without sending, and the operators are told the record's key.
    """
    if not ids:
        return {}, {}, Read()
    if contiguous:
        wanted = set(ids)
        first, last = ids[0], ids[-1]
        contacts = {c.contact_id: c for c in scope.span(Contact, first, last) if c.contact_id in wanted}
        ledgers = {x.contact_id: x for x in scope.span(AttemptLedger, first, last) if x.contact_id in wanted}
        read = spanned(scope, campaign_id, first, last, strict=True)
        read.outcomes = {k: o for k, o in read.outcomes.items() if o.contact_id in wanted}
        read.shadowed = [o for o in read.shadowed if o.contact_id in wanted]
        return contacts, ledgers, read
    contacts = scope.batch_get(Contact, ids)
    ledgers = scope.batch_get(AttemptLedger, list(contacts))
    return contacts, ledgers, find_read(scope, [f"{campaign_id}#{c}" for c in contacts], strict=True)


def _throttled(
    scope: TenantScope, campaign: Campaign, passing: list[tuple[str, int]], now: datetime, result: BatchResult
) -> tuple[list[tuple[str, int]], dict[str, int]]:
    """Gate 6's sender throughput: every batch of the campaign takes its sends from one counter per minute.

    What may go, and each one's slot in the minute (``send.spread`` picks its number by it).
    """
    if not passing:
        return passing, {}
    window_start = now.replace(second=0, microsecond=0)
    slots = get_directory().take(
        f"{scope.tenant_id}:{campaign.campaign_id}",
        f"sends:{window_start.strftime('%Y-%m-%dT%H:%M')}",
        wanted=len(passing),
        limit=gates.throughput_limit(campaign.spec),
        expires_at=int((window_start + gates.THROUGHPUT_WINDOW * 61).timestamp()),
    )
    granted = len(slots)
    for cid, _ in passing[granted:]:
        result.note(cid, gates.over_throughput(granted, now))
    if granted < len(passing):
        metrics.add_metric(name="DispatchThrottled", unit="Count", value=len(passing) - granted)
    return passing[:granted], {cid: slot for (cid, _), slot in zip(passing, slots, strict=False)}


def _credentials_before_claims(
    scope: TenantScope, campaign: Campaign, passing: list[tuple[str, int]], result: BatchResult
) -> tuple[list[tuple[str, int]], Credentials | None]:
    """What may still be claimed, and the provider's credentials, opened before anything is claimed.

    When they do not open, the campaign pauses and the contacts that passed are blocked
    with ``provider_credentials_unavailable``: no attempt is used, and a resumed run
    decides again. A channel without a provider has no credentials (each send fails).
    """
    if not passing:
        return passing, None
    try:
        return passing, open_credentials(scope, campaign)
    except GatehouseError as exc:
        result.paused = _pause(scope, campaign, f"provider_credentials_{exc.code}")
        for cid, _ in passing:
            result.note(cid, Next(Step.BLOCK, Reason.PROVIDER_CREDENTIALS_UNAVAILABLE))
        return [], None


def _stripe_standing(tenant_id: str) -> str:
    from gatehouse.billing.account import billing_status  # noqa: PLC0415 - only the dispatch task needs it

    return billing_status(tenant_id).value


def rescrubbed(scope: TenantScope, stale: list[Contact], scrub: Scrub) -> list[Contact]:
    """The contacts with fresh DNC stamps from one scrub call, stored unless they changed meanwhile."""
    stamps = scrub(scope, [c.e164 for c in stale])
    updated = [refresh(c.model_copy(update={"dnc": stamps[c.e164]})) for c in stale if c.e164 in stamps]
    try:
        with scope.transaction() as txn:
            stored = [txn.save(c) for c in updated]
    except Conflict:
        logger.info("re-scrubbed stamps not stored: the contacts changed meanwhile")
        return updated  # decide with the fresh answer; the next batch scrubs again
    return stored


def _pause(scope: TenantScope, campaign: Campaign, reason: str) -> str:
    """Pause the running campaign (a severe event: audited, counted); the batch sends nothing."""
    metrics.add_metric(name="DispatchCampaignPaused", unit="Count", value=1)
    logger.warning("campaign paused", extra={"campaign_id": campaign.campaign_id, "reason": reason})
    if campaign.status is CampaignStatus.RUNNING:
        caller = system(scope.tenant_id, "dispatch")
        try:
            lifecycle.transition(scope, caller, campaign.campaign_id, "pause", reason=reason)
        except Conflict:
            logger.info("campaign already moved on", extra={"campaign_id": campaign.campaign_id})
    return reason
