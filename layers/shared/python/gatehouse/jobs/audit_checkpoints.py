"""Audit checkpoints: sign where every tenant's audit chain stands (an hourly EventBridge job).

Pages through the tenant directory (the gsi1 index, never a scan) and hands each page to
``gatehouse.audit.run_checkpoints``, which signs a checkpoint for every tenant whose chain
moved since its last one. Every tenant gets one log line with its outcome, and the outcomes
are counted as metrics (``AuditCheckpointsSigned``, ``AuditChainBroken``,
``AuditCheckpointFailed``, sent even when zero so alarms always have data).

A broken chain or a failed signing fails the invocation (so the dead-letter queue and its
alarm see it), but only after every tenant was processed: one tenant's trouble never
leaves the others unsigned. It never writes entries and never changes a checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from gatehouse.audit import CheckpointRun, run_checkpoints
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import GatehouseError
from gatehouse.identity.tenants import PAGE_SIZE, iter_tenant_id_pages
from gatehouse.observability import logger, metrics

EMPTY = "empty"  # the tenant has no audit entries yet: nothing to sign
FAILING = frozenset({"broken", "failed"})
_NAMED_IN_ERROR = 10


@dataclass(frozen=True)
class TenantOutcome:
    """One tenant's part of a run: a ``CheckpointRun`` status, or "empty"."""

    tenant_id: str
    status: str
    run: CheckpointRun | None = None

    @property
    def signed(self) -> int:
        return len(self.run.signed) if self.run else 0

    def as_dict(self) -> dict[str, Any]:
        defect = self.run.defect if self.run else None
        signed = self.run.signed if self.run else ()
        return {
            "tenant_id": self.tenant_id,
            "status": self.status,
            "checkpoints_signed": len(signed),
            "signed_to_seq": signed[-1].seq if signed else None,
            "first_bad_seq": defect.seq if defect else None,
            "reason": str(defect.reason) if defect else None,
            "detail": (defect.detail if defect else self.run.detail) if self.run else "",
        }


@dataclass(frozen=True)
class JobReport:
    outcomes: tuple[TenantOutcome, ...]

    @property
    def failures(self) -> list[TenantOutcome]:
        return [o for o in self.outcomes if o.status in FAILING]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.failures,
            "tenants": len(self.outcomes),
            "checkpoints_signed": sum(o.signed for o in self.outcomes),
            "statuses": self.counts(),
            "outcomes": [o.as_dict() for o in self.outcomes],
        }


class AuditCheckpointsFailed(GatehouseError):
    code = "audit_checkpoints_failed"

    def __init__(self, report: JobReport) -> None:
        failures = report.failures
        named = ", ".join(f"{o.tenant_id} ({o.status})" for o in failures[:_NAMED_IN_ERROR])
        more = f" and {len(failures) - _NAMED_IN_ERROR} more" if len(failures) > _NAMED_IN_ERROR else ""
        super().__init__(f"audit checkpoints failed for {len(failures)} tenant(s): {named}{more}")
        self.report = report


def checkpoint_all_tenants(clock: Clock = utc_now, *, page_size: int = PAGE_SIZE) -> JobReport:
    """Checkpoint every tenant, page by page; logs and counts every outcome, raises for none."""
    outcomes: list[TenantOutcome] = []
    for tenant_ids in iter_tenant_id_pages(page_size):
        for outcome in _checkpoint_page(tenant_ids, clock):
            _log(outcome)
            outcomes.append(outcome)
    report = JobReport(tuple(outcomes))
    _count(report)
    return report


def run_audit_checkpoints(clock: Clock = utc_now) -> JobReport:
    """The scheduled job: checkpoint every tenant, then fail if any chain is broken or unsigned."""
    report = checkpoint_all_tenants(clock)
    if report.failures:
        raise AuditCheckpointsFailed(report)
    return report


def _checkpoint_page(tenant_ids: list[str], clock: Clock) -> list[TenantOutcome]:
    try:
        runs = {run.tenant_id: run for run in run_checkpoints(tenant_ids, clock)}
    except (ClientError, BotoCoreError, PynamoDBException, GatehouseError) as exc:
        # Reading the page's chain heads failed: none of its tenants could be looked at.
        detail = f"{type(exc).__name__}: {exc}"
        return [TenantOutcome(t, "failed", CheckpointRun(t, "failed", detail=detail)) for t in tenant_ids]
    return [_outcome(tenant_id, runs.get(tenant_id)) for tenant_id in tenant_ids]


def _outcome(tenant_id: str, run: CheckpointRun | None) -> TenantOutcome:
    return TenantOutcome(tenant_id, run.status if run else EMPTY, run)


def _log(outcome: TenantOutcome) -> None:
    fields = outcome.as_dict()
    if outcome.status in FAILING:
        logger.error("audit checkpoint", extra=fields)
    else:
        logger.info("audit checkpoint", extra=fields)


def _count(report: JobReport) -> None:
    figures = {
        "AuditCheckpointsSigned": sum(o.signed for o in report.outcomes),
        "AuditChainBroken": _with_status(report.outcomes, "broken"),
        "AuditCheckpointFailed": _with_status(report.outcomes, "failed"),
    }
    for name, value in figures.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def _with_status(outcomes: Iterable[TenantOutcome], status: str) -> int:
    return sum(1 for o in outcomes if o.status == status)
