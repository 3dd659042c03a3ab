"""Malformed webhook requests: every bad signature header is the one 401, bad fields a 400, never a 500.

A signature header ``t=²`` (a digit to ``str.isdigit``, not to ``int``) or a stamp of
5,000 digits made the check itself fail with a 500, before the signature was compared,
and so told an attacker which refs were real. A correctly signed status callback with a
5,000-digit duration failed the same way. Each route takes only the content type its
provider sends.
"""

from __future__ import annotations

import json
import time

import pytest

from gatehouse.vault import Provider
from gatehouse.webhooks import signatures
from tests.conftest import TenantFixture
from tests.support.events import proxy_event
from tests.support.webhooks import (
    VOICE_CREDENTIALS,
    call_status,
    connected,
    stripe_header,
    twilio_event,
    voice_event,
)

REJECTED = (401, {"code": "unauthorized", "message": "signature not valid", "details": []})
CA = "CA" + "6b" * 16
RAW = json.dumps(
    {"event": "call_started", "call": {"call_id": "call_1", "to_number": "+13125550140"}}
).encode()
MALFORMED_HEADERS = {
    "superscript_digit": "t=²,v1=" + "0" * 64,
    "stamp_5000_digits": "t=" + "9" * 5000 + ",v1=" + "0" * 64,
    "negative_stamp": "t=-5,v1=" + "0" * 64,
    "float_stamp": "t=1e9,v1=" + "0" * 64,
    "no_pairs": "garbage",
    "empty_pairs": ",,=,==",
    "non_ascii_mac": f"t={int(time.time())},v1=é" + "0" * 63,
}
# Retell's header, each way it can be wrong in shape (v=<ms>,d=<64 lower-case hex> is the only one read).
RETELL_MALFORMED = {
    "superscript_digit": "v=²,d=" + "0" * 64,
    "stamp_5000_digits": "v=" + "9" * 5000 + ",d=" + "0" * 64,
    "negative_stamp": "v=-5,d=" + "0" * 64,
    "float_stamp": "v=1e12,d=" + "0" * 64,
    "upper_case_hex": f"v={int(time.time() * 1000)},d=" + "A" * 64,
    "short_digest": f"v={int(time.time() * 1000)},d=" + "0" * 63,
    "reordered": "d=" + "0" * 64 + f",v={int(time.time() * 1000)}",
    "extra_pair": f"v={int(time.time() * 1000)},d=" + "0" * 64 + ",x=1",
    "no_pairs": "garbage",
    "empty_pairs": ",,=,==",
    "non_ascii_mac": f"v={int(time.time() * 1000)},d=é" + "0" * 63,
}


def _error(reply) -> tuple[int, dict[str, object]]:  # type: ignore[no-untyped-def]
    error = reply.json()["error"]
    error.pop("request_id")
    return reply.status, error


@pytest.mark.parametrize("header", list(RETELL_MALFORMED.values()), ids=list(RETELL_MALFORMED))
@pytest.mark.parametrize("known_ref", [True, False], ids=["known_ref", "unknown_ref"])
def test_every_malformed_voice_signature_header_gets_the_one_401(
    hooks, tenant_a: TenantFixture, header: str, known_ref: bool
) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a, Provider.VOICE_AGENT, VOICE_CREDENTIALS) if known_ref else "whk_" + "z" * 26
    event = voice_event(ref, RAW)
    event["headers"]["x-retell-signature"] = header

    assert _error(hooks(event)) == REJECTED


@pytest.mark.parametrize("header", list(MALFORMED_HEADERS.values()), ids=list(MALFORMED_HEADERS))
def test_every_malformed_stripe_signature_header_is_refused(header: str) -> None:
    assert signatures.stripe_event("{}", header, "whsec_" + "s" * 32) is None


def test_a_stripe_header_with_two_stamps_is_refused() -> None:
    payload, secret = '{"id": "evt_1"}', "whsec_" + "s" * 32
    signed = stripe_header(payload, secret)
    assert signatures.stripe_event(payload, f"t=1,{signed}", secret) is None


def test_a_signed_call_status_with_a_5000_digit_duration_is_a_400(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    event = twilio_event(ref, call_status(CA, "completed", CallDuration="9" * 5000), route="call-status")

    reply = hooks(event)

    assert (reply.status, reply.json()["error"]["code"]) == (400, "invalid_request")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/webhooks/twilio/{ref}/sms", "application/json"),
        ("/webhooks/twilio/{ref}/call-status", "text/plain"),
        ("/webhooks/voice-agent/{ref}", "application/x-www-form-urlencoded"),
        ("/webhooks/voice-agent/{ref}", "text/plain"),
        ("/webhooks/stripe", "application/x-www-form-urlencoded"),
    ],
)
def test_each_webhook_takes_only_its_providers_content_type(
    hooks, tenant_a: TenantFixture, path: str, content_type: str
) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    event = proxy_event("POST", path.format(ref=ref), raw_body="{}", headers={"Content-Type": content_type})

    reply = hooks(event)

    assert (reply.status, reply.json()["error"]["code"]) == (415, "unsupported_media_type")
