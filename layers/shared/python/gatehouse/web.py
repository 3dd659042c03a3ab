"""The HTTP edge shared by the API and webhook functions: one error shape and the security headers.

Every failure becomes ``{"error": {"code", "message", "request_id", "details"}}``;
every response carries HSTS, no-sniff, frame-deny and no-store. Nothing here
decides business rules.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from gatehouse.errors import GatehouseError, Invalid

# Far above any body the API takes (its deepest, a campaign, nests 4 levels; its largest
# number has 10 digits), far below what makes the parser recurse out of stack (~1,000
# levels) or Python refuse to convert an integer (4,300 digits).
MAX_JSON_DEPTH: Final = 32
MAX_NUMBER_DIGITS: Final = 64
_SIGNIFICANT = re.compile(r'["\\\[\]{}]')

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


def with_vary_origin(response: dict[str, Any]) -> dict[str, Any]:
    """Responses differ by Origin (CORS headers only for an allowed one): caches must key on it."""
    headers = dict(response.get("headers") or {})
    vary = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
    if "origin" not in {v.lower() for v in vary}:
        headers["Vary"] = ", ".join([*vary, "Origin"])
    return {**response, "headers": headers}


def request_body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return (len(body) * 3) // 4
    return len(body.encode("utf-8"))


class MalformedJson(Invalid):
    code = "malformed_json"


def parse_json(text: str) -> Any:
    """A request body parsed as JSON, within a nesting depth and a number size; MalformedJson otherwise."""
    if _nesting(text) > MAX_JSON_DEPTH:
        raise MalformedJson(f"request body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_refused)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise MalformedJson("request body is not valid JSON") from exc


def _nesting(text: str) -> int:
    """The deepest bracket nesting outside strings, in one linear pass (the parser recurses per level)."""
    depth = deepest = 0
    in_string = False
    escaped_until = -1
    for token in _SIGNIFICANT.finditer(text):
        char, at = token.group(), token.start()
        if at < escaped_until:
            continue
        if in_string:
            if char == "\\":
                escaped_until = at + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _bounded_int(digits: str) -> int:
    if len(digits) > MAX_NUMBER_DIGITS:
        raise MalformedJson(f"a number in the request body has more than {MAX_NUMBER_DIGITS} digits")
    return int(digits)


def _bounded_float(digits: str) -> float:
    if len(digits) > MAX_NUMBER_DIGITS:
        raise MalformedJson(f"a number in the request body has more than {MAX_NUMBER_DIGITS} digits")
    return float(digits)


def _refused(constant: str) -> Any:
    raise MalformedJson("request body is not valid JSON (NaN and Infinity are not JSON)")


def proxy_error(error: GatehouseError, request_id: str) -> dict[str, Any]:
    """A complete proxy response for failures met before the resolver runs."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(error_body(error.code, error.message, request_id)),
        "isBase64Encoded": False,
    }
