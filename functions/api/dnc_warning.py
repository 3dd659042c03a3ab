"""The unscrubbed-DNC warning header: on every response to a tenant running on an owner's acknowledgment.

A global middleware notes the caller's tenant's warning (cached per process by
``gatehouse.dnc.unscrubbed_warning``) before the route runs; the handler adds it to
whatever response leaves, errors included. Unauthenticated requests carry none, and
neither do 422 schema failures: the resolver validates requests before its middlewares
run, so the tenant is not known yet.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from guards import CALLER

from gatehouse.dnc import WARNING_HEADER, unscrubbed_warning
from gatehouse.ids import is_tenant_id

_warning: ContextVar[str | None] = ContextVar("dnc_warning", default=None)


def note_dnc_warning(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    found = app.context.get(CALLER)
    # The operator console acts in no tenant: it has no DNC provider to warn about.
    if found is not None and is_tenant_id(found.tenant_id):
        _warning.set(unscrubbed_warning(found.tenant_id))
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
        multi.pop(WARNING_HEADER, None)
    return {**response, "headers": {**(response.get("headers") or {}), WARNING_HEADER: warning}}
