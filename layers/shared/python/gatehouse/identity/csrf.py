"""Cross-site request forgery: what a cookie-authenticated change must show.

Two independent checks, both required for a state-changing request that authenticates
with the session cookie (API keys are not sent by browsers on their own, so they need
neither):

1. **Origin**: the ``Origin`` header (or, when a browser omits it, the ``Referer``'s
   origin) must be one of the configured allowed origins. Any state-changing request
   that carries a foreign ``Origin`` is refused, cookie or not (no login CSRF either).
2. **Double submit, bound to the session**: the ``X-CSRF-Token`` header must equal the
   ``__Host-gatehouse_csrf`` cookie, *and* its hash must be the one stored in the
   session at sign-in. A page on another origin can neither read the cookie nor set a
   ``__Host-`` cookie, and a planted cookie would not match the session's hash.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit

from gatehouse.errors import CsrfRejected
from gatehouse.identity import tokens
from gatehouse.observability import logger, metrics

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEADER = "X-CSRF-Token"


def check_origin(method: str, origin: str | None, allowed: Iterable[str]) -> None:
    """Any change that names a foreign origin is refused, whatever authenticates it."""
    if method.upper() in SAFE_METHODS or not origin:
        return
    if origin.rstrip("/") not in {o.rstrip("/") for o in allowed}:
        raise _refused("foreign origin", "cross-site request refused: this origin is not allowed")


def check_cookie_request(
    method: str,
    *,
    origin: str | None,
    referer: str | None,
    allowed: Iterable[str],
    cookie_token: str | None,
    header_token: str | None,
    session_digest: str,
) -> None:
    if method.upper() in SAFE_METHODS:
        return
    source = origin or _origin_of(referer)
    if not source:
        raise _refused("no origin", "cross-site request refused: the request names no Origin")
    check_origin(method, source, allowed)
    if not cookie_token or not header_token or not hmac.compare_digest(cookie_token, header_token):
        raise _refused("token mismatch", f"send the {HEADER} header with the value of the CSRF cookie")
    if not hmac.compare_digest(tokens.digest(header_token), session_digest):
        raise _refused("token not of this session", f"the {HEADER} token does not belong to this session")


def _origin_of(referer: str | None) -> str | None:
    if not referer:
        return None
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _refused(reason: str, message: str) -> CsrfRejected:
    logger.warning("csrf refused", extra={"reason": reason})
    metrics.add_metric(name="CsrfRefused", unit="Count", value=1)
    return CsrfRejected(message)
