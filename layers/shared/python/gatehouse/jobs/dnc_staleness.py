"""DNC staleness (hourly): for every tenant, record when its loaded DNC lists grow past 31 days.

Each tenant runs ``gatehouse.dnc.staleness.check_staleness`` under ``run_per_tenant``: a
few reads per tenant, and one audited entry only when an episode opens or closes, which
notifies the tenant's owners and admins (``gatehouse.notifications``).
"""

from __future__ import annotations

from gatehouse.clock import Clock, utc_now
from gatehouse.dnc.staleness import check_staleness
from gatehouse.jobs.tenants import Deadline, JobRun, TenantWork, run_per_tenant
from gatehouse.tenancy import TenantScope

JOB = "dnc_staleness"


def run_dnc_staleness(clock: Clock = utc_now, deadline: Deadline | None = None) -> JobRun:
    def work(scope: TenantScope) -> TenantWork:
        done = check_staleness(scope, clock=clock)
        return TenantWork(counts={"stale": int(done.stale), "episodes_opened": int(done.opened)})

    return run_per_tenant(JOB, "DncStaleness", work, deadline=deadline or Deadline.unlimited(), clock=clock)
