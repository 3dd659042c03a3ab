"""API Lambda entry: the REST resolver, its routers, the one error shape.

Thin by design: authentication and permission guards run as middleware, each
route calls one domain function, and every failure leaves through
``error_response`` as ``{"error": {...}}`` with the security headers added (and the
unscrubbed-DNC warning header for a tenant running on an owner's acknowledgment).
"""

from __future__ import annotations

from typing import Any

import api_docs
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from dnc_warning import note_dnc_warning, start_request, with_dnc_warning
from guards import (
    AUTHENTICATION,
    audit_support_access,
    authenticate,
    public,
    route_guards,
    validate_after_guards,
)

from gatehouse import compliance, freshness
from gatehouse.clock import Clock, utc_now
from gatehouse.config import ApiSettings, get_settings, require
from gatehouse.errors import GatehouseError, PayloadTooLarge
from gatehouse.identity import csrf
from gatehouse.observability import logger, metrics, tracer
from gatehouse.web import (
    error_body,
    parse_json,
    proxy_error,
    request_body_size,
    with_security_headers,
    with_vary_origin,
)
from routes import (
    access,
    api_keys,
    audit,
    billing,
    calls,
    campaigns,
    contacts,
    conversation_replies,
    conversations,
    declared_dates,
    dnc,
    event_endpoints,
    health,
    integrations,
    invitations,
    members,
    notifications,
    operators,
    optout_reviews,
    retention,
    sessions,
    sms_settings,
    suppressions,
    two_factor,
    webhook_urls,
)

# "Now" for the routes that decide by the time (a reply's calling hours): tests and the local
# runtime (``set_clock``) pin it; each request hands it to the routes in the resolver's context.
clock: Clock = utc_now
# Checked at cold start: a variable the template gives this function and it lacks fails the import.
SETTINGS = require(ApiSettings)
# SnapStart: every restored environment drops what init cached and reseeds (gatehouse.freshness).
freshness.register_with_runtime()
# Loaded on first use; under SnapStart, before the snapshot instead.
freshness.load_before_snapshot(
    *AUTHENTICATION,
    "gatehouse.audit.verification",
    "gatehouse.audit.export",
    "requests",  # a recording's fetch and deletion (gatehouse.voice.vendors)
    compliance.load_reference_data,
)


def _cors() -> CORSConfig | None:
    origins = list(SETTINGS.allowed_origins)
    if not origins:
        return None
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=[csrf.HEADER, "Idempotency-Key"],
        expose_headers=["Gatehouse-Next-Cursor"],
        allow_credentials=True,
        max_age=600,
    )


app = APIGatewayRestResolver(enable_validation=True, cors=_cors(), json_body_deserializer=parse_json)
validate_after_guards(app)
app.use(middlewares=[authenticate, audit_support_access, note_dnc_warning])
for module in (
    health,
    sessions,
    two_factor,
    notifications,
    members,
    invitations,
    api_keys,
    contacts,
    campaigns,
    calls,
    conversation_replies,
    webhook_urls,
    integrations,
    event_endpoints,
    sms_settings,
    retention,
    suppressions,
    optout_reviews,
    conversations,
    access,
    dnc,
    declared_dates,
    audit,
    billing,
    operators,
):
    app.include_router(module.router)
api_docs.register(app, middlewares=public())


def openapi_json() -> str:
    """The OpenAPI document (``local.openapi_doc`` writes and checks it)."""
    return api_docs.openapi_json(app)


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> Response[Any]:
    request_id = app.current_event.request_context.request_id or ""
    return Response(
        status_code=status,
        content_type="application/json",
        body=error_body(code, message, request_id, details),
    )


@app.exception_handler(GatehouseError)
def handle_domain_error(error: GatehouseError) -> Response[Any]:
    logger.info("request refused", extra={"code": error.code, "status": error.status})
    return error_response(error.status, error.code, error.message, error.details)


@app.exception_handler(RequestValidationError)
def handle_validation_error(error: RequestValidationError) -> Response[Any]:
    problems = error.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return error_response(400, "malformed_json", "request body is not valid JSON")
    # Locations and reasons only: never echo the submitted values back.
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "reason": str(e.get("msg", ""))}
        for e in problems
    ]
    return error_response(422, "validation_error", "request does not match the schema", details)


@app.exception_handler(RequestUnsupportedContentType)
def handle_unsupported_content_type(_: RequestUnsupportedContentType) -> Response[Any]:
    return error_response(415, "unsupported_media_type", "send the request body as application/json")


@app.exception_handler(UnicodeDecodeError)
def handle_undecodable_body(_: UnicodeDecodeError) -> Response[Any]:
    # A binary (base64) body that is not UTF-8 fails while the resolver decodes it, before
    # any route runs: it is the client's malformed request, not our error.
    return error_response(400, "malformed_body", "request body is not UTF-8 text")


@app.not_found
def handle_not_found(_: Exception) -> Response[Any]:
    return error_response(404, "not_found", "no such route")


@app.exception_handler(Exception)
def handle_unexpected(error: Exception) -> Response[Any]:
    logger.exception("unhandled error", extra={"error_type": type(error).__name__})
    return error_response(500, "internal_error", "internal error")


ROUTE_PERMISSIONS = route_guards(app)  # refuses to start when a route declares no permission


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    path = str(event.get("path") or "/")
    if request_body_size(event) > get_settings().max_body_bytes:
        request_id = str((event.get("requestContext") or {}).get("requestId") or "")
        return with_vary_origin(
            with_security_headers(proxy_error(PayloadTooLarge("request body is too large"), request_id), path)
        )
    start_request()
    app.append_context(**{conversation_replies.CLOCK: clock})
    return with_vary_origin(with_security_headers(with_dnc_warning(app.resolve(event, context)), path))
