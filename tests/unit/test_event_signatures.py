"""Outbound event signatures, checked as a receiver checks them: with the Standard Webhooks reference library.

Scheme: https://www.standardwebhooks.com/ ("Signature scheme": HMAC-SHA256 over
``<webhook-id>.<webhook-timestamp>.<body>``, ``v1,<base64>`` values separated by spaces).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from gatehouse.endpoints import signing

BODY = (
    b'{"data":{"campaign_id":"cmp_aaaaaaaaaaaaaaaaaaaaaaaaaa"},'
    b'"timestamp":"2025-01-01T00:00:00Z","type":"campaign.completed"}'
)
EVENT_ID = "evt_" + "a" * 26


def test_a_new_secret_is_whsec_and_32_random_bytes() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_")
    assert first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_the_reference_library_verifies_a_signed_delivery() -> None:
    secret = signing.new_secret()
    headers = signing.headers([secret], EVENT_ID, int(time.time()), BODY)
    assert Webhook(secret).verify(BODY, headers)["type"] == "campaign.completed"
    assert headers["webhook-id"] == EVENT_ID
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("Gatehouse")


def test_during_a_rotation_both_secrets_verify_the_same_delivery() -> None:
    new, old = signing.new_secret(), signing.new_secret()
    headers = signing.headers([new, old], EVENT_ID, int(time.time()), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        Webhook(secret).verify(BODY, headers)


def test_another_secret_a_changed_body_or_an_old_timestamp_does_not_verify() -> None:
    secret = signing.new_secret()
    headers = signing.headers([secret], EVENT_ID, int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"completed", b"paused__"), headers)
    stale = signing.headers([secret], EVENT_ID, int(time.time()) - 3600, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, stale)


def test_the_plain_hmac_recipe_in_the_readme_gives_the_same_signature() -> None:
    secret, timestamp = signing.new_secret(), int(time.time())
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{EVENT_ID}.{timestamp}.".encode() + BODY, hashlib.sha256).digest()
    ).decode()
    assert signing.headers([secret], EVENT_ID, timestamp, BODY)["webhook-signature"] == f"v1,{expected}"


@pytest.mark.parametrize("secret", ["", "whsec_", "sk_live_abc", "whsec_not*base64", "whsec_" + "QUJD"])
def test_a_malformed_secret_signs_nothing(secret: str) -> None:
    with pytest.raises(ValueError, match="not a signing secret"):
        signing.signature(secret, EVENT_ID, 0, BODY)
