"""Checking a tenant's stored credentials against the provider, without the API ever decrypting them.

The API may only encrypt credentials, so ``request_check`` (API side) asks the
integration check function, which may decrypt, to run ``run_check``: the request
carries a reference (tenant id and provider), never a secret, and the answer carries
the outcome only. The API then audits the check. A check that cannot run fails
closed: it reports the integration as not verified and says why.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, ValidationError

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.providers import delegated
from gatehouse.providers.base import CheckResult, CheckStatus, adapters
from gatehouse.tenancy import TenantScope
from gatehouse.vault.credentials import IntegrationNotConnected, IntegrationStatus, describe
from gatehouse.vault.envelope import SealRejected, VaultUnavailable
from gatehouse.vault.resolver import resolve
from gatehouse.vault.schemas import Provider


class CheckRequest(GatehouseModel):
    """What the API sends the check function: a reference to the credentials, never the credentials."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str = Field(pattern=r"^tnt_[a-z2-7]{26}$")
    provider: Provider


def run_check(scope: TenantScope, provider: Provider, *, clock: Clock = utc_now) -> CheckResult:
    """Open the credentials for one provider call and ask the provider whether they work."""
    try:
        credentials = resolve(scope, provider)
    except SealRejected:
        status, detail = CheckStatus.UNREADABLE, "the stored credentials do not open; reconnect"
    else:
        status, detail = adapters().check(scope.tenant_id, credentials)
        del credentials
    metrics.add_metric(name=f"IntegrationCheck{status.value.title()}", unit="Count", value=1)
    logger.info(
        "integration checked",
        extra={"tenant_id": scope.tenant_id, "provider": provider.value, "status": status.value},
    )
    return CheckResult(provider=provider, status=status, detail=detail, checked_at=clock())


def request_check(scope: TenantScope, caller: Caller, provider: Provider) -> CheckResult:
    """Have the check function test the tenant's credentials; audit the outcome."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    if describe(scope, provider).status is not IntegrationStatus.CONNECTED:
        raise IntegrationNotConnected(f"{provider} is not connected")
    request = CheckRequest(tenant_id=scope.tenant_id, provider=provider)
    result = _invoke(request)
    audit.record(
        caller,
        "integration.tested",
        "integration",
        provider.value,
        after=result,
    )
    return result


def _invoke(request: CheckRequest) -> CheckResult:
    try:
        payload = delegated.ask(request, what="integration check")
    except delegated.NotAnswered as failed:
        if failed.error_type == "IntegrationNotConnected":
            raise IntegrationNotConnected(f"{request.provider} is not connected") from None
        raise VaultUnavailable("the credentials check could not be run; retry later") from None
    try:
        return CheckResult.model_validate(payload)
    except ValidationError:
        raise VaultUnavailable("the credentials check gave no usable answer; retry later") from None
