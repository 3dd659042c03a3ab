"""DNC re-scrub (hourly): every tenant's contacts whose DNC data is older than its interval.

Each tenant runs ``gatehouse.dnc.rescrub.rescrub_due`` under ``run_per_tenant``: isolated,
one log line with counts, and a stop before the invocation's time runs out that the
next run resumes from. A DNC source failure is that tenant's failure (the invocation
fails after the others ran, so the dead-letter queue and ``DncRescrubSourceFailed``'s
alarm see it).
"""

from __future__ import annotations

from gatehouse.clock import Clock, utc_now
from gatehouse.dnc.rescrub import rescrub_due
from gatehouse.jobs.tenants import Deadline, JobRun, TenantWork, run_per_tenant
from gatehouse.tenancy import TenantScope

JOB = "dnc_rescrub"


def run_dnc_rescrub(clock: Clock = utc_now, deadline: Deadline | None = None) -> JobRun:
    limit = deadline or Deadline.unlimited()

    def work(scope: TenantScope) -> TenantWork:
        done = rescrub_due(scope, clock=clock, time_left=lambda: not limit.near())
        counts = done.counts()
        if done.no_source:
            counts["without_source"] = 1
        return TenantWork(counts=counts, complete=done.complete, failure=done.source_failed)

    return run_per_tenant(JOB, "DncRescrub", work, deadline=limit, clock=clock)
