"""Where a tenant stands on Do-Not-Call scrubbing: provider, acknowledgment, registry freshness, warnings.

Read-only, and cheap: the integration record, the acknowledgment and the registry record
(three reads, whatever the number of area codes). Nothing is decrypted.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import ConfigDict

from gatehouse.clock import Clock, utc_now
from gatehouse.dnc import acknowledgment, registry
from gatehouse.dnc.acknowledgment import AcknowledgmentView
from gatehouse.dnc.registry import FRESH_FOR, LoadKind
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantScope

NO_PROVIDER_WARNING: Final = (
    "dnc-no-provider; no DNC provider is connected: every number scrubs as error and none is dialable"
)
REGISTRY_MISSING_WARNING: Final = (
    "dnc-registry-missing; no registry files are loaded under the connected reference"
)


class ProviderKind(StrEnum):
    NONE = "none"
    REGISTRY = "registry"
    HTTPS = "https"


class AreaFreshness(GatehouseModel):
    model_config = ConfigDict(frozen=True)

    area_code: str
    loaded_at: datetime
    stale_after: datetime
    fresh: bool
    version: int
    kind: LoadKind


class DncStatus(GatehouseModel):
    model_config = ConfigDict(frozen=True)

    provider: ProviderKind
    acknowledgment: AcknowledgmentView | None
    registry_ref: str | None  # the loaded registry's reference, for a DNC integration's registry_ref
    area_codes: list[AreaFreshness]
    warnings: list[str]


def dnc_status(scope: TenantScope, *, clock: Clock = utc_now) -> DncStatus:
    now = clock()
    integration = acknowledgment.provider_connected(scope)
    acknowledged = acknowledgment.current(scope)
    loaded = registry.current(scope)
    connected_ref = integration.settings.get("registry_ref") if integration else None
    provider = ProviderKind.NONE
    if integration is not None:
        provider = ProviderKind.REGISTRY if isinstance(connected_ref, str) else ProviderKind.HTTPS
    areas = [
        AreaFreshness(
            area_code=code,
            loaded_at=manifest.loaded_at,
            stale_after=manifest.loaded_at + FRESH_FOR,
            fresh=registry.is_fresh(manifest, now),
            version=manifest.version,
            kind=manifest.kind,
        )
        for code, manifest in sorted((loaded.areas if loaded else {}).items())
    ]
    warnings = _warnings(provider, acknowledged, loaded, connected_ref, areas)
    return DncStatus(
        provider=provider,
        acknowledgment=acknowledged,
        registry_ref=loaded.registry_ref if loaded else None,
        area_codes=areas,
        warnings=warnings,
    )


def _warnings(
    provider: ProviderKind,
    acknowledged: AcknowledgmentView | None,
    loaded: registry.DncRegistry | None,
    connected_ref: object,
    areas: list[AreaFreshness],
) -> list[str]:
    if provider is ProviderKind.NONE:
        if acknowledged is not None:
            return [acknowledgment.WARNING]
        return [
            "dnc-no-provider; no DNC provider is connected: every number scrubs as error and none is dialable"
        ]
    warnings: list[str] = []
    if provider is ProviderKind.REGISTRY:
        if loaded is None or loaded.registry_ref != connected_ref:
            warnings.append(
                "dnc-registry-missing; no registry files are loaded under the connected reference"
            )
        stale = [a.area_code for a in areas if not a.fresh]
        if stale:
            warnings.append(
                f"dnc-registry-stale; {len(stale)} area codes are older than 31 days and scrub as error: "
                + ",".join(stale)
            )
    return warnings
