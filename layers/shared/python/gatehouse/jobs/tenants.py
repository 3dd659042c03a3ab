"""Running a scheduled job tenant by tenant: isolated, resumable, one log line per tenant, metrics.

``run_per_tenant`` walks the tenant directory (the gsi1 index, never a scan) starting
where the job's last run stopped for time, hands each tenant's scope to the job's
work, and logs one structured line per tenant with its status and counts. One
tenant's failure is logged (its error's type, never its message, which could carry
data) and counted, and the others still run; the run then raises ``JobFailed``, so
Lambda's retries and the scheduler's dead-letter queue (with its alarm) see it. When
the invocation's remaining time runs short the job stops between tenants and
remembers where, so the next run resumes there instead of starting from the first
tenant again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from gatehouse import tenancy
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import GatehouseError
from gatehouse.identity.tenants import iter_tenant_ids
from gatehouse.observability import logger, metrics, tenant_bound
from gatehouse.tenancy import GlobalRecord

if TYPE_CHECKING:
    from gatehouse.tenancy import TenantScope

DEFAULT_MARGIN_MS: Final = 60_000  # stop this long before Lambda's timeout: one more chunk must fit


class RemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Deadline:
    """When a job must stop starting new work: the invocation's remaining time minus a margin."""

    remaining_ms: Callable[[], int]
    margin_ms: int = DEFAULT_MARGIN_MS

    def near(self) -> bool:
        return self.remaining_ms() < self.margin_ms

    @classmethod
    def of(cls, context: RemainingTime, margin_ms: int = DEFAULT_MARGIN_MS) -> Deadline:
        return cls(context.get_remaining_time_in_millis, margin_ms)

    @classmethod
    def unlimited(cls) -> Deadline:
        return cls(lambda: 2**62, 0)


@dataclass
class TenantWork:
    """What the job did for one tenant: counts to log and sum, whether it finished, a failure."""

    counts: dict[str, int] = field(default_factory=dict)
    complete: bool = True
    failure: str | None = None  # a reason code: the tenant counts as failed


@dataclass(frozen=True)
class TenantResult:
    tenant_id: str
    status: str  # done | partial (stopped for time) | failed | not_reached
    counts: dict[str, int]
    reason: str | None = None


@dataclass(frozen=True)
class JobRun:
    job: str
    results: tuple[TenantResult, ...]

    @property
    def failures(self) -> list[TenantResult]:
        return [r for r in self.results if r.status == "failed"]

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for result in self.results:
            for name, value in result.counts.items():
                totals[name] = totals.get(name, 0) + value
        return totals

    def of(self, tenant_id: str) -> TenantResult:
        return next(r for r in self.results if r.tenant_id == tenant_id)


class JobFailed(GatehouseError):
    code = "job_failed"

    def __init__(self, run: JobRun) -> None:
        names = ", ".join(f"{r.tenant_id} ({r.reason})" for r in run.failures[:10])
        super().__init__(f"{run.job} failed for {len(run.failures)} tenant(s): {names}")
        self.run = run


class JobResume(GlobalRecord):
    """Where a job that ran out of time stops: the next run starts with this tenant."""

    collection = "SYSTEM"

    job: str
    next_tenant: str | None = None
    updated_at: datetime

    def partition_id(self) -> str:
        return "SCHEDULER"

    def sort_key(self) -> str:
        return f"resume:{self.job}"


def run_per_tenant(
    job: str,
    metric_prefix: str,
    work: Callable[[TenantScope], TenantWork],
    *,
    deadline: Deadline,
    clock: Clock = utc_now,
) -> JobRun:
    """Run ``work`` for every tenant, isolated; raises ``JobFailed`` after all ran if any failed."""
    resume = tenancy.get_directory().get(JobResume, "SCHEDULER", f"resume:{job}")
    results: list[TenantResult] = []
    stopped_at: str | None = None
    for tenant_id in _in_resume_order(list(iter_tenant_ids()), resume.next_tenant if resume else None):
        if stopped_at is not None or deadline.near():
            stopped_at = stopped_at or tenant_id
            results.append(TenantResult(tenant_id, "not_reached", {}))
            continue
        result = _run_one(job, work, tenant_id)
        results.append(result)
        _log(job, result)
        if result.status == "partial":
            stopped_at = tenant_id
    _remember(job, resume, stopped_at, clock)
    run = JobRun(job, tuple(results))
    _count(metric_prefix, run)
    if run.failures:
        raise JobFailed(run)
    return run


def _in_resume_order(tenant_ids: list[str], first: str | None) -> list[str]:
    if first is None or first not in tenant_ids:
        return tenant_ids
    start = tenant_ids.index(first)
    return tenant_ids[start:] + tenant_ids[:start]


def _run_one(job: str, work: Callable[[TenantScope], TenantWork], tenant_id: str) -> TenantResult:
    with tenant_bound(tenant_id):
        return _outcome(job, work, tenant_id)


def _outcome(job: str, work: Callable[[TenantScope], TenantWork], tenant_id: str) -> TenantResult:
    try:
        done = work(tenancy.TenantScope(tenant_id))
    except Exception as exc:  # noqa: BLE001 - one tenant's failure must not stop the others
        logger.warning(
            f"{job}: tenant failed", extra={"job": job, "tenant_id": tenant_id, "error": type(exc).__name__}
        )
        return TenantResult(tenant_id, "failed", {}, type(exc).__name__)
    if done.failure is not None:
        return TenantResult(tenant_id, "failed", done.counts, done.failure)
    return TenantResult(tenant_id, "done" if done.complete else "partial", done.counts)


def _log(job: str, result: TenantResult) -> None:
    fields: dict[str, Any] = {
        "job": job,
        "tenant_id": result.tenant_id,
        "status": result.status,
        "reason": result.reason,
        **result.counts,
    }
    if result.status == "failed":
        logger.error(job, extra=fields)
    else:
        logger.info(job, extra=fields)


def _remember(job: str, resume: JobResume | None, stopped_at: str | None, clock: Clock) -> None:
    if (resume.next_tenant if resume else None) == stopped_at:
        return  # nothing moved: a second run at the same point writes nothing
    record = JobResume(job=job, next_tenant=stopped_at, updated_at=clock())
    if resume is not None:
        record = record.model_copy(update={"version": resume.version})
    tenancy.get_directory().save(record)


def _count(prefix: str, run: JobRun) -> None:
    for name, value in sorted(run.totals().items()):
        metrics.add_metric(name=f"{prefix}{_camel(name)}", unit=MetricUnit.Count, value=value)
    failed = len(run.failures)
    metrics.add_metric(name=f"{prefix}TenantsFailed", unit=MetricUnit.Count, value=failed)
    metrics.add_metric(name="ScheduledJobTenantFailed", unit=MetricUnit.Count, value=failed)
    unfinished = sum(1 for r in run.results if r.status in {"partial", "not_reached"})
    metrics.add_metric(name=f"{prefix}TenantsUnfinished", unit=MetricUnit.Count, value=unfinished)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
