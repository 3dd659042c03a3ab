"""An owner's acknowledgment that the tenant runs without a Do-Not-Call provider, and the warning it brings.

This module owns the ``DncAcknowledgment`` record (collection ``DNCACK``, sort key
``current``), recorded once by an owner who typed exactly ``WORDING`` and audited with
the owner's identity and the wording. While it exists and no DNC integration is
connected, numbers scrub as ``unscrubbed`` (dialable on the owner's word) instead of
``error``, and every API response carries ``WARNING``. Connecting a provider ends the
warning; revoking the provider brings it back, since the acknowledgment stands.

``unscrubbed_warning`` is on every API request's path, so it reads the acknowledgment
(and, only when there is one, the integration) at most once per tenant per
``WARNING_CACHE_SECONDS`` in a process: the header may lag a change by that long.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pydantic import ConfigDict

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Invalid
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.scope import TransactionConflict
from gatehouse.vault.credentials import Integration, IntegrationStatus
from gatehouse.vault.schemas import Provider

WORDING: Final = (
    "I acknowledge that this tenant has no Do-Not-Call provider connected. Numbers will not be "
    "checked against the National Do-Not-Call Registry or any other Do-Not-Call list before they "
    "are texted or called, and I accept responsibility for complying with Do-Not-Call rules until "
    "a provider is connected."
)
WARNING: Final = (
    "dnc-unscrubbed; no Do-Not-Call provider is connected and numbers are not scrubbed "
    "(acknowledged by an owner); connect a DNC integration"
)
WARNING_HEADER: Final = "Gatehouse-Warning"
WARNING_CACHE_SECONDS: Final = 30.0
CURRENT: Final = "current"


class DncAcknowledgment(TenantRecord):
    collection = "DNCACK"

    wording: str
    acknowledged_at: datetime
    acknowledged_by: str

    def sort_key(self) -> str:
        return CURRENT


class AcknowledgmentView(GatehouseModel):
    model_config = ConfigDict(frozen=True)

    wording: str
    acknowledged_at: datetime
    acknowledged_by: str

    @classmethod
    def of(cls, record: DncAcknowledgment) -> AcknowledgmentView:
        return cls(
            wording=record.wording,
            acknowledged_at=record.acknowledged_at,
            acknowledged_by=record.acknowledged_by,
        )


@dataclass(frozen=True)
class Acknowledged:
    acknowledgment: AcknowledgmentView
    created: bool  # False: an earlier acknowledgment stands and nothing was recorded


def acknowledge(scope: TenantScope, caller: Caller, wording: str, *, clock: Clock = utc_now) -> Acknowledged:
    """Record the owner's acknowledgment of exactly ``WORDING``; the first one stands."""
    caller.require(Permission.DNC_ACKNOWLEDGE)
    if wording != WORDING:
        raise Invalid(
            "wording must be exactly the text GET /dnc/acknowledgment publishes",
            details=[{"field": "wording", "reason": "does not match the published wording"}],
        )
    record = DncAcknowledgment(wording=WORDING, acknowledged_at=clock(), acknowledged_by=caller.actor)
    view = AcknowledgmentView.of(record)
    try:
        with audit.recorded(scope, caller, "dnc.acknowledged", "dnc", "acknowledgment", after=view) as txn:
            txn.save(record)
    except TransactionConflict:
        return Acknowledged(AcknowledgmentView.of(scope.require(DncAcknowledgment, CURRENT)), False)
    forget_warning(scope.tenant_id)
    return Acknowledged(view, True)


def current(scope: TenantScope) -> AcknowledgmentView | None:
    record = scope.get(DncAcknowledgment, CURRENT)
    return AcknowledgmentView.of(record) if record else None


def provider_connected(scope: TenantScope) -> Integration | None:
    """The tenant's connected DNC integration (settings only; nothing is decrypted)."""
    record = scope.get(Integration, Provider.DNC.value)
    return record if record is not None and record.status is IntegrationStatus.CONNECTED else None


def on_owners_word(scope: TenantScope) -> bool:
    """Whether an ``unscrubbed`` stamp may be relied on: acknowledged, and no provider connected since.

    A stamp made on the owner's word holds only while that word does. Once a DNC provider is
    connected (or the acknowledgment is gone), gate 4 asks the source again before anyone is
    reached, however recent the stamp.
    """
    return scope.get(DncAcknowledgment, CURRENT) is not None and provider_connected(scope) is None


_lock = threading.Lock()
_warnings: dict[str, tuple[float, str | None]] = {}


def unscrubbed_warning(tenant_id: str) -> str | None:
    """``WARNING`` while the tenant runs unscrubbed on an acknowledgment; cached per process."""
    now = time.monotonic()
    cached = _warnings.get(tenant_id)
    if cached is not None and now - cached[0] < WARNING_CACHE_SECONDS:
        return cached[1]
    scope = TenantScope(tenant_id)
    warning = None
    if on_owners_word(scope):
        warning = WARNING
    with _lock:
        _warnings[tenant_id] = (now, warning)
    return warning


def forget_warning(tenant_id: str | None = None) -> None:
    with _lock:
        if tenant_id is None:
            _warnings.clear()
        else:
            _warnings.pop(tenant_id, None)
