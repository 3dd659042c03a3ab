"""Dispatch Lambda entries: the tasks the dispatch state machine calls.

Each entry parses its input, calls one gate in ``gatehouse.dispatch`` and returns
its result; a gate that cannot admit raises, and the state machine's Catch turns
that into a blocked outcome.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from gatehouse.dispatch.run import RunInput, check_tenant
from gatehouse.observability import logger, metrics, tracer


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def tenant_gate(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = RunInput.model_validate(event)
    logger.append_keys(tenant_id=run.tenant_id, campaign_id=run.campaign_id)
    return check_tenant(run).model_dump()
