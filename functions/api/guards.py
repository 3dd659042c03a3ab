"""Who may call a route: authentication once per request, one declared permission per route.

``requires(permission)`` is the only way a route states what it needs; the API
refuses to start when a route lacks it (``check_every_route_guarded``). The
decision itself is the permission matrix's, in ``gatehouse.identity``.

A caller authenticates with an API key (``Authorization: Bearer ghk_...``) or with the
session cookie a sign-in set. Cookie-authenticated changes must pass the CSRF checks of
``gatehouse.identity.csrf``; a session still waiting for its second factor reaches only
the routes declared ``before_two_factor``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from gatehouse.config import get_settings
from gatehouse.errors import Forbidden, Unauthorized
from gatehouse.identity import csrf
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import PUBLIC, OperatorOnly, Permission, Public
from gatehouse.observability import for_tenant

if TYPE_CHECKING:
    from gatehouse.identity import sessions
    from gatehouse.tenancy import TenantScope

# What authenticating a caller reads and writes (sessions, API keys, the failure limits, the
# operators' support trail, scoped access) loads at the first request that needs it, so the
# API registers its routes without the data door; under SnapStart, before the snapshot.
AUTHENTICATION = (
    "gatehouse.identity.sessions",
    "gatehouse.identity.api_keys",
    "gatehouse.identity.limits",
    "gatehouse.identity.operators",
    "gatehouse.conversations.access",
    "gatehouse.tenancy.scope",
)

_KEY_ID = re.compile(r"ghk_(?P<kid>[a-z2-7]{26})_")
CALLER = "caller"
SESSION = "session"
CLOCK = "clock"  # the API entry's settable clock, handed over in the request's context
SESSION_COOKIE = "__Host-gatehouse_session"
CSRF_COOKIE = "__Host-gatehouse_csrf"
Declared = Permission | Public | OperatorOnly
# The request (path, query, headers, body) is parsed and validated only once the caller has
# passed its route's guard: a stranger gets 401 and a viewer 403 before the body is read,
# never a 422 that describes the schema. See ``validate_after_guards``.
_VALIDATE_REQUEST = OpenAPIRequestValidationMiddleware()


class PermissionGuard:
    """Route middleware that lets a request through only when the caller holds ``permission``."""

    def __init__(self, permission: Declared, *, before_two_factor: bool = False) -> None:
        self.permission = permission
        self.before_two_factor = before_two_factor
        self.__name__ = f"requires_{permission}"  # Powertools names middleware frames

    def __call__(self, app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        if not isinstance(self.permission, Public):
            caller = app.context.get(CALLER)
            if caller is None:
                raise Unauthorized(
                    "authentication required: send 'Authorization: Bearer <api key>' or sign in"
                )
            if isinstance(self.permission, OperatorOnly):
                caller.require_operator()
            else:
                caller.require(self.permission, before_two_factor=self.before_two_factor)
        return _VALIDATE_REQUEST.handler(app, next_middleware)

    def __repr__(self) -> str:
        return f"requires({self.permission!r})"


def validate_after_guards(app: APIGatewayRestResolver) -> None:
    """Move the resolver's request validation behind the guards (each ``PermissionGuard`` runs it).

    Powertools puts request validation in front of every middleware; it has no public way
    to reorder it, so its slot gets a pass-through. The isolation and body tests fail if
    a Powertools upgrade stops honouring this.
    """
    if not hasattr(app, "_request_validation_middleware"):
        raise RuntimeError("the resolver validates no requests: enable_validation=True is expected")
    app._request_validation_middleware = _already_guarded  # type: ignore[assignment]


def _already_guarded(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    return next_middleware(app)


def requires(
    permission: Permission | OperatorOnly, *, before_two_factor: bool = False
) -> list[Callable[..., Any]]:
    return [PermissionGuard(permission, before_two_factor=before_two_factor)]


def public() -> list[Callable[..., Any]]:
    return [PermissionGuard(PUBLIC)]


def authenticate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Resolve the caller from the API key or the session cookie; a presented but bad one is always 401."""
    from gatehouse.identity import limits, sessions  # noqa: PLC0415 - see AUTHENTICATION

    event = app.current_event
    headers = event.headers
    allowed = get_settings().allowed_origins
    csrf.check_origin(event.http_method, headers.get("Origin"), allowed)
    _refuse_repeated_authorization(event)
    header = headers.get("Authorization")
    cookies = request_cookies(headers.get("Cookie"))
    context = {
        "request_id": event.request_context.request_id or "",
        "source_ip": event.request_context.identity.source_ip,
    }
    if header:
        found = _api_key_caller(header, context["source_ip"]).within(**context)
        for_tenant(found.tenant_id)
        app.append_context(**{CALLER: found})
    elif SESSION_COOKIE in cookies:
        try:
            signed_in = sessions.authenticate(cookies[SESSION_COOKIE])
        except Unauthorized:
            limits.failed_authentication("session", source_ip=context["source_ip"], key_id=None)
            raise
        csrf.check_cookie_request(
            event.http_method,
            origin=headers.get("Origin"),
            referer=headers.get("Referer"),
            allowed=allowed,
            cookie_token=cookies.get(CSRF_COOKIE),
            header_token=headers.get(csrf.HEADER),
            session_digest=signed_in.session.csrf_digest,
        )
        for_tenant(signed_in.caller.tenant_id)
        app.append_context(**{CALLER: signed_in.caller.within(**context), SESSION: signed_in.session})
    return next_middleware(app)


def _refuse_repeated_authorization(event: APIGatewayProxyEvent) -> None:
    """Two Authorization headers (the last would win) are refused: a proxy and a client may disagree."""
    raw = event.raw_event
    single = [name for name in raw.get("headers") or {} if name.lower() == "authorization"]
    multi = raw.get("multiValueHeaders") or {}
    values = [v for name, vs in multi.items() if name.lower() == "authorization" for v in (vs or [])]
    if len(single) > 1 or len(values) > 1:
        raise Unauthorized("send exactly one Authorization header")


def _api_key_caller(header: str, source_ip: str | None) -> Caller:
    """The caller an ``Authorization: Bearer`` header names; a failure is counted and limited."""
    from gatehouse.identity import limits  # noqa: PLC0415 - see AUTHENTICATION
    from gatehouse.identity.api_keys import authenticate_api_key  # noqa: PLC0415

    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("invalid or revoked API key")
        return authenticate_api_key(token)
    except Unauthorized:
        key_id = _KEY_ID.match(token.strip())
        limits.failed_authentication(
            "api_key", source_ip=source_ip, key_id=f"key_{key_id['kid']}" if key_id else None
        )
        raise


def audit_support_access(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Every request an operator makes inside a tenant for support goes into that tenant's trail."""
    response = next_middleware(app)
    found = app.context.get(CALLER)
    if isinstance(found, Caller) and found.read_only and response.status_code < 400:
        from gatehouse.identity import operators  # noqa: PLC0415 - see AUTHENTICATION

        operators.record_support_request(found, app.current_event.http_method, app.current_event.path)
    return response


def request_cookies(header: str | None) -> dict[str, str]:
    """Cookies sent with the request (the first of each name, as browsers order them most specific first)."""
    found: dict[str, str] = {}
    for part in (header or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in found:
            found[name] = value.strip()
    return found


def session_cookies(issued: sessions.IssuedSession) -> list[Cookie]:
    """The session cookie (HttpOnly) and the CSRF cookie (readable by the page, for the header)."""
    max_age = int((issued.session.expires_at - issued.session.created_at).total_seconds())
    common = {"path": "/", "secure": True, "same_site": SameSite.LAX_MODE, "max_age": max_age}
    return [
        Cookie(SESSION_COOKIE, issued.token, http_only=True, **common),  # type: ignore[arg-type]
        Cookie(CSRF_COOKIE, issued.csrf_token, http_only=False, **common),  # type: ignore[arg-type]
    ]


def cleared_cookies() -> list[Cookie]:
    common = {"path": "/", "secure": True, "same_site": SameSite.LAX_MODE, "max_age": 0}
    return [
        Cookie(SESSION_COOKIE, "", http_only=True, **common),  # type: ignore[arg-type]
        Cookie(CSRF_COOKIE, "", http_only=False, **common),  # type: ignore[arg-type]
    ]


def route_guards(app: APIGatewayRestResolver) -> dict[tuple[str, str], Declared]:
    """Every registered (method, path) with the permission it declares; raises if one declares none."""
    declared: dict[tuple[str, str], Declared] = {}
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


def current_session(router: Router | APIGatewayRestResolver) -> sessions.Session:
    """The signed-in person's session; API keys have none."""
    from gatehouse.identity import sessions  # noqa: PLC0415 - see AUTHENTICATION

    found = router.context.get(SESSION)
    if not isinstance(found, sessions.Session):
        raise Forbidden("this route is for a signed-in person (session cookie), not an API key")
    return found


@dataclass(frozen=True)
class RequestOrigin:
    request_id: str
    source_ip: str | None


def request_origin(router: Router | APIGatewayRestResolver) -> RequestOrigin:
    event = router.current_event
    assert isinstance(event, APIGatewayProxyEvent)  # the REST resolver's events (for the type checker)
    return RequestOrigin(
        request_id=event.request_context.request_id or "none",
        source_ip=event.request_context.identity.source_ip,
    )


def scope(router: Router | APIGatewayRestResolver) -> TenantScope:
    """The data door for the caller's tenant: the only tenant a route can reach.

    It carries the caller's restriction (``conversations.access``): with scoped access, a
    member's or viewer's reads of contacts and conversations stop at their campaigns.
    """
    from gatehouse.conversations import access  # noqa: PLC0415 - see AUTHENTICATION
    from gatehouse.tenancy import TenantScope  # noqa: PLC0415

    found = caller(router)
    return TenantScope(found.tenant_id, restriction=access.restriction_for(found))
