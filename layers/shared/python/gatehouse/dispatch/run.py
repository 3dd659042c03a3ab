"""A campaign run as the state machine carries it, and the first gate: the tenant's own state.

Step Functions payloads carry references only (ids), never secrets or contact data.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gatehouse.identity.tenants import require_active_tenant


class RunInput(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    tenant_id: str = Field(pattern=r"^tnt_[a-z2-7]{26}$")
    campaign_id: str = Field(min_length=1, max_length=64)


class TenantGateResult(BaseModel):
    tenant_id: str
    status: str


def check_tenant(run: RunInput) -> TenantGateResult:
    """Admit the run only for a known, active tenant; anything else raises and the run is blocked."""
    entry = require_active_tenant(run.tenant_id)
    return TenantGateResult(tenant_id=entry.tenant_id, status=entry.status.value)
