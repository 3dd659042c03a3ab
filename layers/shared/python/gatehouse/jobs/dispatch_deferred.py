"""The deferred-attempts job: contacts the hours or cap gates deferred are tried when their window opens.

A schedule tick (every 5 minutes) rather than a Step Functions Wait per contact: a
deferral can last days (a Sunday ban, a holiday, a 24-hour cap), and a waiting
execution per contact would hold state, cost transitions and still have to run every
gate again at the end. The tick reads only the deferred outcomes that fell due (the
time index), starts one deferred run per running campaign (``gatehouse.dispatch.run``),
and the run decides each contact afresh through all seven gates, claims included, so
a contact is never attempted twice for one deferral.
"""

from __future__ import annotations

from gatehouse.clock import Clock, utc_now
from gatehouse.dispatch.run import start_deferred_runs
from gatehouse.jobs.tenants import Deadline, JobRun, TenantWork, run_per_tenant
from gatehouse.tenancy import TenantScope

JOB = "dispatch_deferred"


def run_dispatch_deferred(*, deadline: Deadline, clock: Clock = utc_now) -> JobRun:
    now = clock()

    def work(scope: TenantScope) -> TenantWork:
        return TenantWork(counts=start_deferred_runs(scope, now=now))

    return run_per_tenant(JOB, "DispatchDeferred", work, deadline=deadline, clock=clock)
