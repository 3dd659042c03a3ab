"""Retention purge (daily): every tenant's expired message bodies, messages, recordings,
transcripts and soft-deleted contacts, by the tenant's windows (``gatehouse.retention``).

Isolated per tenant under ``run_per_tenant`` (one log line with counts, metrics, a failure
reaches the dead-letter queue after the other tenants ran); each tenant's run that removed
anything writes one audit entry with the counts.
"""

from __future__ import annotations

from gatehouse.clock import Clock, utc_now
from gatehouse.jobs.tenants import Deadline, JobRun, TenantWork, run_per_tenant
from gatehouse.retention.purge import purge_expired
from gatehouse.tenancy import TenantScope

JOB = "retention_purge"


def run_retention_purge(clock: Clock = utc_now, deadline: Deadline | None = None) -> JobRun:
    limit = deadline or Deadline.unlimited()

    def work(scope: TenantScope) -> TenantWork:
        run = purge_expired(scope, clock=clock, time_left=lambda: not limit.near())
        return TenantWork(counts=run.counts.model_dump(), complete=run.complete)

    return run_per_tenant(JOB, "RetentionPurge", work, deadline=limit, clock=clock)
