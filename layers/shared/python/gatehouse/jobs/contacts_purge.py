"""Contacts purge: delete for good the contacts soft-deleted longer ago than the grace period (daily).

Walks the tenant directory (an index, never a scan) and each tenant's contacts; one
tenant's failure is logged and counted, and fails the invocation only after every
other tenant was processed. Each tenant with purged contacts gets one audit entry
with the count, written by the system principal.
"""

from __future__ import annotations

from datetime import timedelta

from aws_lambda_powertools.metrics import MetricUnit

from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.contacts.service import purge_deleted
from gatehouse.identity.caller import system
from gatehouse.identity.tenants import iter_tenant_ids
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import TenantScope


def run_contacts_purge(clock: Clock = utc_now) -> dict[str, int]:
    grace = timedelta(days=get_settings().contact_purge_grace_days)
    purged: dict[str, int] = {}
    failed: list[str] = []
    for tenant_id in iter_tenant_ids():
        try:
            count = purge_deleted(
                TenantScope(tenant_id), system(tenant_id, "contacts-purge"), grace=grace, clock=clock
            )
        except Exception:  # noqa: BLE001 - one tenant's failure must not stop the others
            logger.exception("contacts purge failed", extra={"tenant_id": tenant_id})
            failed.append(tenant_id)
            continue
        if count:
            purged[tenant_id] = count
            logger.info("contacts purged", extra={"tenant_id": tenant_id, "purged": count})
    metrics.add_metric(name="ContactsPurged", unit=MetricUnit.Count, value=sum(purged.values()))
    metrics.add_metric(name="ContactsPurgeFailed", unit=MetricUnit.Count, value=len(failed))
    if failed:
        raise RuntimeError(f"contacts purge failed for {len(failed)} tenant(s)")
    return purged
