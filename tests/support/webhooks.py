"""Signing webhook requests exactly as each provider does, for tests and the local runtime's callers."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from gatehouse.webhooks.signatures import (
    RETELL_SIGNATURE_HEADER,
    VAPI_SIGNATURE_HEADER,
    VAPI_TIMESTAMP_HEADER,
    FormParams,
    retell_signature,
    vapi_signature,
)
from tests.support.events import proxy_event

TWILIO_TOKEN = "5e" * 16
TWILIO_CREDENTIALS = {
    "account_sid": "AC" + "b2" * 16,
    "auth_token": TWILIO_TOKEN,
    "sender_numbers": ["+15005550006"],
}
# Retell signs its webhooks with the API key itself.
RETELL_KEY = "key_" + "v" * 24
VOICE_CREDENTIALS = {"agent_id": "agent_demo", "api_key": RETELL_KEY}
# Vapi signs with the secret of the HMAC credential the tenant attached to its server URL.
VAPI_SECRET = "vapi-hmac-" + "h" * 24
VAPI_CREDENTIALS = {
    "vendor": "vapi",
    "agent_id": "asst_demo",
    "phone_number_id": "pn_demo_0001",
    "api_key": "vapi-private-" + "p" * 24,
    "webhook_secret": VAPI_SECRET,
}
HOST = "api.gatehouse.test"


def twilio_signature(url: str, pairs: list[tuple[str, str]], token: str = TWILIO_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, FormParams(pairs))  # type: ignore[no-any-return]


def inbound_sms(message_sid: str, sender: str, body: str, **extra: str) -> list[tuple[str, str]]:
    return [
        ("MessageSid", message_sid),
        ("AccountSid", TWILIO_CREDENTIALS["account_sid"]),  # type: ignore[list-item]
        ("From", sender),
        ("To", "+15005550006"),
        ("Body", body),
        ("NumMedia", "0"),
        *extra.items(),
    ]


def message_status(sid: str, status: str, **extra: str) -> list[tuple[str, str]]:
    """A message status callback's fields, as Twilio posts them."""
    return [
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("AccountSid", TWILIO_CREDENTIALS["account_sid"]),  # type: ignore[list-item]
        ("From", "+15005550006"),
        ("To", "+14155550123"),
        ("MessageStatus", status),
        ("SmsStatus", status),
        ("ApiVersion", "2010-04-01"),
        *extra.items(),
    ]


def call_status(sid: str, status: str, **extra: str) -> list[tuple[str, str]]:
    """A call status callback's fields, as Twilio posts them."""
    return [
        ("CallSid", sid),
        ("AccountSid", TWILIO_CREDENTIALS["account_sid"]),  # type: ignore[list-item]
        ("From", "+15005550006"),
        ("To", "+14155550123"),
        ("Direction", "outbound-api"),
        ("CallStatus", status),
        ("ApiVersion", "2010-04-01"),
        *extra.items(),
    ]


def twilio_event(
    ref: str,
    pairs: list[tuple[str, str]],
    *,
    token: str = TWILIO_TOKEN,
    signature: str | None = None,
    url_ref: str | None = None,
    route: str = "sms",
) -> dict[str, Any]:
    """A proxy event for Twilio's POST of ``pairs`` to a tenant's Twilio webhook, signed with ``token``."""
    path = f"/webhooks/twilio/{ref}/{route}"
    signed_url = f"https://{HOST}/webhooks/twilio/{url_ref or ref}/{route}"
    sign = signature if signature is not None else twilio_signature(signed_url, pairs, token)
    return proxy_event(
        "POST",
        path,
        raw_body=urlencode(pairs),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign},
    )


def voice_event(ref: str, raw: bytes, *, key: str = RETELL_KEY, at_ms: int | None = None) -> dict[str, Any]:
    """Retell's POST of ``raw`` to a tenant's voice-agent webhook, signed with ``key`` as Retell signs."""
    header = retell_signature(key, raw, at_ms if at_ms is not None else int(time.time() * 1000))
    return proxy_event(
        "POST",
        f"/webhooks/voice-agent/{ref}",
        raw_body=raw.decode(),
        headers={"Content-Type": "application/json", RETELL_SIGNATURE_HEADER: header},
    )


def vapi_event(
    ref: str, raw: bytes, *, secret: str = VAPI_SECRET, at_ms: int | None = None
) -> dict[str, Any]:
    """Vapi's POST of ``raw`` (a server message), signed by an HMAC credential with Vapi's defaults."""
    stamp = str(at_ms if at_ms is not None else int(time.time() * 1000))
    return proxy_event(
        "POST",
        f"/webhooks/voice-agent/{ref}",
        raw_body=raw.decode(),
        headers={
            "Content-Type": "application/json",
            VAPI_SIGNATURE_HEADER: vapi_signature(secret, raw, stamp),
            VAPI_TIMESTAMP_HEADER: stamp,
        },
    )


def stripe_header(payload: str, secret: str, at: int | None = None) -> str:
    """The Stripe-Signature header, computed as Stripe computes it."""
    stamp = at if at is not None else int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def connected(tenant: Any, provider: Any = None, credentials: dict[str, Any] | None = None) -> str:
    """Connect the tenant's Twilio account (or ``provider`` with ``credentials``); its webhook ref."""
    from gatehouse.identity.caller import operator
    from gatehouse.vault import Provider, connect
    from gatehouse.webhooks.refs import ensure_ref

    caller = operator(tenant.tenant_id, "tests", request_id="tests")
    connect(tenant.scope, caller, provider or Provider.TWILIO, dict(credentials or TWILIO_CREDENTIALS))
    return ensure_ref(tenant.scope)
