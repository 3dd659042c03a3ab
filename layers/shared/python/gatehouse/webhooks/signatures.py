"""Provider signature checks: each answers only "valid or not", before any body is read.

- Twilio: the SDK's ``RequestValidator`` over the exact public URL and the form
  parameters (repeated keys included, as Twilio signs them), with the tenant's auth token.
- Retell: header ``x-retell-signature: v=<unix milliseconds>,d=<hex>`` where
  ``d = HMAC-SHA256(the tenant's Retell API key, raw body + "<milliseconds>")`` (Retell's
  "Secure the webhook" page and the ``verify`` of its ``retell-sdk``). Only that exact shape
  is read (lower-case hex, 64 digits); anything else is refused.
- Vapi: an HMAC custom credential with Vapi's documented defaults (``HMACAuthenticationPlan``):
  SHA-256, hex, header ``x-signature`` over ``"<x-timestamp>.<raw body>"`` with the
  credential's secret key. Vapi's other schemes (a bearer token or ``X-Vapi-Secret`` sent
  as is) sign nothing and carry no time, so a captured request could be replayed or altered:
  they are refused.
- Stripe: ``stripe.Webhook.construct_event`` with the platform's endpoint secret and a
  five-minute tolerance (either side of now).

Every comparison is constant-time, and a signature dated more than five minutes from now
(either side) is refused, so a captured call cannot be replayed later. Nothing here logs a
body, a signature or a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Any, Final

TOLERANCE_SECONDS: Final = 300
RETELL_SIGNATURE_HEADER: Final = "x-retell-signature"
VAPI_SIGNATURE_HEADER: Final = "x-signature"
VAPI_TIMESTAMP_HEADER: Final = "x-timestamp"
# Retell's exact shape (its SDK's own pattern): milliseconds, then 64 lower-case hex digits.
_RETELL_HEADER = re.compile(r"v=(?P<v>[0-9]{1,15}),d=(?P<d>[0-9a-f]{64})")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_VAPI_STAMP = re.compile(r"[0-9]{1,15}")
_MILLIS_FROM: Final = 10**11  # a unix time this large in seconds is thousands of years away
# Unix seconds, ASCII digits only: ``str.isdigit`` also takes "²" and other digits ``int`` refuses,
# and a stamp of thousands of digits is past what ``int`` converts.
_STAMP = re.compile(r"[0-9]{1,12}")


def signed_at(stamp: str | None) -> int | None:
    """A signature header's ``t=`` value as unix seconds; None for anything else."""
    return int(stamp) if stamp is not None and _STAMP.fullmatch(stamp) else None


class FormParams:
    """Form fields in arrival order, with every value of a repeated key (what Twilio signs)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._values)

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def getall(self, name: str) -> list[str]:
        return list(self._values.get(name, []))

    def one(self, name: str) -> str | None:
        """The field's single value; None when absent. Repeated: ``ValueError``."""
        values = self._values.get(name, [])
        if len(values) > 1:
            raise ValueError(f"{name} is repeated")
        return values[0] if values else None


def twilio_valid(auth_token: str, url: str, params: FormParams, signature: str | None) -> bool:
    if not auth_token or not signature:
        return False
    from twilio.request_validator import RequestValidator  # noqa: PLC0415 - off the cold start of Stripe's route

    return bool(RequestValidator(auth_token).validate(url, params, signature))


def retell_signature(api_key: str, body: bytes, millis: int) -> str:
    """The ``x-retell-signature`` value Retell sends (also what the sandbox and tests sign with)."""
    digest = hmac.new(api_key.encode(), body + str(millis).encode(), hashlib.sha256).hexdigest()
    return f"v={millis},d={digest}"


def retell_valid(api_key: str, body: bytes, header: str | None, *, now: float | None = None) -> bool:
    if not api_key or not header:
        return False
    found = _RETELL_HEADER.fullmatch(header)
    if found is None:
        return False
    millis, given = int(found["v"]), found["d"]
    if not _fresh(millis / 1000, now):
        return False
    expected = retell_signature(api_key, body, millis).split(",d=", 1)[1]
    return hmac.compare_digest(expected.encode(), given.encode())


def vapi_signature(secret: str, body: bytes, stamp: str) -> str:
    """``x-signature`` of a Vapi HMAC credential with its defaults: hex HMAC-SHA256 of "<stamp>.<body>"."""
    return hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def vapi_valid(
    secret: str, body: bytes, signature: str | None, stamp: str | None, *, now: float | None = None
) -> bool:
    if not secret or not signature or stamp is None or not _VAPI_STAMP.fullmatch(stamp):
        return False
    if not _HEX_DIGEST.fullmatch(signature):  # Vapi's hex digest is lower-case
        return False
    value = int(stamp)
    # Vapi does not say which unit its timestamp is in: thirteen digits are milliseconds.
    seconds = value / 1000 if value >= _MILLIS_FROM else value
    if not _fresh(seconds, now):
        return False
    expected = vapi_signature(secret, body, stamp)
    return hmac.compare_digest(expected.encode(), signature.encode())


def _fresh(seconds: float, now: float | None) -> bool:
    return abs((time.time() if now is None else now) - seconds) <= TOLERANCE_SECONDS


def stripe_event(payload: str, header: str | None, secret: str) -> dict[str, Any] | None:
    """The verified Stripe event as a dict, or None for a bad, stale or missing signature."""
    if not secret or not header or not header.isascii():  # the SDK's comparison raises on non-ASCII
        return None
    # The SDK refuses only old timestamps; a signature dated ahead of now is refused here too.
    stamps = [signed_at(p.split("=", 1)[1]) for p in header.split(",") if p.startswith("t=")]
    if len(stamps) != 1 or stamps[0] is None or stamps[0] > time.time() + TOLERANCE_SECONDS:
        return None
    # The Stripe SDK (~350 ms with the HTTP clients it loads) only on the route that verifies with it.
    import stripe  # noqa: PLC0415

    try:
        event = stripe.Webhook.construct_event(payload, header, secret, tolerance=TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, ValueError):
        return None
    verified: dict[str, Any] = event.to_dict()
    return verified
