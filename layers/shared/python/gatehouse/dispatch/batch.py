"""One batch of a campaign run: look the facts up in batch, pass every gate, claim, send, record.

``run_batch`` is what a dispatch task does with up to 500 contact ids. It reads the
campaign, the tenant, the contacts, their suppression, their attempts and the campaign's
earlier outcomes in batch; re-scrubs in one call the numbers whose DNC answer is missing
or stale; runs the gates (``gates.evaluate``); claims the attempts that passed (gate 7);
and only then opens the tenant's credentials and calls the provider, once per claim it
holds: a text, or a call placed by the voice agent or by Twilio as the campaign's voice
settings say, each naming the tenant's status callback URL. Every contact leaves with an
outcome: sent, send_failed, blocked(reason) or deferred(until); ``report`` adds what the
provider's status callbacks said of each send (``dispatch.delivery``).

Fail closed: a DNC source failure or credentials that no longer open pause the campaign
(a severe event: audit entry and metric) and the batch sends nothing. A send is never
retried here: the claim stays, so a lost provider reply can never become two messages.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from gatehouse.billing.account import BillingAccount
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import CallPlacement, Campaign, CampaignStatus, SmsContent, VoiceContent
from gatehouse.compliance.state_rules import RULES, Channel, RuleBook
from gatehouse.config import get_settings
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import Contact, dnc_status_of
from gatehouse.dispatch.claims import AttemptLedger, claim
from gatehouse.dispatch.delivery import Delivery, DeliveryStatus, deliveries
from gatehouse.dispatch.gates import (
    CampaignFacts,
    ContactFacts,
    Outcome,
    Reason,
    TenantFacts,
    Verdict,
    evaluate,
)
from gatehouse.dnc.stamps import ScrubStamp, ScrubStatus
from gatehouse.errors import Conflict, GatehouseError
from gatehouse.identity.caller import system
from gatehouse.identity.tenants import TenantEntry, TenantStatus
from gatehouse.observability import logger, metrics
from gatehouse.providers.base import CallRequest, SendReceipt, adapters
from gatehouse.tenancy import TenantRecord, TenantScope, get_directory
from gatehouse.tenancy.records import time_sort_key
from gatehouse.tenancy.scope import TRANSACTION_LIMIT, prefetch
from gatehouse.vault import Provider, resolve
from gatehouse.vault.credentials import Integration
from gatehouse.vault.schemas import TwilioCredentials, VoiceAgentCredentials
from gatehouse.webhooks.refs import StatusCallbackUrls, WebhookRef, status_callback_urls

BATCH_MAX: Final = 500
DEFERRED_INDEX: Final = "OUTCOME_DEFERRED"
SEND_WORKERS: Final = 8  # provider calls in flight per batch
CLAIM_ROUNDS: Final = 3  # decide again when another campaign attempted a contact meanwhile

Suppressed = Callable[[TenantScope, list[str]], set[str]]
Scrub = Callable[[TenantScope, list[str]], dict[str, ScrubStamp]]
Billing = Callable[[str], str | None]


class OutcomeStatus(StrEnum):
    SENT = "sent"
    SEND_FAILED = "send_failed"
    BLOCKED = "blocked"
    DEFERRED = "deferred"


class ContactOutcome(TenantRecord):
    """Where one contact stands in one campaign: the campaign report reads these.

    The delivery fields say what the provider reported of the last send (``provider_ref``).
    The batch never writes them: ``report`` fills them from the status callbacks' own
    records (``dispatch.delivery``), which may arrive before the batch records the send.
    """

    collection = "OUTCOME"

    campaign_id: str
    contact_id: str
    status: OutcomeStatus
    reason: str | None = None
    until: datetime | None = None
    attempts: int = 0
    provider_ref: str | None = None
    updated_at: datetime
    delivery_status: DeliveryStatus | None = None
    error_code: str | None = None
    duration_seconds: int | None = None
    failed_batches: int = 0  # batches that failed with this contact in them, since its last outcome
    dnc_status: str | None = None  # the contact's DNC stamp when decided; "unscrubbed" is reported so

    def time_key(self) -> tuple[str, str] | None:
        """While deferred: on the time index at the instant it may be tried again (the deferred job)."""
        if self.status is OutcomeStatus.DEFERRED and self.until is not None:
            return DEFERRED_INDEX, time_sort_key(self.until, f"{self.campaign_id}#{self.contact_id}")
        return None

    def sort_key(self) -> str:
        return f"{self.campaign_id}#{self.contact_id}"


@dataclass
class BatchResult:
    sent: dict[str, str] = field(default_factory=dict)  # contact id -> provider reference
    failed: dict[str, str] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)
    deferred: dict[str, datetime] = field(default_factory=dict)
    deferred_why: dict[str, str] = field(default_factory=dict)  # the rule that defers it
    skipped: list[str] = field(default_factory=list)  # claimed before: another execution sends
    settled: list[str] = field(default_factory=list)  # sent by an earlier run, no attempt left
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
    with prefetch(_single_items(scope, campaign_id)):
        return _run(scope, campaign_id, run_id, ids, now, suppressed, scrub, billing, rules, contiguous)


def _single_items(scope: TenantScope, campaign_id: str) -> list[tuple[str, str]]:
    """The batch's one-of-a-kind reads, fetched together: campaign, tenant, billing, credentials, ref."""
    return [
        scope.key(Campaign, campaign_id),
        get_directory().key(TenantEntry, scope.tenant_id, "PROFILE"),
        scope.key(BillingAccount, "ACCOUNT"),
        scope.key(Integration, Provider.TWILIO.value),
        scope.key(Integration, Provider.VOICE_AGENT.value),
        scope.key(WebhookRef, "CURRENT"),
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
    entry = get_directory().get(TenantEntry, scope.tenant_id, "PROFILE")
    standing = billing(scope.tenant_id) if billing is not None else _stripe_standing(scope.tenant_id)
    tenant = TenantFacts(
        active=entry is not None and entry.status is TenantStatus.ACTIVE, billing_status=standing
    )
    facts = CampaignFacts(status=campaign.status, approved_by=campaign.approved_by, spec=campaign.spec)
    contacts, ledgers, earlier = _read(scope, campaign_id, ids, contiguous)
    for missing in [cid for cid in ids if cid not in contacts]:
        result.blocked[missing] = Reason.CONTACT_DELETED.value
    numbers = [c.e164 for c in contacts.values()]
    on_list = suppressed(scope, numbers) if numbers else set()

    def verdict_of(contact: Contact) -> Verdict:
        ledger = ledgers.get(contact.contact_id)
        known = ContactFacts(
            suppressed=contact.e164 in on_list,
            attempts_last_day=ledger.recent(now) if ledger else [],
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
    admitted = _classify(campaign, verdicts, earlier, ledgers, result)
    passing = _throttled(scope, campaign, admitted, now, result)
    passing, credentials = _credentials_before_claims(scope, campaign, passing, result)

    def decide_again(contested: Mapping[str, AttemptLedger]) -> list[tuple[str, int]]:
        # Another campaign attempted these contacts since the gates read their ledgers: ask again.
        ledgers.update(contested)
        again = {cid: verdict_of(contacts[cid]) for cid in contested}
        return _classify(campaign, again, earlier, ledgers, result)

    held = _claim_rounds(scope, campaign_id, run_id, passing, ledgers, decide_again, result, now)
    if held:
        _send(scope, campaign, [contacts[cid] for cid in held], credentials, result)
    _record(scope, campaign_id, contacts, earlier, set(held), result, now)
    metrics.add_metric(name="DispatchSent", unit="Count", value=len(result.sent))
    metrics.add_metric(name="DispatchBlocked", unit="Count", value=len(result.blocked))
    count_blocked_by_reason(result.blocked)
    return result


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
    for cid, _ in passing:  # still contested after every round: try again in a minute, never dropped
        result.deferred[cid] = now + THROUGHPUT_WINDOW
        result.deferred_why[cid] = "attempt_ledger_busy"
    return held


def _read(
    scope: TenantScope, campaign_id: str, ids: list[str], contiguous: bool
) -> tuple[dict[str, Contact], dict[str, AttemptLedger], dict[str, ContactOutcome]]:
    """The batch's contacts, their ledgers and this campaign's earlier outcomes of them."""
    if not ids:
        return {}, {}, {}
    if contiguous:
        wanted = set(ids)
        first, last = ids[0], ids[-1]
        contacts = {c.contact_id: c for c in scope.span(Contact, first, last) if c.contact_id in wanted}
        ledgers = {x.contact_id: x for x in scope.span(AttemptLedger, first, last) if x.contact_id in wanted}
        outcomes = scope.span(ContactOutcome, f"{campaign_id}#{first}", f"{campaign_id}#{last}")
        return contacts, ledgers, {o.sort_key(): o for o in outcomes if o.contact_id in wanted}
    contacts = scope.batch_get(Contact, ids)
    ledgers = scope.batch_get(AttemptLedger, list(contacts))
    earlier = scope.batch_get(ContactOutcome, [f"{campaign_id}#{c}" for c in contacts])
    return contacts, ledgers, earlier


THROUGHPUT_WINDOW: Final = timedelta(minutes=1)


def _throttled(
    scope: TenantScope, campaign: Campaign, passing: list[tuple[str, int]], now: datetime, result: BatchResult
) -> list[tuple[str, int]]:
    """Gate 6's sender throughput: this minute's sends stay within the limit per sender times the senders.

    Every batch of the campaign (they run in parallel) takes its sends from one counter per
    minute; contacts beyond what is left are deferred to the next minute, never dropped.
    """
    if not passing:
        return passing
    spec = campaign.spec
    senders = max(1, len(spec.senders.numbers))
    window_start = now.replace(second=0, microsecond=0)
    opens = window_start + THROUGHPUT_WINDOW
    granted = get_directory().take(
        f"{scope.tenant_id}:{campaign.campaign_id}",
        f"sends:{window_start.strftime('%Y-%m-%dT%H:%M')}",
        wanted=len(passing),
        limit=spec.throughput_per_sender_per_minute * senders,
        expires_at=int((opens + timedelta(hours=1)).timestamp()),
    )
    for cid, _ in passing[granted:]:
        result.deferred[cid] = opens
        result.deferred_why[cid] = "sender_throughput"
    if granted < len(passing):
        metrics.add_metric(name="DispatchThrottled", unit="Count", value=len(passing) - granted)
    return passing[:granted]


def _stripe_standing(tenant_id: str) -> str:
    from gatehouse.billing.account import billing_status  # noqa: PLC0415 - only the dispatch task needs it

    return billing_status(tenant_id).value


def _classify(
    campaign: Campaign,
    verdicts: dict[str, Verdict],
    earlier: dict[str, ContactOutcome],
    ledgers: Mapping[str, AttemptLedger],
    result: BatchResult,
) -> list[tuple[str, int]]:
    """Deferred, blocked, or the (contact, attempt number) to claim."""
    passing: list[tuple[str, int]] = []
    for cid, verdict in verdicts.items():
        before = earlier.get(f"{campaign.campaign_id}#{cid}")
        attempts = before.attempts if before else 0
        ledger = ledgers.get(cid)
        if (
            before is not None
            and before.status is OutcomeStatus.SENT
            and attempts >= campaign.spec.max_attempts_per_contact
        ):
            result.settled.append(cid)  # sent before, nothing left to attempt: its outcome stands
        elif ledger is not None and ledger.holder(campaign.campaign_id, attempts + 1) is not None:
            result.skipped.append(cid)  # this attempt is claimed already: its holder records it
        elif verdict.outcome is Outcome.DEFERRED and verdict.until is not None:
            result.deferred[cid] = verdict.until
            if verdict.reason:
                result.deferred_why[cid] = verdict.reason
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


Credentials = TwilioCredentials | VoiceAgentCredentials


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
        return passing, _open_credentials(scope, campaign)
    except GatehouseError as exc:
        result.paused = _pause(scope, campaign, f"provider_credentials_{exc.code}")
        for cid, _ in passing:
            result.blocked[cid] = "provider_credentials_unavailable"
        return [], None


def _open_credentials(scope: TenantScope, campaign: Campaign) -> Credentials | None:
    """The credentials of the provider the campaign sends through (None: its channel has none)."""
    content = campaign.spec.content
    if campaign.spec.channel is Channel.SMS and isinstance(content, SmsContent):
        return resolve(scope, Provider.TWILIO)
    if campaign.spec.channel is Channel.VOICE and isinstance(content, VoiceContent):
        if content.placed_by is CallPlacement.TWILIO:
            return resolve(scope, Provider.TWILIO)
        return resolve(scope, Provider.VOICE_AGENT)
    return None


def _send(
    scope: TenantScope,
    campaign: Campaign,
    contacts: list[Contact],
    credentials: Credentials | None,
    result: BatchResult,
) -> None:
    """One provider call per held claim: a text, or a call placed as the campaign's voice settings say."""
    callbacks = _status_callbacks(scope)
    content = campaign.spec.content
    if isinstance(content, SmsContent) and isinstance(credentials, TwilioCredentials):
        _send_texts(scope, content, contacts, credentials, callbacks, result)
    elif isinstance(content, VoiceContent) and credentials is not None:
        _place_calls(scope, campaign, content, contacts, credentials, callbacks, result)
    else:
        for contact in contacts:
            result.failed[contact.contact_id] = "channel_not_available"


def _status_callbacks(scope: TenantScope) -> StatusCallbackUrls | None:
    """The tenant's status callback URLs under the deployment's public URL (None: none is configured)."""
    base = get_settings().public_base_url
    if not base:
        # Sends still go (delivery tracking is not a gate), but operators must see it.
        logger.warning("no public base URL is configured: delivery status is not tracked")
        metrics.add_metric(name="DispatchUntracked", unit="Count", value=1)
        return None
    return status_callback_urls(scope, base)


def _send_texts(  # noqa: PLR0917
    scope: TenantScope,
    content: SmsContent,
    contacts: list[Contact],
    credentials: TwilioCredentials,
    callbacks: StatusCallbackUrls | None,
    result: BatchResult,
) -> None:
    provider = adapters()

    def text(contact: Contact) -> SendReceipt:
        return provider.send_sms(
            scope.tenant_id,
            credentials,
            to=contact.e164,
            body=_render(content.template, contact),
            status_callback=callbacks.message if callbacks else None,
        )

    _each(contacts, text, result)


def _place_calls(  # noqa: PLR0917
    scope: TenantScope,
    campaign: Campaign,
    content: VoiceContent,
    contacts: list[Contact],
    credentials: Credentials,
    callbacks: StatusCallbackUrls | None,
    result: BatchResult,
) -> None:
    caller_ids = campaign.spec.senders.numbers
    if not caller_ids:
        for contact in contacts:
            result.failed[contact.contact_id] = "no_caller_id"
        return
    by_twilio = content.placed_by is CallPlacement.TWILIO
    status_callback = None
    if callbacks is not None:
        status_callback = callbacks.call if by_twilio else callbacks.voice_agent
    provider = adapters()
    spread = {c.contact_id: caller_ids[n % len(caller_ids)] for n, c in enumerate(contacts)}

    def dial(contact: Contact) -> SendReceipt:
        call = CallRequest(
            to=contact.e164,
            caller_id=spread[contact.contact_id],  # spread over the campaign's caller ids
            agent_id=content.agent_id,
            max_duration_seconds=content.max_duration_seconds,
            dial=content.agent_sip_uri or content.agent_number,
            metadata={"campaign_id": campaign.campaign_id, "contact_id": contact.contact_id},
            status_callback=status_callback,
        )
        return provider.place_call(scope.tenant_id, credentials, call)

    _each(contacts, dial, result)


def _each(contacts: list[Contact], call: Callable[[Contact], SendReceipt], result: BatchResult) -> None:
    """One provider call per contact, ``SEND_WORKERS`` at a time; every receipt noted, in order.

    An adapter never raises for a provider's refusal or timeout (it returns a receipt), so
    one contact's trouble never stops the others' sends.
    """
    with ThreadPoolExecutor(max_workers=SEND_WORKERS) as pool:
        receipts = list(pool.map(call, contacts))
    for contact, receipt in zip(contacts, receipts, strict=True):
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
    attempted: set[str],
    result: BatchResult,
    now: datetime,
) -> None:
    """One outcome per contact (the attempts are already on the ledgers: the claims put them there).

    Written in transactions of up to 100 items, each conditional on the version read: one
    round trip per 100 writes. When another writer got there first, that chunk is written
    again without the condition: an outcome of this campaign's contact is this batch's to write.
    """
    records: list[TenantRecord] = []
    for cid in set(contacts) | set(result.blocked):
        before = earlier.get(f"{campaign_id}#{cid}")
        attempts = (before.attempts if before else 0) + (1 if cid in attempted else 0)
        if cid in result.sent or cid in result.failed:
            status = OutcomeStatus.SENT if cid in result.sent else OutcomeStatus.SEND_FAILED
            reason = result.failed.get(cid)
        elif cid in result.deferred:
            status, reason = OutcomeStatus.DEFERRED, result.deferred_why.get(cid)
        elif cid in result.blocked:
            status, reason = OutcomeStatus.BLOCKED, result.blocked[cid]
        else:
            continue  # claimed by another execution, or settled before: that outcome stands
        until = result.deferred.get(cid)
        dnc = dnc_status_of(contacts[cid]) if cid in contacts else None
        if before is not None and (
            before.status,
            before.reason,
            before.until,
            before.attempts,
            before.dnc_status,
        ) == (status, reason, until, attempts, dnc):
            continue  # decided as before: nothing to write
        records.append(
            ContactOutcome(
                campaign_id=campaign_id,
                contact_id=cid,
                status=status,
                reason=reason,
                until=until,
                attempts=attempts,
                provider_ref=result.sent.get(cid) or None,
                updated_at=now,
                dnc_status=dnc,
                version=before.version if before is not None else 0,
            )
        )
    for start in range(0, len(records), TRANSACTION_LIMIT):
        chunk = records[start : start + TRANSACTION_LIMIT]
        try:
            with scope.transaction() as txn:
                for record in chunk:
                    txn.save(record)
        except Conflict:
            scope.batch_save(chunk)


@dataclass(frozen=True)
class ReportPage:
    counts: dict[str, int]
    outcomes: list[ContactOutcome]
    cursor: str | None


def report(
    scope: TenantScope, campaign_id: str, *, limit: int = 100, cursor: str | None = None
) -> ReportPage:
    """One page of a campaign's per-contact outcomes with their delivery status, and the page's counts.

    Counts are by status (``status:reason`` where there is a reason) and, for sends the
    provider reported on, by delivery status too (``delivery:<status>``, with
    ``:<error code>`` when it failed with one). One read for the page's delivery statuses.
    """
    page = scope.query(ContactOutcome, prefix=f"{campaign_id}#", limit=limit, cursor=cursor)
    reported = deliveries(scope, (o.provider_ref for o in page.items if o.provider_ref))
    outcomes: list[ContactOutcome] = []
    counts: dict[str, int] = {}
    for stored in page.items:
        outcome = _with_delivery(stored, reported.get(stored.provider_ref or ""))
        outcomes.append(outcome)
        reason = f":{outcome.reason}" if outcome.reason is not None else ""
        keys = [f"{outcome.status.value}{reason}"]
        if outcome.dnc_status == UNSCRUBBED:
            keys.append(f"dnc:{UNSCRUBBED}")
        if outcome.delivery_status is not None:
            error = f":{outcome.error_code}" if outcome.error_code else ""
            keys.append(f"delivery:{outcome.delivery_status.value}{error}")
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return ReportPage(counts=counts, outcomes=outcomes, cursor=page.cursor)


def _with_delivery(outcome: ContactOutcome, delivery: Delivery | None) -> ContactOutcome:
    if delivery is None or outcome.status is not OutcomeStatus.SENT:
        return outcome
    return outcome.model_copy(
        update={
            "delivery_status": delivery.status,
            "error_code": delivery.error_code,
            "duration_seconds": delivery.duration_seconds,
        }
    )


TALLY_PAGE: Final = 1000
UNSCRUBBED: Final = ScrubStatus.UNSCRUBBED.value  # counted apart: never scrubbed, on the owner's word


def tally(scope: TenantScope, campaign_id: str) -> dict[str, int]:
    """The campaign's outcomes counted by status and by ``status:reason`` (every page, for a run's end)."""
    counts: dict[str, int] = {}
    cursor: str | None = None
    while True:
        page = scope.query(ContactOutcome, prefix=f"{campaign_id}#", limit=TALLY_PAGE, cursor=cursor)
        for outcome in page.items:
            counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
            if outcome.reason is not None:
                key = f"{outcome.status.value}:{outcome.reason}"
                counts[key] = counts.get(key, 0) + 1
            if outcome.dnc_status == UNSCRUBBED:
                counts[f"dnc:{UNSCRUBBED}"] = counts.get(f"dnc:{UNSCRUBBED}", 0) + 1
        cursor = page.cursor
        if cursor is None:
            return counts


def count_blocked_by_reason(blocked: Mapping[str, str]) -> None:
    """One ``DispatchBlockedByReason`` figure per reason code (dimension ``reason``).

    A metric of its own rather than a dimension on ``metrics``: a dimension there would
    split every other figure of the batch by reason too.
    """
    if is_metrics_disabled():  # single_metric prints even where metrics are switched off
        return
    for reason, count in sorted(Counter(blocked.values()).items()):
        with single_metric(
            name="DispatchBlockedByReason", unit=MetricUnit.Count, value=count, namespace=metrics.namespace
        ) as figure:
            figure.add_dimension(name="reason", value=reason)
