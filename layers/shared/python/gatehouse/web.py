"""The HTTP edge shared by the API and webhook functions: one error shape and the security headers.

Every failure becomes ``{"error": {"code", "message", "request_id", "details"}}``;
every response carries HSTS, no-sniff, frame-deny and no-store. Nothing here
decides business rules.
"""

from __future__ import annotations

import json
from typing import Any

from gatehouse.errors import GatehouseError

SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
# Swagger UI is one self-contained page with inline script and style (no CDN).
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


def error_body(
    code: str, message: str, request_id: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "request_id": request_id, "details": details or []}}


def with_security_headers(response: dict[str, Any], path: str) -> dict[str, Any]:
    """Add the security headers to a proxy response, whichever code path produced it."""
    headers = dict(response.get("headers") or {})
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if path.rstrip("/") == "/docs":
        headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
    multi = response.get("multiValueHeaders")
    if isinstance(multi, dict):
        for name in headers:
            multi.pop(name, None)
    return {**response, "headers": headers}


def request_body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return (len(body) * 3) // 4
    return len(body.encode("utf-8"))


def proxy_error(error: GatehouseError, request_id: str) -> dict[str, Any]:
    """A complete proxy response for failures met before the resolver runs."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(error_body(error.code, error.message, request_id)),
        "isBase64Encoded": False,
    }
