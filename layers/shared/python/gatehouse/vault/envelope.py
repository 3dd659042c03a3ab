"""Envelope encryption of tenant secrets under the DataKey, bound to a tenant and a purpose.

This module owns the one way Gatehouse turns a secret into stored ciphertext and back:
aws-encryption-sdk messages whose data key comes from KMS ``GenerateDataKey`` under the
``DataKey`` ARN (``Settings.data_key_id``) with the encryption context
``{"tenant": <tenant id>, "purpose": <purpose>}`` (e.g. ``"provider:twilio"``). KMS binds
that context to the data key, so a message opens only where its context is presented,
and ``open`` refuses any message whose context is not exactly the one the caller expects.
It never logs, stores or returns a plaintext anywhere but to its caller, and it never
opens a message made under another key, another context or an unsigned suite.

Choices, and why:

- **aws-encryption-sdk directly, not Powertools' data masking.** Powertools'
  ``AWSEncryptionSDKProvider`` puts a caching materials manager in front of encryption
  only: its ``decrypt`` passes the bare key provider, so every decrypt is a KMS call
  (measured against moto: 100 KMS calls for 100 decrypts of one message), which misses
  the "one KMS call per batch" goal; it also accepts unsigned messages and builds its
  KMS client from the ambient environment rather than from ``Settings``.
- **One KMS key, strictly.** ``KMSMasterKey`` is the single-key case of the SDK's strict
  KMS provider: it unwraps only data keys whose recorded key id is exactly the DataKey
  ARN and names that key in every KMS request. It is used directly because it takes the
  KMS client we build, with the region and endpoint from ``Settings`` (moto locally).
- **A signed, key-committing suite** (``AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384``).
  Only the API role may generate data keys, while the roles that call providers may only
  decrypt. A decrypt-only role learns a message's data key but not its signing key, so
  with a signed suite it cannot forge a ciphertext the vault accepts (e.g. to plant its
  own webhook secret for a tenant). ``open`` therefore refuses any other suite. The SDK
  adds the signature's public key to the context as ``aws-crypto-public-key``; that key
  is the only addition the exact-context check allows (the DataKey policy allows it too).
  The price is the signature check, under a millisecond per open (about 1,100 opens a
  second against 4,900 for the unsigned suite, measured warm in-process), small next to
  the provider call that follows.
- **A bounded data-key cache** (``CachingCryptoMaterialsManager`` over a
  ``LocalCryptoMaterialsCache``). Decryption materials are cached per (encrypted data
  key, algorithm, context), and the cache key comes from the message header, so only
  re-opening the *same stored message* hits: the first open in a process unwraps the
  data key with KMS, every later open of it within ``max_age`` costs no KMS call
  (``bench/bench_vault.py``: 1 KMS call per 1,000 resolves of one tenant's credentials,
  1,000 without the cache). Re-sealing (an update) makes a new message, hence one more
  call; each container has its own cache. Different messages, tenants or purposes never
  share an entry, and an entry holds a data key, never a credential. Encryption
  materials are cached per context, for at most ``max_messages`` messages and
  ``max_age`` seconds, so a data key is never shared across tenants or purposes either.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, cast

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from gatehouse.config import get_settings
from gatehouse.errors import GatehouseError
from gatehouse.freshness import forgotten_on_restore

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

SUITE_NAME: Final = "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"
PUBLIC_KEY_CONTEXT: Final = "aws-crypto-public-key"
# A warm container reuses a data key for at most five minutes, like the queues' SSE key reuse.
MAX_AGE_SECONDS: Final = 300.0
MAX_MESSAGES_ENCRYPTED: Final = 100
CACHE_ENTRIES: Final = 1000
# Sealed secrets are a few hundred bytes; refuse anything far larger before parsing it.
MAX_SEALED_CHARS: Final = 16 * 1024
# KMS answers that say "try again", as opposed to "this will never open".
_TRANSIENT_KMS_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "Unreachable",
        "KMSInternalException",
        "DependencyTimeoutException",
        "KeyUnavailableException",
        "ServiceUnavailable",
    }
)


class VaultUnavailable(GatehouseError):
    """KMS could not be reached or is not configured; nothing was sealed or opened. Retry later."""

    status = 503
    code = "vault_unavailable"


class SealRejected(GatehouseError):
    """A stored ciphertext does not open for this tenant and purpose: tampered, moved or unreadable."""

    status = 409
    code = "credentials_unreadable"


def context_for(tenant_id: str, purpose: str) -> dict[str, str]:
    """The encryption context a secret of ``tenant_id`` for ``purpose`` is sealed under."""
    if not tenant_id or not purpose:
        raise ValueError("a seal needs a tenant and a purpose")
    return {"tenant": tenant_id, "purpose": purpose}


class Envelope:
    """Seals and opens secrets under one KMS key; one instance per process and key."""

    def __init__(
        self,
        key_arn: str,
        kms: KMSClient,
        *,
        caching: bool = True,
        max_age: float = MAX_AGE_SECONDS,
        max_messages: int = MAX_MESSAGES_ENCRYPTED,
        cache_entries: int = CACHE_ENTRIES,
    ) -> None:
        sdk = encryption_sdk()
        self._suite = getattr(sdk.Algorithm, SUITE_NAME)
        self._sdk_error: type[Exception] = sdk.AWSEncryptionSDKClientError
        self._client = sdk.EncryptionSDKClient(
            commitment_policy=sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
            # Gatehouse writes exactly one wrapped data key per message; refuse crafted key lists.
            max_encrypted_data_keys=1,
        )
        # The SDK turns a failed KMS call into "Unable to decrypt any data key" without its
        # cause, so whether KMS was down (retry) or the message is foreign (reject) is read
        # off the KMS client's own calls, per thread.
        self._kms_failure = _KmsFailure()
        kms.meta.events.register("after-call.kms", self._kms_failure.on_reply)
        kms.meta.events.register("after-call-error.kms", self._kms_failure.on_error)
        master_key = sdk.key_providers.kms.KMSMasterKey(key_id=key_arn, client=kms)
        self._cmm: Any = (
            sdk.CachingCryptoMaterialsManager(
                master_key_provider=master_key,
                cache=sdk.LocalCryptoMaterialsCache(cache_entries),
                max_age=max_age,
                max_messages_encrypted=max_messages,
            )
            if caching
            else sdk.DefaultCryptoMaterialsManager(master_key)
        )

    def seal(self, plaintext: bytes, *, tenant_id: str, purpose: str) -> str:
        """Encrypt ``plaintext`` for ``(tenant_id, purpose)``; the message, base64-encoded."""
        try:
            message, _header = self._client.encrypt(
                source=plaintext,
                materials_manager=self._cmm,
                encryption_context=context_for(tenant_id, purpose),
                algorithm=self._suite,
            )
        except (self._sdk_error, BotoCoreError) as exc:
            raise VaultUnavailable("the credentials could not be encrypted; retry later") from exc
        return base64.b64encode(cast("bytes", message)).decode("ascii")

    def open(self, sealed: str, *, tenant_id: str, purpose: str) -> bytes:
        """Decrypt a sealed message, only if it was sealed for exactly ``(tenant_id, purpose)``."""
        expected = context_for(tenant_id, purpose)
        message = _decode(sealed)
        self._kms_failure.code = None
        try:
            plaintext, header = self._client.decrypt(source=message, materials_manager=self._cmm)
        except BotoCoreError as exc:
            raise VaultUnavailable("the credentials could not be decrypted; retry later") from exc
        except self._sdk_error as exc:
            if _transient(exc) or self._kms_failure.code in _TRANSIENT_KMS_CODES:
                raise VaultUnavailable("the credentials could not be decrypted; retry later") from exc
            raise SealRejected("the stored credentials do not open; reconnect the integration") from exc
        # The SDK has verified the signature and the key commitment by now; what remains is whose it is.
        if header.algorithm is not self._suite:
            raise SealRejected(
                "the stored credentials were not sealed by Gatehouse; reconnect the integration"
            )
        _check_context(header.encryption_context, expected)
        return cast("bytes", plaintext)


def _decode(sealed: str) -> bytes:
    if len(sealed) > MAX_SEALED_CHARS:
        raise SealRejected("the stored credentials do not open; reconnect the integration")
    try:
        return base64.b64decode(sealed.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise SealRejected("the stored credentials do not open; reconnect the integration") from exc


def _check_context(found: dict[str, str], expected: dict[str, str]) -> None:
    context = dict(found)
    signed_by = context.pop(PUBLIC_KEY_CONTEXT, None)
    if signed_by is None or context != expected:
        raise SealRejected("the stored credentials belong elsewhere; reconnect the integration")


class _KmsFailure(threading.local):
    """The error code of this thread's last failed KMS call (``Unreachable`` when no reply came)."""

    code: str | None = None

    def on_reply(self, parsed: Mapping[str, Any] | None = None, **_: Any) -> None:
        error = (parsed or {}).get("Error") or {}
        self.code = error.get("Code") if isinstance(error, Mapping) else None

    def on_error(self, **_: Any) -> None:
        self.code = "Unreachable"


def _transient(exc: BaseException) -> bool:
    """Whether KMS itself failed (unreachable, throttled) somewhere down the SDK's chain of errors.

    The SDK wraps the KMS error more than once (master key, then key provider), and not
    always as ``__cause__``, so the whole chain is searched.
    """
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, BotoCoreError):
            return True
        if isinstance(cause, ClientError):
            return cause.response.get("Error", {}).get("Code") in _TRANSIENT_KMS_CODES
        cause = cause.__cause__ or cause.__context__
    return False


@lru_cache(maxsize=1)
def encryption_sdk() -> Any:
    """aws-encryption-sdk, imported when the first envelope is built rather than with this module.

    The SDK imports boto3 (~230 ms together); API routes that only list or describe
    integrations, and every handler that never seals, should not pay that on a cold start.
    """
    import aws_encryption_sdk  # noqa: PLC0415 - deferred on purpose, see above

    return aws_encryption_sdk


def get_envelope() -> Envelope:
    """The process's envelope for the configured DataKey (rebuilt when the key or endpoint changes)."""
    settings = get_settings()
    if not settings.data_key_id:
        raise VaultUnavailable("no data key is configured (GATEHOUSE_DATA_KEY_ID)")
    return _envelope(settings.data_key_id, settings.region, settings.endpoint_url)


@lru_cache(maxsize=4)
def _envelope(key_arn: str, region: str, endpoint_url: str | None) -> Envelope:
    # One KMS client and one cache per process: a client costs ~150 ms, and the cache is the point.
    kms = cast(
        "KMSClient",
        botocore.session.get_session().create_client("kms", region_name=region, endpoint_url=endpoint_url),
    )
    return Envelope(key_arn, kms)


# An envelope holds KMS data keys (its materials cache) and a KMS client: never across a restore.
forgotten_on_restore(_envelope.cache_clear)
