"""Starting a campaign: now, or at its ``start_at`` through a one-time schedule, on the one start path.

``start`` is what ``POST /campaigns/{id}/start`` calls. An approved campaign whose
``start_at`` lies ahead is scheduled (status ``scheduled``, and its EventBridge Scheduler
schedule created or moved to ``start_at``); otherwise it starts now
(``run.start_run``). ``start_due`` is what the schedule invokes: it reads the campaign
again and starts it through the same ``run.start_run`` only while it is still scheduled
and its ``start_at`` has come (``campaigns.timing.refusal``), so a stale schedule never
starts a cancelled or edited campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gatehouse.campaigns import lifecycle, schedules, timing
from gatehouse.campaigns.records import Campaign, CampaignStatus
from gatehouse.clock import Clock, utc_now
from gatehouse.dispatch.run import DispatchRun, start_run
from gatehouse.errors import Unavailable
from gatehouse.identity.caller import Caller, system
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import TenantScope


@dataclass(frozen=True)
class Started:
    campaign: Campaign
    run: DispatchRun | None  # None: scheduled, no run yet
    scheduled_for: datetime | None = None


def start(
    scope: TenantScope,
    caller: Caller,
    campaign_id: str,
    *,
    clock: Clock = utc_now,
    sfn: Any = None,
    scheduler: Any = None,
) -> Started:
    """Start an approved campaign now, or schedule it when its ``start_at`` lies ahead.

    Starting a scheduled campaign early again keeps it scheduled and puts its schedule
    back at ``start_at`` (a repeated request changes nothing). A schedule that cannot be
    created leaves the campaign approved, and the caller gets a 503.
    """
    caller.require(Permission.CAMPAIGNS_APPROVE)
    campaign = lifecycle.get(scope, campaign_id)
    at = campaign.spec.start_at
    if at is None or not timing.waits_for_schedule(campaign.spec, clock()):
        moved, run = start_run(scope, caller, campaign_id, "start", sfn=sfn, clock=clock)
        return Started(moved, run)
    was_scheduled = campaign.status is CampaignStatus.SCHEDULED
    if not was_scheduled:
        campaign = lifecycle.transition(scope, caller, campaign_id, "schedule", clock=clock)
    try:
        schedules.put_start(scope.tenant_id, campaign_id, at, client=scheduler)
    except (ClientError, BotoCoreError) as exc:
        logger.error("campaign schedule not created", extra={"error": type(exc).__name__})
        metrics.add_metric(name="CampaignScheduleNotCreated", unit="Count", value=1)
        if not was_scheduled:
            agent = system(scope.tenant_id, "campaign-schedule")
            lifecycle.transition(
                scope, agent, campaign_id, "unschedule", reason="schedule_not_created", clock=clock
            )
        raise Unavailable("the campaign could not be scheduled; it stays approved, start it again") from None
    return Started(campaign, None, at)


class DueStart(GatehouseModel):
    campaign_id: str
    started: bool
    refused: str | None = None
    run_id: str | None = None


def start_due(request: schedules.ScheduledStart, *, clock: Clock = utc_now, sfn: Any = None) -> DueStart:
    """The schedule fired: start the campaign if it is still scheduled and its time has come.

    A refusal is an answer, not an error (the scheduler would only retry it): logged and
    returned. A run that cannot start leaves the campaign paused with the reason
    (``run.start_run``), for a person to resume.
    """
    scope = TenantScope(request.tenant_id)
    campaign = scope.get(Campaign, request.campaign_id)
    refused = timing.refusal(
        campaign.status if campaign else None, campaign.spec if campaign else None, clock()
    )
    if refused is not None:
        logger.info("scheduled start refused", extra={"reason": refused})
        metrics.add_metric(name="ScheduledStartRefused", unit="Count", value=1)
        return DueStart(campaign_id=request.campaign_id, started=False, refused=refused)
    agent = system(request.tenant_id, "campaign-schedule")
    try:
        _, run = start_run(scope, agent, request.campaign_id, "start_scheduled", sfn=sfn, clock=clock)
    except Unavailable:
        return DueStart(campaign_id=request.campaign_id, started=False, refused="run_not_started")
    logger.info("scheduled campaign started", extra={"run_id": run.run_id})
    return DueStart(campaign_id=request.campaign_id, started=True, run_id=run.run_id)
