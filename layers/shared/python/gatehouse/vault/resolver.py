"""Credentials at the moment of use: read, open and type a tenant's provider credentials.

``resolve`` is what a provider adapter's caller runs right before the provider call; the
plaintext it returns lives in memory for that call only (secrets stay ``SecretStr`` until
the adapter reads them), and the only thing cached is the envelope's data key, so a
revoked integration stops resolving at once. It fails closed: no integration, a revoked
one, or a sealed message that does not open for exactly this tenant and provider raises a
domain error and yields nothing.

It never writes, logs or returns secrets anywhere else. Step Functions payloads, queue
messages and events carry a reference — the tenant id and the provider name — and the
task that makes the call resolves it; they never carry credentials.
"""

from __future__ import annotations

import json
from typing import Literal, overload

from pydantic import ValidationError

from gatehouse.observability import logger
from gatehouse.tenancy import TenantScope
from gatehouse.vault.credentials import Integration, IntegrationNotConnected, IntegrationStatus
from gatehouse.vault.envelope import SealRejected, get_envelope
from gatehouse.vault.schemas import (
    MODELS,
    DncCredentials,
    EmailSenderCredentials,
    Provider,
    ProviderCredentials,
    TwilioCredentials,
    VoiceAgentCredentials,
)


@overload
def resolve(scope: TenantScope, provider: Literal[Provider.TWILIO]) -> TwilioCredentials: ...
@overload
def resolve(scope: TenantScope, provider: Literal[Provider.VOICE_AGENT]) -> VoiceAgentCredentials: ...
@overload
def resolve(scope: TenantScope, provider: Literal[Provider.DNC]) -> DncCredentials: ...
@overload
def resolve(scope: TenantScope, provider: Literal[Provider.EMAIL_SENDER]) -> EmailSenderCredentials: ...
@overload
def resolve(scope: TenantScope, provider: Provider) -> ProviderCredentials: ...
def resolve(scope: TenantScope, provider: Provider) -> ProviderCredentials:
    """The tenant's plaintext credentials for ``provider``, for the duration of one provider call."""
    record = scope.get(Integration, provider.value)
    if record is None or record.status is not IntegrationStatus.CONNECTED:
        raise IntegrationNotConnected(f"{provider} is not connected")
    secrets = _open(scope, provider, record.sealed) if record.sealed is not None else {}
    if set(secrets) != record.sealed_fields():
        raise SealRejected("the stored credentials do not match their record; reconnect the integration")
    try:
        credentials = MODELS[provider].model_validate({**record.settings, **secrets})
    except ValidationError:
        # Never chained: the error would carry the opened secrets in its input.
        raise SealRejected("the stored credentials are no longer valid; reconnect the integration") from None
    logger.debug("credentials resolved", extra={"tenant_id": scope.tenant_id, "provider": provider.value})
    return credentials


def _open(scope: TenantScope, provider: Provider, sealed: str) -> dict[str, str]:
    plaintext = get_envelope().open(sealed, tenant_id=scope.tenant_id, purpose=provider.purpose)
    try:
        secrets = json.loads(plaintext)
    except ValueError:
        raise SealRejected("the stored credentials do not open; reconnect the integration") from None
    if not isinstance(secrets, dict) or not all(isinstance(v, str) for v in secrets.values()):
        raise SealRejected("the stored credentials do not open; reconnect the integration")
    return secrets
