"""Scheduler Lambda entry: EventBridge rules invoke it with {"job": "<name>"}.

A campaign's one-time EventBridge Scheduler schedule invokes it with
{"job": "campaign_start", "tenant_id": ..., "campaign_id": ...}: the scheduled start
(``gatehouse.dispatch.scheduled.start_due``), which asks everything again.

An unknown job name is an error (it lands in the dead-letter queue) rather than
a silent success. Jobs that work in chunks get the invocation's deadline, so they
stop before Lambda's timeout and the next run resumes where they stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict

from gatehouse import compliance, freshness
from gatehouse.clock import Clock, utc_now
from gatehouse.config import SchedulerSettings, require
from gatehouse.jobs.tenants import Deadline
from gatehouse.models import GatehouseModel
from gatehouse.observability import for_tenant, logger, metrics, tracer

# Checked at cold start: a variable the template gives this function and it lacks fails the import.
SETTINGS = require(SchedulerSettings)
# SnapStart: every restored environment drops what init cached and reseeds (gatehouse.freshness).
freshness.register_with_runtime()

# The scheduled start's "now"; the local runtime may pin it (``LocalRuntime.set_clock``).
clock: Clock = utc_now

# Each job imports its own modules when it runs: a cold start loads the tenant walk every job
# shares (gatehouse.jobs.tenants; the data door at its first read) and only the one job its
# rule names; under SnapStart they are all loaded before the snapshot.
freshness.load_before_snapshot(
    "gatehouse.tenancy.scope",
    "gatehouse.tenancy.directory",
    "gatehouse.jobs.heartbeat",
    "gatehouse.jobs.audit_checkpoints",
    "gatehouse.jobs.dnc_rescrub",
    "gatehouse.jobs.dnc_staleness",
    "gatehouse.jobs.retention_purge",
    "gatehouse.jobs.dispatch_deferred",
    "gatehouse.jobs.conversation_reads",
    compliance.load_reference_data,
    "gatehouse.dispatch.scheduled",
)


def _heartbeat(deadline: Deadline) -> Any:
    from gatehouse.jobs.heartbeat import run_heartbeat  # noqa: PLC0415

    return run_heartbeat()


def _audit_checkpoints(deadline: Deadline) -> Any:
    from gatehouse.jobs.audit_checkpoints import run_audit_checkpoints  # noqa: PLC0415

    return run_audit_checkpoints()


def _dnc_rescrub(deadline: Deadline) -> Any:
    from gatehouse.jobs.dnc_rescrub import run_dnc_rescrub  # noqa: PLC0415

    return run_dnc_rescrub(deadline=deadline)


def _dnc_staleness(deadline: Deadline) -> Any:
    from gatehouse.jobs.dnc_staleness import run_dnc_staleness  # noqa: PLC0415

    return run_dnc_staleness(deadline=deadline)


def _retention_purge(deadline: Deadline) -> Any:
    from gatehouse.jobs.retention_purge import run_retention_purge  # noqa: PLC0415

    return run_retention_purge(deadline=deadline)


def _dispatch_deferred(deadline: Deadline) -> Any:
    from gatehouse.jobs.dispatch_deferred import run_dispatch_deferred  # noqa: PLC0415

    return run_dispatch_deferred(deadline=deadline)


def _conversation_reads(deadline: Deadline) -> Any:
    from gatehouse.jobs.conversation_reads import run_conversation_reads  # noqa: PLC0415

    return run_conversation_reads(deadline=deadline)


JOBS: dict[str, Callable[[Deadline], Any]] = {
    "heartbeat": _heartbeat,
    "audit_checkpoints": _audit_checkpoints,
    "dnc_rescrub": _dnc_rescrub,
    "dnc_staleness": _dnc_staleness,
    "retention_purge": _retention_purge,
    "dispatch_deferred": _dispatch_deferred,
    "conversation_reads": _conversation_reads,
}


class JobEvent(GatehouseModel):
    model_config = ConfigDict(extra="forbid")

    job: str


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if isinstance(event, dict) and event.get("job") == "campaign_start":
        return _campaign_start(event)
    job = JobEvent.model_validate(event).job
    if job not in JOBS:
        raise ValueError(f"unknown scheduled job {job!r}")
    JOBS[job](Deadline.of(context))
    metrics.add_metric(name="ScheduledJobRuns", unit=MetricUnit.Count, value=1)
    logger.info("scheduled job done", extra={"job": job})
    return {"job": job, "status": "done"}


def _campaign_start(event: dict[str, Any]) -> dict[str, Any]:
    from gatehouse.campaigns.schedules import ScheduledStart  # noqa: PLC0415
    from gatehouse.dispatch.scheduled import start_due  # noqa: PLC0415

    request = ScheduledStart.model_validate(event)
    for_tenant(request.tenant_id)
    logger.thread_safe_append_keys(campaign_id=request.campaign_id)
    return start_due(request, clock=clock).model_dump(mode="json")
