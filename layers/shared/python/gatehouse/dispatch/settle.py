"""The dispatch workflow's bookkeeping: a failed batch's contacts, and how a run ended. Never a send.

``settle_batch`` gives every contact of a batch whose task failed an outcome (the
decision is ``gates.after_failed_batch``); ``finish_run`` counts the campaign's outcomes
onto the run record and completes a campaign with nothing deferred left (a call's retry
deferred after that reopens it: ``voice.retries``). Past the campaign's ``end_at`` it first
blocks every contact never reached, or still deferred, as ``window_closed``
(``gates.after_window_closed``). All are idempotent: a redelivered task changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignStatus, VoiceContent
from gatehouse.clock import Clock, utc_now
from gatehouse.contacts.records import Contact
from gatehouse.contacts.service import ContactFilter
from gatehouse.dispatch import gates
from gatehouse.dispatch.gates import Reason, Step
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus, find
from gatehouse.dispatch.run import BatchInput, DispatchRun, RunInput, RunStatus, save_audited
from gatehouse.errors import Conflict
from gatehouse.identity.caller import Caller, system
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import TenantScope


def settle_batch(batch: BatchInput, *, clock: Clock = utc_now) -> dict[str, int]:
    """Give every contact of a failed batch an outcome; never sends. Returns the counts written.

    A contact this run claimed but did not record may have been sent to (the provider's
    answer was lost with the task): ``send_failed: send_unconfirmed``, and the claim keeps
    stopping a second send. A contact with no outcome, a blocked one, or a deferred one
    that had fallen due (this batch was its retry) failed one more batch: it is deferred
    (``batch_failed``, 15 minutes times its failures; the deferred job tries it again)
    until its ``BATCH_TRIES``-th failure, then blocked. Sent and failed outcomes of earlier
    runs, and deferrals still ahead, stand (a redelivered settle changes nothing).
    """
    from gatehouse.dispatch.claims import AttemptLedger  # noqa: PLC0415

    scope = TenantScope(batch.tenant_id)
    now = clock()
    earlier = find(scope, [f"{batch.campaign_id}#{c}" for c in batch.contact_ids])

    def next_attempt(cid: str) -> int:
        before = earlier.get(f"{batch.campaign_id}#{cid}")
        return (before.attempts if before else 0) + 1

    ledgers = scope.batch_get(AttemptLedger, batch.contact_ids)
    marks = {cid: ledger.holder(batch.campaign_id, next_attempt(cid)) for cid, ledger in ledgers.items()}
    claimed = {cid for cid, mark in marks.items() if mark is not None and mark.run_id == batch.run_id}
    written: dict[str, int] = {}
    records = []
    for cid in batch.contact_ids:
        before = earlier.get(f"{batch.campaign_id}#{cid}")
        failures = before.failed_batches if before else 0
        until = None
        if cid in claimed:  # the send may have gone: recorded as unconfirmed, never sent again
            status, reason, attempts = OutcomeStatus.SEND_FAILED, Reason.SEND_UNCONFIRMED, next_attempt(cid)
        else:
            step = gates.after_failed_batch(
                gates.Earlier(
                    status=before.status if before else None,
                    until=before.until if before else None,
                    failed_batches=failures,
                ),
                now,
            )
            if step is None:
                continue
            failures += 1
            status = OutcomeStatus.DEFERRED if step.step is Step.DEFER else OutcomeStatus.BLOCKED
            reason, until, attempts = step.reason or Reason.BATCH_FAILED, step.until, next_attempt(cid) - 1
        key = f"{status.value}:{reason}"
        written[key] = written.get(key, 0) + 1
        records.append(
            ContactOutcome(
                campaign_id=batch.campaign_id,
                contact_id=cid,
                status=status,
                reason=reason,
                until=until,
                attempts=attempts,
                failed_batches=failures,
                updated_at=now,
            )
        )
    scope.batch_save(records)
    metrics.add_metric(name="DispatchBatchFailed", unit="Count", value=1)
    logger.warning("batch failed; its contacts accounted for without sending", extra={"counts": written})
    return written


def _complete(
    scope: TenantScope, agent: Caller, campaign_id: str, counts: dict[str, int], clock: Clock
) -> tuple[Campaign, dict[str, int]]:
    """Complete the campaign, then count again: a retry deferred meanwhile reopens it.

    A call of this run that ended unanswered while the run finished may have deferred its
    retry after the first count, seeing the campaign still running (``voice.retries``
    reads the campaign after its write; this reads the outcomes after this one).
    """
    from gatehouse.dispatch.report import tally  # noqa: PLC0415

    try:
        campaign = lifecycle.transition(scope, agent, campaign_id, "complete", clock=clock)
    except Conflict:
        return scope.require(Campaign, campaign_id), counts
    if not _retries_calls(campaign):
        return campaign, counts  # nothing of it can be deferred after its run: no second count
    counts = tally(scope, campaign_id)
    retries = counts.get(f"deferred:{Reason.RETRY_UNANSWERED.value}", 0)
    if retries and campaign.status is CampaignStatus.COMPLETED:
        try:
            campaign = lifecycle.reopen_for_retry(
                scope, agent, campaign, reason=Reason.RETRY_UNANSWERED.value, clock=clock
            )
        except Conflict:
            campaign = scope.require(Campaign, campaign_id)  # reopened by the retry's own settlement
    return campaign, counts


def _retries_calls(campaign: Campaign) -> bool:
    """A voice campaign whose policy tries an unanswered call again: its calls may defer after the run."""
    content = campaign.spec.content
    return isinstance(content, VoiceContent) and content.retry.attempts > 1


CLOSE_PAGE = 500


def close_window(scope: TenantScope, campaign: Campaign, now: datetime) -> int:
    """Block every audience contact never reached, or still deferred, as ``window_closed``; returns how many.

    Reads the audience a page at a time (the explicit ids, or the tenant's contacts through
    the campaign's filter, as the planner does) and the campaign's outcomes for each page.
    """
    written = 0
    for ids in _audience_pages(scope, campaign):
        earlier = find(scope, [f"{campaign.campaign_id}#{cid}" for cid in ids])
        closing = []
        for cid in ids:
            before = earlier.get(f"{campaign.campaign_id}#{cid}")
            step = gates.after_window_closed(before.status if before else None)
            if step is None or step.reason is None:
                continue
            closed = before or ContactOutcome(
                campaign_id=campaign.campaign_id, contact_id=cid, status=OutcomeStatus.BLOCKED, updated_at=now
            )
            change = {"status": OutcomeStatus.BLOCKED, "reason": step.reason.value, "until": None}
            closing.append(closed.model_copy(update={**change, "updated_at": now}))
        written += scope.batch_save(closing)
    if written:
        logger.info("campaign window closed", extra={"window_closed": written})
    return written


def _audience_pages(scope: TenantScope, campaign: Campaign) -> Iterator[list[str]]:
    audience = campaign.spec.audience
    if audience.contact_ids:
        ids = audience.contact_ids
        for start in range(0, len(ids), CLOSE_PAGE):
            yield ids[start : start + CLOSE_PAGE]
        return
    where = ContactFilter(tag=audience.tag, state=audience.state)
    cursor: str | None = None
    while True:
        found = scope.query(Contact, limit=CLOSE_PAGE, cursor=cursor)
        yield [c.contact_id for c in found.items if where.matches(c)]
        cursor = found.cursor
        if cursor is None:
            return


class RunEnd(GatehouseModel):
    status: RunStatus
    counts: dict[str, int]
    campaign_status: str


def finish_run(run: RunInput, *, blocked: bool = False, clock: Clock = utc_now) -> RunEnd:
    """Record how the run ended with the campaign's counts; complete a campaign with nothing deferred left.

    Idempotent: a finished run is left as it is (a redelivered task changes nothing).
    """
    from gatehouse.dispatch.report import tally  # noqa: PLC0415

    scope = TenantScope(run.tenant_id)
    run_key = f"{run.campaign_id}#{run.run_id}"
    with scope.prefetch([scope.key(DispatchRun, run_key), scope.key(Campaign, run.campaign_id)]):
        record = scope.get(DispatchRun, run_key)
        campaign = scope.get(Campaign, run.campaign_id)
    if campaign is None:  # a run for a campaign this tenant does not have: nothing to record
        return RunEnd(status=RunStatus.BLOCKED, counts={}, campaign_status="unknown")
    if record is not None and record.status is not RunStatus.STARTED:
        return RunEnd(status=record.status, counts=record.counts, campaign_status=campaign.status.value)
    agent = system(run.tenant_id, "dispatch")
    now = clock()
    closed = gates.may_plan(campaign.status, campaign.spec.end_at, now).reason is Reason.WINDOW_CLOSED
    if closed and not blocked:
        close_window(scope, campaign, now)
    counts = tally(scope, run.campaign_id)
    if not blocked and campaign.status is CampaignStatus.RUNNING and not counts.get("deferred"):
        campaign, counts = _complete(scope, agent, run.campaign_id, counts, clock)
    status = RunStatus.BLOCKED if blocked else RunStatus.FINISHED
    if record is not None:
        ended = record.model_copy(
            update={
                "status": status,
                "finished_at": clock(),
                "counts": counts,
                "reason": "run_gate_refused" if blocked else None,
            }
        )
        save_audited(scope, agent, f"dispatch_run.{status.value}", record, ended)
    metrics.add_metric(
        name="DispatchRunFinished" if not blocked else "DispatchRunBlocked", unit="Count", value=1
    )
    logger.info("dispatch run ended", extra={"status": status.value, "counts": counts})
    return RunEnd(status=status, counts=counts, campaign_status=campaign.status.value)
