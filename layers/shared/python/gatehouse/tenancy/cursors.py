"""Cursors: where a page stopped, sealed so that a client can neither read nor forge one.

A cursor holds the DynamoDB start key and what it was minted for (the tenant, the
partition or index, the query), as JSON sealed with AES-GCM: a random nonce, and a tag
that authenticates all of it. The key is derived once per process from the deployment's
KMS HMAC key (``GenerateMac`` over ``gatehouse/cursor/v1``, as suppression keys are),
so it never leaves memory and no one outside the deployment can mint a cursor. Anything
that does not open, or opens as something else, is the one ``Invalid("cursor is not
valid")``. Only ``tenancy`` uses this module; it never logs a cursor or a key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from gatehouse.clients import aws_client
from gatehouse.config import get_settings
from gatehouse.errors import Invalid, Unavailable
from gatehouse.freshness import forgotten_on_restore
from gatehouse.observability import logger

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DERIVATION: Final = b"gatehouse/cursor/v1"
MAX_CURSOR_CHARS: Final = 2048
_NONCE_BYTES: Final = 12

_lock = threading.Lock()
_keys: dict[str, AESGCM] = {}


@forgotten_on_restore
def forget_keys() -> None:
    """Drop the derived cursor keys: a restored environment derives its own."""
    with _lock:
        _keys.clear()


def not_valid() -> Invalid:
    return Invalid("cursor is not valid")


def _cipher() -> AESGCM:
    # Loaded with the first cursor: most requests never page, and cryptography's bindings are heavy.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

    key_id = get_settings().suppression_key_id
    if not key_id:
        raise Unavailable("no HMAC key is configured for this deployment")
    cached = _keys.get(key_id)
    if cached is not None:
        return cached
    try:
        reply = aws_client("kms").generate_mac(KeyId=key_id, Message=DERIVATION, MacAlgorithm="HMAC_SHA_256")
    except (ClientError, BotoCoreError) as exc:
        logger.warning("cursor key derivation failed", extra={"error": type(exc).__name__})
        raise Unavailable("paging is unavailable; retry later") from None
    cipher = AESGCM(bytes(reply["Mac"])[:32])
    with _lock:
        _keys[key_id] = cipher
    return cipher


def seal(payload: dict[str, Any]) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    plain = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    sealed = nonce + _cipher().encrypt(nonce, plain, DERIVATION)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def unseal(cursor: str) -> dict[str, Any]:
    """What ``seal`` sealed; ``Invalid`` for anything it did not seal (or that was changed since)."""
    from cryptography.exceptions import InvalidTag  # noqa: PLC0415 - with the cipher, on first use

    if len(cursor) > MAX_CURSOR_CHARS:
        raise not_valid()
    try:
        sealed = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii"))
        plain = _cipher().decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], DERIVATION)
        payload = json.loads(plain)
    except (ValueError, binascii.Error, InvalidTag):  # UnicodeError is a ValueError
        raise not_valid() from None
    if not isinstance(payload, dict):
        raise not_valid()
    return payload


def start_key(cursor: str, binding: str) -> dict[str, Any]:
    """The start key of a cursor minted for ``binding`` (tenant, partition or index, query)."""
    payload = unseal(cursor)
    key = payload.get("key")
    if payload.get("for") != binding or not isinstance(key, dict):
        raise not_valid()
    return key


def mint(last_key: dict[str, Any], binding: str) -> str:
    return seal({"for": binding, "key": last_key})
