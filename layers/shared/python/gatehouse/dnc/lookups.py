"""Asking the tenant's commercial DNC provider, where the credentials may be opened.

``lookup_here`` resolves the tenant's DNC credentials and calls the provider adapter; only
a function whose role may decrypt can run it (the tenant gate, the webhooks, the
integration check). The API may not decrypt, so ``ask_check_function`` sends the numbers
(never credentials) to the integration check function, which runs ``lookup_here`` and
answers with a ``DncReply``. Both turn every failure into the reply's ``failure`` reason:
nothing here raises for vault, storage or provider trouble.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import AwareDatetime, ConfigDict, Field, ValidationError
from pynamodb.exceptions import PynamoDBException

from gatehouse.dnc.stamps import ScrubReason
from gatehouse.models import GatehouseModel
from gatehouse.observability import metrics
from gatehouse.providers import delegated
from gatehouse.providers.base import DNC_LOOKUP_MAX, DncReply, adapters
from gatehouse.tenancy import TenantScope
from gatehouse.vault.credentials import IntegrationNotConnected
from gatehouse.vault.envelope import SealRejected, VaultUnavailable
from gatehouse.vault.resolver import resolve
from gatehouse.vault.schemas import Provider

E164 = Field(pattern=r"^\+[1-9][0-9]{7,14}$")


class DncLookupRequest(GatehouseModel):
    """What the API sends the check function: the tenant and the numbers, never credentials."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    operation: Literal["dnc_lookup"] = "dnc_lookup"
    tenant_id: str = Field(pattern=r"^tnt_[a-z2-7]{26}$")
    numbers: list[str] = Field(min_length=1, max_length=DNC_LOOKUP_MAX)
    at: AwareDatetime  # the scrub's "now", so a pinned clock reaches the provider adapter


def lookup_here(scope: TenantScope, numbers: list[str], at: datetime) -> DncReply:
    """Open the tenant's DNC credentials for one provider call and ask about the numbers."""
    try:
        credentials = resolve(scope, Provider.DNC)
    except IntegrationNotConnected:
        return DncReply(failure=ScrubReason.NO_PROVIDER.value)
    except SealRejected:
        return _failed(ScrubReason.CREDENTIALS_UNREADABLE)
    except (VaultUnavailable, ClientError, BotoCoreError, PynamoDBException):
        return _failed(ScrubReason.PROVIDER_UNAVAILABLE)
    if credentials.api_key is None:
        # Connected as a registry since the caller looked: the caller scrubs again.
        return _failed(ScrubReason.PROVIDER_UNAVAILABLE)
    try:
        return adapters().lookup_dnc(scope.tenant_id, credentials, numbers, at=at)
    finally:
        del credentials


def ask_check_function(scope: TenantScope, numbers: list[str], at: datetime) -> DncReply:
    """Have the integration check function (which may decrypt) run ``lookup_here``."""
    request = DncLookupRequest(tenant_id=scope.tenant_id, numbers=numbers, at=at)
    try:
        return DncReply.model_validate(delegated.ask(request, what="DNC lookup"))
    except (delegated.NotAnswered, ValidationError):
        return _failed(ScrubReason.PROVIDER_UNAVAILABLE)


def _failed(reason: ScrubReason) -> DncReply:
    metrics.add_metric(name="DncProviderErrors", unit="Count", value=1)
    return DncReply(failure=reason.value)
