"""A campaign run: started by a person, paged and fanned out by the state machine, settled at its end.

The API starts a run (``start_run``): the campaign moves to running, a ``DispatchRun``
record is written and the Standard workflow is started with the run id as its execution
name, so a repeated start request can never start a second workflow for the same run.
The workflow's tasks are the other functions here:

- ``check_run`` (gate 1 for the whole run): the tenant is active and the campaign is
  running; anything else raises and the run is blocked before any page is read.
- ``plan_page``: one page of the audience, cut into batches of contact ids. Payloads
  carry ids only, never numbers, names or secrets. A campaign that stopped running
  (paused, cancelled, edited) or is past its ``end_at`` yields no more batches, so the
  run winds down.
- ``settle_batch``: the Catch of a batch that failed. It sends nothing: every contact
  of the batch without an outcome gets one (``deferred: batch_failed`` to be tried again,
  ``blocked: batch_failed`` after ``BATCH_TRIES`` failed batches, or ``send_unconfirmed``
  where a claim shows a provider call may have happened), so the report accounts for
  every contact and a passing fault loses no one.
- ``finish_run``: counts the campaign's outcomes onto the run record; a campaign with
  nothing deferred left is completed. Past ``end_at``, the contacts never reached are
  first blocked as ``window_closed``.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ConfigDict, Field

from gatehouse import audit
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignStatus
from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.contacts.records import Contact
from gatehouse.contacts.service import ContactFilter
from gatehouse.dispatch import gates
from gatehouse.dispatch.gates import Reason
from gatehouse.dispatch.outcomes import ContactOutcome
from gatehouse.errors import Conflict, TenantNotActive, Unavailable
from gatehouse.identity.caller import Caller, system
from gatehouse.identity.tenants import TenantEntry, TenantStatus, find_tenant
from gatehouse.ids import new_id
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import TenantRecord, TenantScope, get_directory
from gatehouse.tenancy.records import Subject, time_bound
from gatehouse.tenancy.scope import TransactionConflict

BATCH_SIZE: Final = 500
PAGE_BATCHES: Final = 4  # one page: up to 2,000 contact ids (about 70 kB of payload)
ContactId = str


class RunInput(GatehouseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    tenant_id: str = Field(pattern=r"^tnt_[a-z2-7]{26}$")
    campaign_id: str = Field(pattern=r"^cmp_[a-z2-7]{26}$")
    run_id: str = Field(pattern=r"^run_[a-z2-7]{26}$")


class PageInput(RunInput):
    cursor: str | None = Field(default=None, max_length=2048)


class BatchInput(RunInput):
    contact_ids: list[str] = Field(min_length=1, max_length=BATCH_SIZE)
    # Every contact between the batch's smallest and largest id is in it: read by key range.
    contiguous: bool = False


class RunKind(StrEnum):
    AUDIENCE = "audience"  # started by a person: the campaign's whole audience
    DEFERRED = "deferred"  # started by the deferred-attempts job: contacts whose window opened


class RunStatus(StrEnum):
    STARTED = "started"
    FINISHED = "finished"
    BLOCKED = "blocked"
    NOT_STARTED = "not_started"


class DispatchRun(TenantRecord):
    """One run of one campaign: who started it, when, how it ended, and the campaign's counts then."""

    collection = "RUN"

    run_id: str
    campaign_id: str
    status: RunStatus
    started_at: datetime
    started_by: str
    finished_at: datetime | None = None
    reason: str | None = None
    counts: dict[str, int] = {}
    kind: RunKind = RunKind.AUDIENCE
    deferred_before: datetime | None = None  # a deferred run: contacts due before this instant

    def sort_key(self) -> str:
        return f"{self.campaign_id}#{self.run_id}"

    def subject(self) -> Subject | None:
        return Subject.campaign(self.campaign_id)


class AuditedRun(GatehouseModel):
    run_id: str
    campaign_id: str
    status: RunStatus
    reason: str | None = None


def _audited(run: DispatchRun) -> AuditedRun:
    return AuditedRun(run_id=run.run_id, campaign_id=run.campaign_id, status=run.status, reason=run.reason)


# ------------------------------------------------------------------ the API side
def start_run(
    scope: TenantScope,
    caller: Caller,
    campaign_id: str,
    action: str = "start",
    *,
    sfn: Any = None,
    clock: Clock = utc_now,
) -> tuple[Campaign, DispatchRun]:
    """Move the campaign to running (``start`` an approved one, ``resume`` a paused one, or
    ``start_scheduled``: Gatehouse starting a scheduled one at its time) and start a run.

    If the workflow cannot be started, the campaign is paused again with the reason, the
    run is marked not started, and the caller gets a 503: nothing is left running that
    nothing dispatches. The transition and the run record are two changes, each written
    in one transaction with its own audit entry.
    """
    if action not in {"start", "resume", "start_scheduled"}:
        raise ValueError(action)
    campaign = lifecycle.transition(scope, caller, campaign_id, action, clock=clock)
    started = DispatchRun(
        run_id=new_id("run"),
        campaign_id=campaign_id,
        status=RunStatus.STARTED,
        started_at=clock(),
        started_by=caller.actor,
    )
    with audit.recorded(
        scope, caller, "dispatch_run.started", "run", started.run_id, after=_audited(started)
    ) as txn:
        run = txn.save(started)
    try:
        _execute(scope, run, sfn)
    except (ClientError, BotoCoreError):
        agent = system(scope.tenant_id, "dispatch")
        lifecycle.transition(scope, agent, campaign_id, "pause", reason="run_not_started", clock=clock)
        raise Unavailable("the campaign could not be started; it is paused, try resuming it") from None
    return campaign, run


def _execute(scope: TenantScope, run: DispatchRun, sfn: Any) -> None:
    """Start the run's workflow, named by the run id; a start that fails marks the run, audited, and raises.

    An execution of that name that exists already is this run's (a repeated start): that is success.
    """
    request = RunInput(tenant_id=scope.tenant_id, campaign_id=run.campaign_id, run_id=run.run_id)
    try:
        (sfn or _sfn()).start_execution(
            stateMachineArn=get_settings().dispatch_state_machine_arn,
            name=run.run_id,
            input=request.model_dump_json(),
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            return
        _not_started(scope, run, exc)
        raise
    except BotoCoreError as exc:
        _not_started(scope, run, exc)
        raise


def _not_started(scope: TenantScope, run: DispatchRun, exc: Exception) -> None:
    logger.error("dispatch run not started", extra={"run_id": run.run_id, "error": type(exc).__name__})
    metrics.add_metric(name="DispatchRunNotStarted", unit="Count", value=1)
    failed = run.model_copy(update={"status": RunStatus.NOT_STARTED, "reason": "run_not_started"})
    agent = system(scope.tenant_id, "dispatch")
    save_audited(scope, agent, "dispatch_run.not_started", run, failed)


def save_audited(
    scope: TenantScope, agent: Caller, action: str, before: DispatchRun, after: DispatchRun
) -> None:
    """The run record's change and its audit entry, in one transaction."""
    with audit.recorded(
        scope, agent, action, "run", after.run_id, before=_audited(before), after=_audited(after)
    ) as txn:
        txn.save(after)


def _sfn() -> Any:
    from gatehouse.clients import aws_client  # noqa: PLC0415

    return aws_client("stepfunctions")


def list_runs(scope: TenantScope, campaign_id: str, *, limit: int = 20) -> list[DispatchRun]:
    return scope.query(DispatchRun, prefix=f"{campaign_id}#", limit=limit, newest_first=True).items


# ------------------------------------------------------------------ the workflow's tasks
class RunAdmitted(GatehouseModel):
    tenant_id: str
    campaign_id: str
    status: str


def check_run(run: RunInput) -> RunAdmitted:
    """Admit the run only for an active tenant and a running campaign; anything else raises (blocked)."""
    scope = TenantScope(run.tenant_id)
    profile = get_directory().key(TenantEntry, run.tenant_id, "PROFILE")
    with scope.prefetch([profile, scope.key(Campaign, run.campaign_id)]):
        entry = find_tenant(run.tenant_id)
        campaign = scope.get(Campaign, run.campaign_id)
    verdict = gates.may_run(
        entry is not None and entry.status is TenantStatus.ACTIVE, campaign.status if campaign else None
    )
    if verdict.reason is Reason.TENANT_NOT_ACTIVE:
        raise TenantNotActive("tenant is not active")
    if not verdict.passed or campaign is None:
        raise Conflict("the campaign is not running")
    return RunAdmitted(tenant_id=run.tenant_id, campaign_id=run.campaign_id, status=campaign.status.value)


class PlannedPage(GatehouseModel):
    batches: list[list[ContactId]]
    cursor: str | None
    contacts: int
    contiguous: bool = False  # each batch is (nearly) every contact of its key range


def plan_page(page: PageInput, *, clock: Clock = utc_now) -> PlannedPage:
    """One page of the campaign's audience as batches of ids; ``cursor`` is None after the last page.

    A campaign that stopped running, or whose ``end_at`` has passed, gets no more batches.
    """
    scope = TenantScope(page.tenant_id)
    run_key = f"{page.campaign_id}#{page.run_id}"
    with scope.prefetch([scope.key(Campaign, page.campaign_id), scope.key(DispatchRun, run_key)]):
        campaign = scope.require(Campaign, page.campaign_id)
        run = scope.get(DispatchRun, run_key)
    verdict = gates.may_plan(campaign.status, campaign.spec.end_at, clock())
    if not verdict.passed:
        reason = verdict.reason.value if verdict.reason else None
        logger.info("no more pages", extra={"status": campaign.status.value, "reason": reason})
        return PlannedPage(batches=[], cursor=None, contacts=0)
    audience = campaign.spec.audience
    wanted = BATCH_SIZE * PAGE_BATCHES
    contiguous = False
    if run is not None and run.kind is RunKind.DEFERRED and run.deferred_before is not None:
        ids, cursor = _due_page(scope, page, run.deferred_before, wanted)
    elif audience.contact_ids:
        offset = int(page.cursor or "0")
        ids = audience.contact_ids[offset : offset + wanted]
        after = offset + wanted
        cursor = str(after) if after < len(audience.contact_ids) else None
    else:
        where = ContactFilter(tag=audience.tag, state=audience.state)
        # Eventually consistent, at half the price: the audience may lag a change made a moment
        # before the page is read; each batch reads its contacts again, strongly, before any gate.
        found = scope.query(Contact, limit=wanted, cursor=page.cursor, consistent=False)
        ids = [c.contact_id for c in found.items if where.matches(c)]
        cursor = found.cursor
        # In key order: a batch's key range holds its contacts and the few the filter left out.
        contiguous = 2 * len(ids) >= len(found.items)
    batches = [ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)]
    return PlannedPage(batches=batches, cursor=cursor, contacts=len(ids), contiguous=contiguous)


def _due_page(
    scope: TenantScope, page: PageInput, before: datetime, wanted: int
) -> tuple[list[str], str | None]:
    """One page of the campaign's contacts deferred until before ``before`` (from the time index)."""
    from gatehouse.dispatch.outcomes import DEFERRED_INDEX, still_due  # noqa: PLC0415

    due = scope.due(
        ContactOutcome, DEFERRED_INDEX, before=time_bound(before), limit=wanted, cursor=page.cursor
    )
    mine = [o for o in due.items if o.campaign_id == page.campaign_id]
    return [o.contact_id for o in still_due(scope, mine)], due.cursor


DEFERRED_TICK: Final = timedelta(minutes=5)
DEFERRED_SCAN: Final = 1000


def deferred_run_id(tenant_id: str, campaign_id: str, now: datetime) -> str:
    """The same id for every start of one campaign's deferred run within one tick: a repeat starts nothing."""
    tick = int(now.timestamp() // DEFERRED_TICK.total_seconds())
    digest = hashlib.sha256(f"{tenant_id}|{campaign_id}|{tick}".encode()).digest()
    return "run_" + base64.b32encode(digest).decode().lower()[:26]


def start_deferred_runs(scope: TenantScope, *, now: datetime, sfn: Any = None) -> dict[str, int]:
    """Start one deferred run for each running campaign with contacts whose window has opened.

    Reads only what fell due (the time index). A campaign whose earlier run is still going
    waits for the next tick; a paused one waits for its resume (which runs its audience).
    The run id is fixed per campaign and tick, so a repeated job starts nothing twice, and
    gate 7's claims stop a second send in any case.
    """
    from gatehouse.dispatch.outcomes import DEFERRED_INDEX, still_due  # noqa: PLC0415

    campaigns: set[str] = set()
    cursor: str | None = None
    read = 0
    while read < DEFERRED_SCAN:
        due = scope.due(ContactOutcome, DEFERRED_INDEX, before=time_bound(now), limit=500, cursor=cursor)
        campaigns.update(o.campaign_id for o in still_due(scope, due.items))
        read += len(due.items)
        cursor = due.cursor
        if cursor is None:
            break
    counts = {"due_campaigns": len(campaigns), "started": 0, "waiting": 0}
    agent = system(scope.tenant_id, "dispatch-deferred")
    for campaign_id in sorted(campaigns):
        campaign = scope.get(Campaign, campaign_id)
        if campaign is None or campaign.status is not CampaignStatus.RUNNING:
            counts["waiting"] += 1
            continue
        if any(r.status is RunStatus.STARTED for r in list_runs(scope, campaign_id, limit=5)):
            counts["waiting"] += 1
            continue
        run = DispatchRun(
            run_id=deferred_run_id(scope.tenant_id, campaign_id, now),
            campaign_id=campaign_id,
            status=RunStatus.STARTED,
            started_at=now,
            started_by=agent.actor,
            kind=RunKind.DEFERRED,
            deferred_before=now,
        )
        try:
            with audit.recorded(
                scope, agent, "dispatch_run.started", "run", run.run_id, after=_audited(run)
            ) as txn:
                run = txn.save(run)
        except TransactionConflict:
            continue  # this tick's run of the campaign exists already
        _execute(scope, run, sfn)
        counts["started"] += 1
    return counts
