"""API Lambda entry: the REST resolver, its routers, the one error shape.

Thin by design: authentication and permission guards run as middleware, each
route calls one domain function, and every failure leaves through
``error_response`` as ``{"error": {...}}`` with the security headers added (and the
unscrubbed-DNC warning header for a tenant running on an owner's acknowledgment).
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
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
    CLOCK,
    audit_support_access,
    authenticate,
    public,
    route_guards,
    validate_after_guards,
)

import routes  # the package; its modules load with the first request for their paths
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

# The route modules, in the order the resolver matches them, by the first segment of the paths
# they serve. A request loads only the modules of its own segment (a cold start imports none),
# SnapStart's snapshot and the OpenAPI document all of them. ``tests/unit/test_api_routes.py``
# holds this index equal to the routes each module declares.
ROUTE_MODULES: tuple[str, ...] = (
    "health",
    "sessions",
    "two_factor",
    "notifications",
    "members",
    "invitations",
    "api_keys",
    "contacts",
    "campaigns",
    "calls",
    "conversation_replies",
    "webhook_urls",
    "integrations",
    "event_endpoints",
    "sms_settings",
    "retention",
    "suppressions",
    "optout_reviews",
    "conversations",
    "access",
    "dnc",
    "declared_dates",
    "audit",
    "billing",
    "operators",
)
ROUTES_BY_SEGMENT: dict[str, frozenset[str]] = {
    "access-policy": frozenset({"access"}),
    "account": frozenset({"two_factor"}),
    "api-keys": frozenset({"api_keys"}),
    "audit": frozenset({"audit"}),
    "billing": frozenset({"billing"}),
    "campaign-policy": frozenset({"campaigns"}),
    "campaigns": frozenset({"campaigns", "calls", "access"}),
    "contacts": frozenset({"contacts", "calls"}),
    "conversations": frozenset({"conversations", "conversation_replies"}),
    "declared-dates": frozenset({"declared_dates"}),
    "dnc": frozenset({"dnc"}),
    "event-endpoints": frozenset({"event_endpoints"}),
    "health": frozenset({"health"}),
    "integrations": frozenset({"integrations", "webhook_urls"}),
    "invitations": frozenset({"invitations"}),
    "me": frozenset({"notifications"}),
    "members": frozenset({"members"}),
    "operator": frozenset({"operators"}),
    "optout-reviews": frozenset({"optout_reviews"}),
    "security-policy": frozenset({"two_factor"}),
    "session": frozenset({"sessions", "two_factor"}),
    "sessions": frozenset({"sessions"}),
    "settings": frozenset({"retention", "sms_settings"}),
    "sign-in": frozenset({"sessions"}),
    "suppressions": frozenset({"suppressions"}),
}
_included: set[str] = set()
_including = threading.Lock()
# This function's own modules, which route modules import by these names.
_OWN_NAMES = frozenset({"api_docs", "dnc_warning", "guards", "routes"})
_own: dict[str, ModuleType] = {"routes": routes} | {
    name: sys.modules[name] for name in _OWN_NAMES - {"routes"}
}


def include_routes(path: str) -> None:
    """Register the routes of the modules serving ``path``'s first segment, once."""
    segment = path.lstrip("/").split("/", 1)[0]
    wanted = ROUTES_BY_SEGMENT.get(segment, frozenset())
    if wanted <= _included:
        return
    _include([name for name in ROUTE_MODULES if name in wanted])


def include_all_routes() -> None:
    """Register every route (the OpenAPI document, the isolation harness, SnapStart's snapshot)."""
    if len(_included) < len(ROUTE_MODULES):
        _include(list(ROUTE_MODULES))


def route_permissions() -> dict[tuple[str, str], Any]:
    """Every route the API serves with the permission it declares."""
    include_all_routes()
    return dict(ROUTE_PERMISSIONS)


def _include(names: list[str]) -> None:
    with _including, _own_modules():
        for name in names:
            if name in _included:
                continue
            module = importlib.import_module(f"routes.{name}")
            app.include_router(module.router)
            _included.add(name)
        # Refuses to serve a route that declares no permission (it raises here, before any runs).
        ROUTE_PERMISSIONS.update(route_guards(app))


def _is_own(name: str) -> bool:
    return name in _OWN_NAMES or name.startswith("routes.")


@contextmanager
def _own_modules() -> Iterator[None]:
    """This function's modules under their own names while route modules load.

    On Lambda they are in place already. The local runtime runs several functions in one
    process and keeps each one's modules private (``local.functions``), so here they are
    put in place for the import and what was there before is put back after it.
    """
    if sys.modules.get("guards") is _own["guards"]:  # this function's process, as on Lambda
        yield
        return
    saved = {name: module for name, module in sys.modules.items() if _is_own(name)}
    for name in saved:
        del sys.modules[name]
    sys.modules.update(_own)
    try:
        yield
    finally:
        _own.update({name: module for name, module in sys.modules.items() if _is_own(name)})
        for name in [name for name in sys.modules if _is_own(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


api_docs.register(app, middlewares=public(), before=include_all_routes)


def openapi_json() -> str:
    """The OpenAPI document (``local.openapi_doc`` writes and checks it)."""
    include_all_routes()
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


ROUTE_PERMISSIONS: dict[tuple[str, str], Any] = route_guards(app)  # grows as route modules load
freshness.load_before_snapshot(include_all_routes)


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
    include_routes(path)
    app.append_context(**{CLOCK: clock})
    return with_vary_origin(with_security_headers(with_dnc_warning(app.resolve(event, context)), path))
