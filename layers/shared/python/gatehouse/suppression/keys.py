"""Per-tenant suppression keys: how a phone number becomes the key of its suppression entry.

A tenant's key is derived once per process from the deployment's KMS HMAC key
(``GenerateMac`` over ``gatehouse/suppression/v1/<tenant id>``); a number's key is the
HMAC-SHA-256 of its E.164 form under that tenant key. The key material never leaves
KMS, so the list can hold the numbers of erased people without holding the numbers,
and the same number keys differently in every tenant. It never stores or logs a
number or a derived key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError

from gatehouse.clients import aws_client
from gatehouse.config import get_settings
from gatehouse.errors import GatehouseError
from gatehouse.freshness import forgotten_on_restore
from gatehouse.observability import logger

DERIVATION_PREFIX: Final = b"gatehouse/suppression/v1/"

_lock = threading.Lock()
_derived: dict[tuple[str, str], bytes] = {}


class SuppressionUnavailable(GatehouseError):
    """The suppression key could not be derived (KMS unreachable or not configured); retry later."""

    status = 503
    code = "suppression_unavailable"


def tenant_key(tenant_id: str) -> bytes:
    """The tenant's derived HMAC key: one KMS call per tenant per process, then from memory."""
    key_id = get_settings().suppression_key_id
    if not key_id:
        raise SuppressionUnavailable("no suppression key is configured for this deployment")
    cached = _derived.get((key_id, tenant_id))
    if cached is not None:
        return cached
    try:
        reply = aws_client("kms").generate_mac(
            KeyId=key_id, Message=DERIVATION_PREFIX + tenant_id.encode(), MacAlgorithm="HMAC_SHA_256"
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning("suppression key derivation failed", extra={"error": type(exc).__name__})
        raise SuppressionUnavailable("the suppression list is unavailable; retry later") from None
    derived = bytes(reply["Mac"])
    with _lock:
        _derived[(key_id, tenant_id)] = derived
    return derived


def number_key(tenant_id: str, e164: str) -> str:
    """The suppression key of one E.164 number in one tenant (64 hex characters)."""
    return hmac.new(tenant_key(tenant_id), e164.encode(), hashlib.sha256).hexdigest()


def contact_id_for(tenant_id: str, e164: str) -> str:
    """The contact id of one E.164 number in one tenant: the same key under its own "contact:" domain.

    Here beside ``number_key`` because the list's markers are keyed by it too
    (``suppression.markers``); ``gatehouse.contacts.keys`` is where contacts take it from.
    """
    digest = hmac.new(tenant_key(tenant_id), f"contact:{e164}".encode(), hashlib.sha256).digest()
    return "con_" + base64.b32encode(digest).decode("ascii").lower()[:26]


@forgotten_on_restore
def forget_keys() -> None:
    """Drop the derived keys (after a SnapStart restore, and in tests that switch KMS keys)."""
    with _lock:
        _derived.clear()
