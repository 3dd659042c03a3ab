"""Provider signature checks: each answers only "valid or not", before any body is read.

- Twilio: the SDK's ``RequestValidator`` over the exact public URL and the form
  parameters (repeated keys included, as Twilio signs them), with the tenant's auth token.
- Voice agent: header ``X-Gatehouse-Signature: t=<unix seconds>,v1=<hex>`` where
  ``v1 = HMAC-SHA256(webhook_secret, "<t>." + raw body)``; compared in constant time, and
  refused when ``t`` is more than five minutes from now, so a captured call cannot be
  replayed later.
- Stripe: ``stripe.Webhook.construct_event`` with the platform's endpoint secret and a
  five-minute tolerance (either side of now).

Nothing here logs a body, a signature or a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Any, Final

TOLERANCE_SECONDS: Final = 300
VOICE_SIGNATURE_HEADER: Final = "X-Gatehouse-Signature"
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


def voice_signature(secret: str, body: bytes, timestamp: int) -> str:
    """The header value a voice agent sends (also what tests and the sandbox sign with)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def voice_valid(secret: str, body: bytes, header: str | None, *, now: float | None = None) -> bool:
    if not secret or not header or not header.isascii():
        return False
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, given = signed_at(parts.get("t")), parts.get("v1", "")
    if stamp is None or not given:
        return False
    if abs((time.time() if now is None else now) - stamp) > TOLERANCE_SECONDS:
        return False
    expected = voice_signature(secret, body, stamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected.encode(), given.encode())


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
