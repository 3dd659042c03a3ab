"""Voice vendors' webhook signatures, checked exactly as each vendor documents them.

Retell (https://docs.retellai.com/features/secure-webhook, and the ``verify`` of the official
``retell-sdk``): ``x-retell-signature: v=<ms>,d=<hex HMAC-SHA256(API key, body + ms)>``, five
minutes either side. Vapi (https://docs.vapi.ai/server-url/server-authentication, the
``HMACAuthenticationPlan`` defaults): hex HMAC-SHA256 of ``"<x-timestamp>.<body>"`` in ``x-signature``.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest

from gatehouse.webhooks.signatures import retell_signature, retell_valid, vapi_signature, vapi_valid

# The retell-sdk's own test vector (tests/test_webhook_auth.py of RetellAI/retell-python-sdk).
SDK_BODY = b'{"event":"call_ended"}'
SDK_KEY = "test-api-key"
SDK_MILLIS = 1_700_000_000_000
SDK_DIGEST = "07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e"
AT = SDK_MILLIS / 1000  # "now", in seconds, for the checks below
BODY = b'{"event":"call_analyzed","call":{"call_id":"call_1","to_number":"+13125550140"}}'
KEY = "key_" + "r" * 24
SECRET = "vapi-hmac-" + "s" * 24


def test_retell_signs_as_its_sdk_does() -> None:
    assert retell_signature(SDK_KEY, SDK_BODY, SDK_MILLIS) == f"v={SDK_MILLIS},d={SDK_DIGEST}"
    assert retell_valid(SDK_KEY, SDK_BODY, f"v={SDK_MILLIS},d={SDK_DIGEST}", now=AT)


@pytest.mark.parametrize(
    ("key", "body", "header", "now"),
    [
        ("key_" + "x" * 24, BODY, retell_signature(KEY, BODY, SDK_MILLIS), AT),  # another tenant's key
        (KEY, BODY + b" ", retell_signature(KEY, BODY, SDK_MILLIS), AT),  # body tampered
        (KEY, BODY, retell_signature(KEY, BODY, SDK_MILLIS), AT + 301),  # stale
        (KEY, BODY, retell_signature(KEY, BODY, SDK_MILLIS), AT - 301),  # from the future
        (KEY, BODY, f"v={SDK_MILLIS},d=" + "0" * 64, AT),  # forged
        (
            KEY,
            BODY,
            retell_signature(KEY, BODY, SDK_MILLIS + 1).replace(str(SDK_MILLIS + 1), str(SDK_MILLIS)),
            AT,
        ),
        ("", BODY, retell_signature("", BODY, SDK_MILLIS), AT),  # no key stored
        (KEY, BODY, None, AT),  # no header
    ],
    ids=["other_key", "tampered", "stale", "future", "forged", "stamp_swapped", "no_key", "missing"],
)
def test_retell_refuses(key: str, body: bytes, header: str | None, now: float) -> None:
    assert not retell_valid(key, body, header, now=now)


def test_retell_accepts_within_five_minutes_either_side() -> None:
    header = retell_signature(KEY, BODY, SDK_MILLIS)
    assert retell_valid(KEY, BODY, header, now=AT + 299)
    assert retell_valid(KEY, BODY, header, now=AT - 299)


@pytest.mark.parametrize(
    "header",
    [
        "",
        f"v={SDK_MILLIS}",
        f"d={SDK_DIGEST},v={SDK_MILLIS}",
        f"prefix-v={SDK_MILLIS},d={SDK_DIGEST}",
        f"v={SDK_MILLIS},d={SDK_DIGEST}-suffix",
        f"v={SDK_MILLIS},d={SDK_DIGEST},extra=value",
        f"v={SDK_MILLIS},d={SDK_DIGEST.upper()}",
        f"v={SDK_MILLIS},d={SDK_DIGEST[2:]}",
        f"v=-{SDK_MILLIS},d={SDK_DIGEST}",
        f"v=²,d={SDK_DIGEST}",
        "v=" + "9" * 5000 + f",d={SDK_DIGEST}",
        f"v={SDK_MILLIS},d=é{SDK_DIGEST[1:]}",
        f" v={SDK_MILLIS},d={SDK_DIGEST}",
    ],
)
def test_retell_refuses_every_malformed_header(header: str) -> None:
    assert not retell_valid(SDK_KEY, SDK_BODY, header, now=AT)


def test_retell_accepts_what_the_official_sdk_signs_and_the_sdk_accepts_ours() -> None:
    webhook_auth = pytest.importorskip("retell.lib.webhook_auth")
    signed = webhook_auth.symmetric["sign"](BODY.decode(), KEY)
    assert retell_valid(KEY, BODY, signed)
    ours = retell_signature(KEY, BODY, int(AT * 1000))
    assert webhook_auth.symmetric["verify"](BODY.decode(), KEY, ours, {"timestamp": int(AT * 1000)})
    assert not webhook_auth.symmetric["verify"](BODY.decode() + " ", KEY, ours, {"timestamp": int(AT * 1000)})


# ---------------------------------------------------------------- Vapi


def test_vapi_signs_the_documented_default_payload() -> None:
    stamp = str(SDK_MILLIS)
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert vapi_signature(SECRET, BODY, stamp) == expected
    assert vapi_valid(SECRET, BODY, expected, stamp, now=AT)
    # A stamp in seconds is read as seconds.
    seconds = str(SDK_MILLIS // 1000)
    assert vapi_valid(SECRET, BODY, vapi_signature(SECRET, BODY, seconds), seconds, now=AT)


@pytest.mark.parametrize(
    ("secret", "body", "signature", "stamp", "now"),
    [
        ("vapi-hmac-" + "o" * 24, BODY, vapi_signature(SECRET, BODY, str(SDK_MILLIS)), str(SDK_MILLIS), AT),
        (SECRET, BODY + b" ", vapi_signature(SECRET, BODY, str(SDK_MILLIS)), str(SDK_MILLIS), AT),
        (SECRET, BODY, vapi_signature(SECRET, BODY, str(SDK_MILLIS)), str(SDK_MILLIS), AT + 301),
        (SECRET, BODY, vapi_signature(SECRET, BODY, str(SDK_MILLIS)), str(SDK_MILLIS), AT - 301),
        (SECRET, BODY, "0" * 64, str(SDK_MILLIS), AT),
        (SECRET, BODY, vapi_signature(SECRET, BODY, str(SDK_MILLIS)), str(SDK_MILLIS + 1), AT),
        (SECRET, BODY, vapi_signature(SECRET, BODY, str(SDK_MILLIS)), None, AT),
        (SECRET, BODY, None, str(SDK_MILLIS), AT),
        (SECRET, BODY, vapi_signature(SECRET, BODY, str(SDK_MILLIS)).upper(), str(SDK_MILLIS), AT),
        (SECRET, BODY, vapi_signature(SECRET, BODY, "1e12"), "1e12", AT),
        (SECRET, BODY, vapi_signature(SECRET, BODY, "²"), "²", AT),
        ("", BODY, vapi_signature("", BODY, str(SDK_MILLIS)), str(SDK_MILLIS), AT),
    ],
    ids=[
        "other_secret",
        "tampered",
        "stale",
        "future",
        "forged",
        "stamp_changed",
        "no_stamp",
        "no_signature",
        "upper_case",
        "float_stamp",
        "superscript_stamp",
        "no_secret",
    ],
)
def test_vapi_refuses(secret: str, body: bytes, signature: str | None, stamp: str | None, now: float) -> None:
    assert not vapi_valid(secret, body, signature, stamp, now=now)
