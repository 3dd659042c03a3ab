"""One batch of a campaign run: look the facts up in batch, pass every gate, claim, send, record.

``run_batch`` is what a dispatch task does with up to 100 contact ids. It reads the
campaign, the tenant, the contacts, their suppression, their attempts and the campaign's
earlier outcomes in batch; re-scrubs in one call the numbers whose DNC answer is missing
or stale; runs the gates (``gates.evaluate``); claims the attempts that passed (gate 7);
and only then opens the tenant's credentials and calls the provider, once per claim it
holds. Every contact leaves with an outcome: sent, send_failed, blocked(reason) or
deferred(until).

Fail closed: a DNC source failure or credentials that no longer open pause the campaign
(a severe event: audit entry and metric) and the batch sends nothing. A send is never
retried here: the claim stays, so a lost provider reply can never become two messages.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignStatus, SmsContent
from gatehouse.compliance.state_rules import RULES, Channel, RuleBook
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import Contact
from gatehouse.dispatch.claims import claim
from gatehouse.dispatch.gates import (
    CampaignFacts,
    ContactFacts,
    Outcome,
    Reason,
    TenantFacts,
    Verdict,
    evaluate,
)
from gatehouse.dnc.stamps import ScrubStamp
from gatehouse.errors import Conflict, GatehouseError
from gatehouse.identity.caller import system
from gatehouse.identity.tenants import TenantEntry, TenantStatus
from gatehouse.observability import logger, metrics
from gatehouse.providers.base import adapters
from gatehouse.tenancy import TenantRecord, TenantScope, get_directory
from gatehouse.vault import Provider, resolve

BATCH_MAX: Final = 100
LEDGER_WINDOW: Final = timedelta(hours=24)

Suppressed = Callable[[TenantScope, list[str]], set[str]]
Scrub = Callable[[TenantScope, list[str]], dict[str, ScrubStamp]]
Billing = Callable[[str], str | None]


class OutcomeStatus(StrEnum):
    SENT = "sent"
    SEND_FAILED = "send_failed"
    BLOCKED = "blocked"
    DEFERRED = "deferred"


class ContactOutcome(TenantRecord):
    """Where one contact stands in one campaign: the campaign report reads these."""

    collection = "OUTCOME"

    campaign_id: str
    contact_id: str
    status: OutcomeStatus
    reason: str | None = None
    until: datetime | None = None
    attempts: int = 0
    provider_ref: str | None = None
    updated_at: datetime

    def sort_key(self) -> str:
        return f"{self.campaign_id}#{self.contact_id}"


class AttemptLedger(TenantRecord):
    """The times a contact was attempted in the last 24 hours, across every campaign (for the caps)."""

    collection = "LEDGER"

    contact_id: str
    times: list[datetime] = []

    def sort_key(self) -> str:
        return self.contact_id


@dataclass
class BatchResult:
    sent: dict[str, str] = field(default_factory=dict)  # contact id -> provider reference
    failed: dict[str, str] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)
    deferred: dict[str, datetime] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # claimed before: another execution sends
    paused: str | None = None


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
    rules: RuleBook = RULES,
) -> BatchResult:
    if len(contact_ids) > BATCH_MAX:
        raise ValueError(f"a batch holds at most {BATCH_MAX} contacts")
    result = BatchResult()
    campaign = scope.require(Campaign, campaign_id)
    entry = get_directory().get(TenantEntry, scope.tenant_id, "PROFILE")
    standing = billing(scope.tenant_id) if billing is not None else _stripe_standing(scope.tenant_id)
    tenant = TenantFacts(
        active=entry is not None and entry.status is TenantStatus.ACTIVE, billing_status=standing
    )
    facts = CampaignFacts(status=campaign.status, approved_by=campaign.approved_by, spec=campaign.spec)
    contacts = scope.batch_get(Contact, contact_ids)
    for missing in sorted(set(contact_ids) - set(contacts)):
        result.blocked[missing] = Reason.CONTACT_DELETED.value
    numbers = [c.e164 for c in contacts.values()]
    on_list = suppressed(scope, numbers) if numbers else set()
    ledgers = scope.batch_get(AttemptLedger, list(contacts))
    earlier = scope.batch_get(ContactOutcome, [f"{campaign_id}#{c}" for c in contacts])

    def verdict_of(contact: Contact) -> Verdict:
        ledger = ledgers.get(contact.contact_id)
        known = ContactFacts(
            suppressed=contact.e164 in on_list,
            attempts_last_day=[t for t in (ledger.times if ledger else []) if now - t < LEDGER_WINDOW],
        )
        return evaluate(contact, facts, tenant, known, now, rules)

    verdicts = {cid: verdict_of(c) for cid, c in contacts.items()}
    stale = [contacts[cid] for cid, v in verdicts.items() if v.outcome is Outcome.RESCRUB]
    if stale:
        for contact in _rescrubbed(scope, stale, scrub):
            contacts[contact.contact_id] = contact
            verdicts[contact.contact_id] = verdict_of(contact)

    if any(v.reason == Reason.DNC_SOURCE_FAILED for v in verdicts.values()):
        result.paused = _pause(scope, campaign, Reason.DNC_SOURCE_FAILED.value)
    passing = _classify(campaign, verdicts, earlier, result)
    held = claim(scope, campaign_id, run_id, passing, now)
    held_ids = {a.contact_id for a in held}
    result.skipped = [cid for cid, _ in passing if cid not in held_ids]
    if held:
        _send(scope, campaign, [contacts[a.contact_id] for a in held], result)
    _record(scope, campaign_id, contacts, earlier, ledgers, held_ids, result, now)
    metrics.add_metric(name="DispatchSent", unit="Count", value=len(result.sent))
    metrics.add_metric(name="DispatchBlocked", unit="Count", value=len(result.blocked))
    count_blocked_by_reason(result.blocked)
    return result


def _stripe_standing(tenant_id: str) -> str:
    from gatehouse.billing.account import billing_status  # noqa: PLC0415 - only the dispatch task needs it

    return billing_status(tenant_id).value


def _classify(
    campaign: Campaign, verdicts: dict[str, Verdict], earlier: dict[str, ContactOutcome], result: BatchResult
) -> list[tuple[str, int]]:
    """Deferred, blocked, or the (contact, attempt number) to claim."""
    passing: list[tuple[str, int]] = []
    for cid, verdict in verdicts.items():
        before = earlier.get(f"{campaign.campaign_id}#{cid}")
        attempts = before.attempts if before else 0
        if verdict.outcome is Outcome.DEFERRED and verdict.until is not None:
            result.deferred[cid] = verdict.until
        elif not verdict.passed:
            result.blocked[cid] = verdict.reason or "blocked"
        elif result.paused:
            result.blocked[cid] = "campaign_paused"
        elif attempts >= campaign.spec.max_attempts_per_contact:
            result.blocked[cid] = "attempts_exhausted"
        else:
            passing.append((cid, attempts + 1))
    return passing


def _rescrubbed(scope: TenantScope, stale: list[Contact], scrub: Scrub) -> list[Contact]:
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


def _send(scope: TenantScope, campaign: Campaign, contacts: list[Contact], result: BatchResult) -> None:
    if campaign.spec.channel is not Channel.SMS or not isinstance(campaign.spec.content, SmsContent):
        for contact in contacts:
            result.failed[contact.contact_id] = "channel_not_available"
        return
    try:
        credentials = resolve(scope, Provider.TWILIO)
    except GatehouseError as exc:
        result.paused = _pause(scope, campaign, f"provider_credentials_{exc.code}")
        for contact in contacts:
            result.failed[contact.contact_id] = "provider_credentials_unavailable"
        return
    provider = adapters()
    template = campaign.spec.content.template
    for contact in contacts:
        body = _render(template, contact)
        receipt = provider.send_sms(
            scope.tenant_id, credentials, to=contact.e164, body=body, status_callback=None
        )
        if receipt.accepted:
            result.sent[contact.contact_id] = receipt.provider_ref or ""
        else:
            result.failed[contact.contact_id] = receipt.error or "send_failed"


def _render(template: str, contact: Contact) -> str:
    values = {"first_name": contact.first_name or "", "last_name": contact.last_name or ""}
    return string.Formatter().vformat(template, (), values)


def _record(  # noqa: PLR0917
    scope: TenantScope,
    campaign_id: str,
    contacts: dict[str, Contact],
    earlier: dict[str, ContactOutcome],
    ledgers: dict[str, AttemptLedger],
    attempted: set[str],
    result: BatchResult,
    now: datetime,
) -> None:
    """One outcome per contact, and the attempt in each attempted contact's ledger (batched writes)."""
    records: list[TenantRecord] = []
    for cid in set(contacts) | set(result.blocked):
        before = earlier.get(f"{campaign_id}#{cid}")
        attempts = (before.attempts if before else 0) + (1 if cid in attempted else 0)
        if cid in result.sent or cid in result.failed:
            status = OutcomeStatus.SENT if cid in result.sent else OutcomeStatus.SEND_FAILED
            reason = result.failed.get(cid)
        elif cid in result.deferred:
            status, reason = OutcomeStatus.DEFERRED, None
        elif cid in result.blocked:
            status, reason = OutcomeStatus.BLOCKED, result.blocked[cid]
        else:
            continue  # claimed by another execution: its outcome is that one's to write
        records.append(
            ContactOutcome(
                campaign_id=campaign_id,
                contact_id=cid,
                status=status,
                reason=reason,
                until=result.deferred.get(cid),
                attempts=attempts,
                provider_ref=result.sent.get(cid) or None,
                updated_at=now,
            )
        )
    for cid in attempted:
        ledger = ledgers.get(cid) or AttemptLedger(contact_id=cid)
        recent = [t for t in ledger.times if now - t < LEDGER_WINDOW]
        records.append(ledger.model_copy(update={"times": [*recent, now]}))
    scope.batch_save(records)


@dataclass(frozen=True)
class ReportPage:
    counts: dict[str, int]
    outcomes: list[ContactOutcome]
    cursor: str | None


def report(
    scope: TenantScope, campaign_id: str, *, limit: int = 100, cursor: str | None = None
) -> ReportPage:
    """One page of a campaign's per-contact outcomes, with the counts of that page by status and reason."""
    page = scope.query(ContactOutcome, prefix=f"{campaign_id}#", limit=limit, cursor=cursor)
    counts: dict[str, int] = {}
    for outcome in page.items:
        key = outcome.status.value if outcome.reason is None else f"{outcome.status.value}:{outcome.reason}"
        counts[key] = counts.get(key, 0) + 1
    return ReportPage(counts=counts, outcomes=page.items, cursor=page.cursor)


def count_blocked_by_reason(blocked: Mapping[str, str]) -> None:
    """One ``DispatchBlockedByReason`` figure per reason code (dimension ``reason``).

    A metric of its own rather than a dimension on ``metrics``: a dimension there would
    split every other figure of the batch by reason too.
    """
    for reason, count in sorted(Counter(blocked.values()).items()):
        with single_metric(
            name="DispatchBlockedByReason", unit=MetricUnit.Count, value=count, namespace=metrics.namespace
        ) as figure:
            figure.add_dimension(name="reason", value=reason)
