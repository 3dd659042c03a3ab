"""Lambda entries that may open provider credentials: the dispatch tasks and the integration check.

Each entry parses its input, calls one gate in ``gatehouse.dispatch`` (or the check
in ``gatehouse.providers``) and returns its result; a gate that cannot admit raises,
and the state machine's Catch turns that into a blocked outcome.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from gatehouse.dispatch.run import RunInput, check_tenant
from gatehouse.observability import logger, metrics, tracer
from gatehouse.tenancy import TenantScope


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def tenant_gate(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = RunInput.model_validate(event)
    logger.append_keys(tenant_id=run.tenant_id, campaign_id=run.campaign_id)
    return check_tenant(run).model_dump()


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def check_integration(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Test a tenant's stored provider credentials, or ask its DNC provider about numbers, for the API.

    The API may not decrypt credentials itself; requests name the tenant, never a secret.
    """
    from gatehouse.providers.checks import CheckRequest, run_check  # noqa: PLC0415 - off the gates' cold path

    if event.get("operation") == "dnc_lookup":
        from gatehouse.dnc.lookups import DncLookupRequest, lookup_here  # noqa: PLC0415

        lookup = DncLookupRequest.model_validate(event)
        logger.append_keys(tenant_id=lookup.tenant_id, provider="dnc")
        return lookup_here(TenantScope(lookup.tenant_id), lookup.numbers).model_dump(mode="json")

    request = CheckRequest.model_validate(event)
    logger.append_keys(tenant_id=request.tenant_id, provider=request.provider.value)
    result = run_check(TenantScope(request.tenant_id), request.provider)
    return result.model_dump(mode="json")
