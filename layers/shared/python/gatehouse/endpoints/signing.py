"""Standard Webhooks signatures: the secrets endpoints are given and the headers every delivery carries.

A secret is ``whsec_`` and the base64 of 32 random bytes; the HMAC key is those bytes. A
delivery is signed over ``<webhook-id>.<webhook-timestamp>.<body>`` with HMAC-SHA256, once
per live secret (two during a rotation's grace), as space-separated ``v1,<base64>``
values of ``webhook-signature`` (https://www.standardwebhooks.com/, "Signature scheme").
Nothing here logs or stores a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Final

PREFIX: Final = "whsec_"
SECRET_BYTES: Final = 32
USER_AGENT: Final = "Gatehouse-Webhooks/1.0"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def key_of(secret: str) -> bytes:
    """The HMAC key a ``whsec_`` secret stands for; ValueError for anything else."""
    if not secret.startswith(PREFIX):
        raise ValueError("not a signing secret")
    try:
        key = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except binascii.Error:
        raise ValueError("not a signing secret") from None
    if len(key) < 24:
        raise ValueError("not a signing secret")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64 HMAC-SHA256>`` value for ``<id>.<timestamp>.<body>``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secrets_: Sequence[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery attempt, signed with every live secret (the newest first)."""
    if not secrets_:
        raise ValueError("a delivery needs at least one secret")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, message_id, timestamp, body) for s in secrets_),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
