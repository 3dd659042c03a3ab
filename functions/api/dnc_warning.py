"""The unscrubbed-DNC warning: on every response to a tenant running on an owner's acknowledgment.

It goes out as a header and, in every JSON object body (errors included), as the field
``dnc_warning``.

A global middleware notes the caller's tenant's warning (cached per process by
``gatehouse.dnc.unscrubbed_warning``) before the route runs; the handler adds it to
whatever response leaves, errors included. Unauthenticated requests carry none, and
neither do 422 schema failures: the resolver validates requests before its middlewares
run, so the tenant is not known yet.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from guards import CALLER

from gatehouse import dnc
from gatehouse.ids import is_tenant_id

_warning: ContextVar[str | None] = ContextVar("dnc_warning", default=None)
FIELD = "dnc_warning"


def note_dnc_warning(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    found = app.context.get(CALLER)
    # The operator console acts in no tenant: it has no DNC provider to warn about.
    if found is not None and is_tenant_id(found.tenant_id):
        _warning.set(dnc.unscrubbed_warning(found.tenant_id))
    return next_middleware(app)


def start_request() -> None:
    _warning.set(None)


def with_dnc_warning(response: dict[str, Any]) -> dict[str, Any]:
    warning = _warning.get()
    _warning.set(None)
    if warning is None:
        return response
    multi = response.get("multiValueHeaders")
    if isinstance(multi, dict):
        multi.pop(dnc.WARNING_HEADER, None)
    warned = {**response, "headers": {**(response.get("headers") or {}), dnc.WARNING_HEADER: warning}}
    return _with_field(warned, warning)


def _with_field(response: dict[str, Any], warning: str) -> dict[str, Any]:
    """A JSON object body also carries the warning, as ``dnc_warning``, for clients that read no headers."""
    body = response.get("body")
    if response.get("isBase64Encoded") or not isinstance(body, str) or not body.startswith("{"):
        return response
    try:
        document = json.loads(body)
    except ValueError:
        return response
    if not isinstance(document, dict):
        return response
    return {**response, "body": json.dumps({**document, FIELD: warning}, separators=(",", ":"))}
