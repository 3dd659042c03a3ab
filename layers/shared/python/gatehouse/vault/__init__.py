"""The provider credentials vault: sealed at rest, write-only through the API, opened at use.

``envelope`` seals and opens secrets with KMS envelope encryption bound to (tenant,
purpose); ``schemas`` says what valid credentials are for each provider; ``credentials``
keeps them as one ``Integration`` record per provider (settings in clear, secrets sealed, a fingerprint to
show); ``resolver`` opens them right before a provider call. Nothing here returns a
secret except ``resolve``, and nothing here logs or audits one.
"""

from gatehouse.vault.credentials import (
    Fingerprint,
    Integration,
    IntegrationNotConnected,
    IntegrationStatus,
    IntegrationView,
    connect,
    describe,
    list_integrations,
    revoke,
    update,
)
from gatehouse.vault.envelope import SealRejected, VaultUnavailable
from gatehouse.vault.resolver import resolve
from gatehouse.vault.schemas import (
    MODELS,
    DncCredentials,
    EmailSenderCredentials,
    Provider,
    ProviderCredentials,
    TwilioCredentials,
    VoiceAgentCredentials,
    VoiceVendor,
)

__all__ = [
    "MODELS",
    "DncCredentials",
    "EmailSenderCredentials",
    "Fingerprint",
    "Integration",
    "IntegrationNotConnected",
    "IntegrationStatus",
    "IntegrationView",
    "Provider",
    "ProviderCredentials",
    "SealRejected",
    "TwilioCredentials",
    "VaultUnavailable",
    "VoiceAgentCredentials",
    "VoiceVendor",
    "connect",
    "describe",
    "list_integrations",
    "resolve",
    "revoke",
    "update",
]
