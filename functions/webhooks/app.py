"""Webhook Lambda entry: provider callbacks under /webhooks/.

Signature first: a provider route verifies its signature before reading the
body (routes arrive with the provider integrations). Unknown paths get the one
error shape, with the security headers.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from gatehouse.observability import logger, metrics, tracer
from gatehouse.web import error_body, with_security_headers

app = APIGatewayRestResolver()


@app.not_found
def handle_not_found(_: Exception) -> Response[Any]:
    request_id = app.current_event.request_context.request_id or ""
    return Response(
        status_code=404,
        content_type="application/json",
        body=error_body("not_found", "no such webhook", request_id),
    )


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return with_security_headers(app.resolve(event, context), str(event.get("path") or "/"))
