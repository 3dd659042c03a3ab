"""Whether a tenant's Do-Not-Call data has grown stale, recorded once per episode.

Loaded DNC files (the federal registry's area codes, when the connected provider is the
registry, and every state list loaded) are good for 31 days (16 CFR 310.4(b)(3)(iv));
past that their numbers scrub as errors and nobody is dialled, which the tenant's people
must hear of. ``check_staleness`` (the ``dnc_staleness`` job, hourly) opens an episode with
one audited ``dnc.data_stale`` when some list is past its limit, and closes it with
``dnc.data_refreshed`` once every list is fresh again; runs in between write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.dnc import state_lists
from gatehouse.dnc.registry import FRESH_FOR
from gatehouse.dnc.status import ProviderKind, dnc_status
from gatehouse.identity.caller import system
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantRecord, TenantScope


class DncStaleness(TenantRecord):
    """The open staleness episode, if any: when it began and what was stale then."""

    collection = "DNC_STALENESS"

    stale_since: datetime | None = None
    area_codes: list[str] = []
    states: list[str] = []

    def sort_key(self) -> str:
        return "STATE"


class StaleLists(GatehouseModel):
    """What the audit entry names: area codes and states (no number), and the oldest load."""

    area_codes: list[str]
    states: list[str]
    oldest_loaded_at: datetime | None


@dataclass(frozen=True)
class StalenessCheck:
    stale: bool
    opened: bool = False  # this run recorded the start of an episode
    closed: bool = False  # this run recorded its end


def stale_lists(scope: TenantScope, now: datetime) -> StaleLists:
    status = dnc_status(scope, clock=lambda: now)
    areas = [a for a in status.area_codes if not a.fresh] if status.provider is ProviderKind.REGISTRY else []
    loaded = state_lists.current(scope)
    states = sorted(
        (state, manifest.loaded_at)
        for state, manifest in (loaded.lists if loaded else {}).items()
        if now - manifest.loaded_at > FRESH_FOR
    )
    loads = [a.loaded_at for a in areas] + [at for _, at in states]
    return StaleLists(
        area_codes=[a.area_code for a in areas],
        states=[state for state, _ in states],
        oldest_loaded_at=min(loads) if loads else None,
    )


def check_staleness(scope: TenantScope, *, clock: Clock = utc_now) -> StalenessCheck:
    now = clock()
    found = stale_lists(scope, now)
    stale = bool(found.area_codes or found.states)
    current = scope.get(DncStaleness, "STATE") or DncStaleness()
    episode_open = current.stale_since is not None
    if stale == episode_open:
        return StalenessCheck(stale=stale)
    caller = system(scope.tenant_id, "dnc-staleness")
    if stale:
        changed = current.model_copy(
            update={"stale_since": now, "area_codes": found.area_codes, "states": found.states}
        )
        with audit.recorded(scope, caller, "dnc.data_stale", "dnc", "data", after=found) as txn:
            txn.save(changed)
        return StalenessCheck(stale=True, opened=True)
    cleared = current.model_copy(update={"stale_since": None, "area_codes": [], "states": []})
    with audit.recorded(scope, caller, "dnc.data_refreshed", "dnc", "data", after=found) as txn:
        txn.save(cleared)
    return StalenessCheck(stale=False, closed=True)
