"""Conversation reads (hourly): each finished day's reads per person become one audit entry.

Isolated per tenant under ``run_per_tenant`` (one log line with counts, metrics, a failure
reaches the dead-letter queue after the other tenants ran); the work is
``conversations.reads.audit_finished_days``. Hourly, so a day's counts are in the trail
within an hour of its end.
"""

from __future__ import annotations

from gatehouse.clock import Clock, utc_now
from gatehouse.conversations.reads import audit_finished_days
from gatehouse.jobs.tenants import Deadline, JobRun, TenantWork, run_per_tenant
from gatehouse.tenancy import TenantScope

JOB = "conversation_reads"


def run_conversation_reads(clock: Clock = utc_now, deadline: Deadline | None = None) -> JobRun:
    limit = deadline or Deadline.unlimited()

    def work(scope: TenantScope) -> TenantWork:
        return TenantWork(counts={"days_counted": audit_finished_days(scope, clock=clock)})

    return run_per_tenant(JOB, "ConversationReads", work, deadline=limit, clock=clock)
