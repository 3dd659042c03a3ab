"""Contact intake Lambda: runs queued imports, where the tenant's DNC credentials may be opened.

The API parks an import's file and invokes this function asynchronously with a
reference (tenant id and import id); nothing in the event is personal data or a
secret. Lambda retries a failed asynchronous invocation and then sends it to the
dead-letter queue; a redelivered import is recognized by its job status and changes
nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict, Field

from gatehouse import compliance, freshness
from gatehouse.config import IntakeSettings, require
from gatehouse.models import GatehouseModel
from gatehouse.observability import for_tenant, logger, metrics, tracer

# Checked at cold start: a variable the template gives this function and it lacks fails the import.
SETTINGS = require(IntakeSettings)
# SnapStart: every restored environment drops what init cached and reseeds (gatehouse.freshness).
freshness.register_with_runtime()
# The import's domain loads at the first request (the event is checked first); under
# SnapStart, before the snapshot instead, with the compliance data.
freshness.load_before_snapshot(
    "gatehouse.contacts.checks",
    "gatehouse.contacts.imports",
    "gatehouse.tenancy.scope",
    compliance.load_reference_data,
)

TenantId = Annotated[str, Field(pattern=r"^tnt_[a-z2-7]{26}$")]


class ImportRequest(GatehouseModel):
    model_config = ConfigDict(extra="forbid")

    job: Literal["import"]
    tenant_id: TenantId
    import_id: Annotated[str, Field(pattern=r"^imp_[a-z2-7]{26}$")]


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from gatehouse.contacts import checks  # noqa: PLC0415 - see load_before_snapshot above
    from gatehouse.contacts.imports import run_queued_import  # noqa: PLC0415
    from gatehouse.tenancy import TenantScope  # noqa: PLC0415

    request = ImportRequest.model_validate(event)
    for_tenant(request.tenant_id)
    logger.thread_safe_append_keys(import_id=request.import_id)
    scope = TenantScope(request.tenant_id)
    job = run_queued_import(scope, request.import_id, suppressed=checks.suppressed, scrub=checks.scrub)
    return {"import_id": job.import_id, "status": job.status.value, **job.counts.model_dump()}
