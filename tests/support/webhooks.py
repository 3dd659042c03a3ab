"""Signing webhook requests exactly as each provider does, for tests and the local runtime's callers."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from gatehouse.webhooks.signatures import FormParams, voice_signature
from tests.support.events import proxy_event

TWILIO_TOKEN = "5e" * 16
TWILIO_CREDENTIALS = {
    "account_sid": "AC" + "b2" * 16,
    "auth_token": TWILIO_TOKEN,
    "sender_numbers": ["+15005550006"],
}
VOICE_SECRET = "whsec-voice-" + "k" * 24
VOICE_CREDENTIALS = {"agent_id": "agent_demo", "api_key": "key_" + "v" * 24, "webhook_secret": VOICE_SECRET}
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


def voice_event(ref: str, raw: bytes, *, secret: str = VOICE_SECRET, at: int | None = None) -> dict[str, Any]:
    header = voice_signature(secret, raw, at if at is not None else int(time.time()))
    return proxy_event(
        "POST",
        f"/webhooks/voice-agent/{ref}",
        raw_body=raw.decode(),
        headers={"Content-Type": "application/json", "X-Gatehouse-Signature": header},
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
