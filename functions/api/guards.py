"""Who may call a route: authentication once per request, one declared permission per route.

``requires(permission)`` is the only way a route states what it needs; the API
refuses to start when a route lacks it (``check_every_route_guarded``). The
decision itself is the permission matrix's, in ``gatehouse.identity``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from gatehouse.errors import Unauthorized
from gatehouse.identity.api_keys import authenticate_api_key
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import PUBLIC, Permission, Public
from gatehouse.tenancy import TenantScope

CALLER = "caller"


class PermissionGuard:
    """Route middleware that lets a request through only when the caller holds ``permission``."""

    def __init__(self, permission: Permission | Public) -> None:
        self.permission = permission
        self.__name__ = f"requires_{permission}"  # Powertools names middleware frames

    def __call__(self, app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        if isinstance(self.permission, Permission):
            caller = app.context.get(CALLER)
            if caller is None:
                raise Unauthorized("authentication required: send 'Authorization: Bearer <api key>'")
            caller.require(self.permission)
        return next_middleware(app)

    def __repr__(self) -> str:
        return f"requires({self.permission!r})"


def requires(permission: Permission | Public) -> list[Callable[..., Any]]:
    return [PermissionGuard(permission)]


def public() -> list[Callable[..., Any]]:
    return [PermissionGuard(PUBLIC)]


def authenticate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Resolve the caller from the Authorization header; a presented but bad key is always 401."""
    header = app.current_event.headers.get("Authorization") or app.current_event.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("invalid or revoked API key")
        event = app.current_event
        caller = authenticate_api_key(token).within(
            request_id=event.request_context.request_id or "",
            source_ip=event.request_context.identity.source_ip,
        )
        app.append_context(**{CALLER: caller})
    return next_middleware(app)


def route_guards(app: APIGatewayRestResolver) -> dict[tuple[str, str], Permission | Public]:
    """Every registered (method, path) with the permission it declares; raises if one declares none."""
    declared: dict[tuple[str, str], Permission | Public] = {}
    for route in app._static_routes + app._dynamic_routes:
        guards = [m for m in route.middlewares if isinstance(m, PermissionGuard)]
        if len(guards) != 1:
            raise RuntimeError(f"route {route.method} {route.path} must declare exactly one permission")
        declared[(route.method, route.path)] = guards[0].permission
    return declared


def caller(router: Router | APIGatewayRestResolver) -> Caller:
    found = router.context.get(CALLER)
    if not isinstance(found, Caller):
        raise Unauthorized("authentication required")
    return found


def scope(router: Router | APIGatewayRestResolver) -> TenantScope:
    """The data door for the caller's tenant: the only tenant a route can reach."""
    return TenantScope(caller(router).tenant_id)
