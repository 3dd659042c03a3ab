"""Scheduler Lambda entry: EventBridge rules invoke it with {"job": "<name>"}.

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

from gatehouse import freshness
from gatehouse.config import SchedulerSettings, require
from gatehouse.jobs.audit_checkpoints import run_audit_checkpoints
from gatehouse.jobs.dispatch_deferred import run_dispatch_deferred
from gatehouse.jobs.dnc_rescrub import run_dnc_rescrub
from gatehouse.jobs.heartbeat import run_heartbeat
from gatehouse.jobs.retention_purge import run_retention_purge
from gatehouse.jobs.tenants import Deadline
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics, tracer

# Checked at cold start: a variable the template gives this function and it lacks fails the import.
SETTINGS = require(SchedulerSettings)
# SnapStart: every restored environment drops what init cached and reseeds (gatehouse.freshness).
freshness.register_with_runtime()

JOBS: dict[str, Callable[[Deadline], Any]] = {
    "heartbeat": lambda _: run_heartbeat(),
    "audit_checkpoints": lambda _: run_audit_checkpoints(),
    "dnc_rescrub": lambda deadline: run_dnc_rescrub(deadline=deadline),
    "retention_purge": lambda deadline: run_retention_purge(deadline=deadline),
    "dispatch_deferred": lambda deadline: run_dispatch_deferred(deadline=deadline),
}


class JobEvent(GatehouseModel):
    model_config = ConfigDict(extra="forbid")

    job: str


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = JobEvent.model_validate(event).job
    if job not in JOBS:
        raise ValueError(f"unknown scheduled job {job!r}")
    JOBS[job](Deadline.of(context))
    metrics.add_metric(name="ScheduledJobRuns", unit=MetricUnit.Count, value=1)
    logger.info("scheduled job done", extra={"job": job})
    return {"job": job, "status": "done"}
