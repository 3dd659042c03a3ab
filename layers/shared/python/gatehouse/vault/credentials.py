"""Provider credentials of a tenant: validated, sealed, stored, shown only as a fingerprint.

This module owns the ``Integration`` record each tenant keeps per provider (collection
``INTEGRATION``, sort key = the provider name), the state changes on it (``connect``,
``update``, ``revoke``, each committed with its audit entry in one transaction) and the
read-only views ``describe`` and ``list_integrations``. What valid credentials look like
is ``gatehouse.vault.schemas``.

Stored item body (through the data door)::

    provider, status ("connected" | "revoked"),
    settings     the non-secret fields, in clear (e.g. account SID, sender numbers),
    sealed       ONE envelope message (base64) holding every secret field as JSON, sealed
                 under {"tenant": <tenant id>, "purpose": "provider:<provider>"}; None when
                 the provider has no secret or the integration is revoked,
    fingerprint  {"set_at", "last4": {<secret field>: <its last 4 characters>}},
    connected_at/by, updated_at/by, revoked_at/by.

It never returns, logs or audits a secret: views carry the fingerprint only (last four
characters, withheld for secrets under 16 characters), audit entries carry settings and
the names of the sealed fields, and validation errors never echo input. It never
decrypts: the API that calls it may encrypt only, so an update either keeps the sealed
secrets as they are or replaces all of them at once. Revoking deletes the sealed
secrets and the settings at once, keeping a tombstone so the integration reads "revoked".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import ConfigDict, JsonValue, ValidationError

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, Invalid, NotFound
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.vault.envelope import get_envelope
from gatehouse.vault.schemas import MODELS, SEALED_FIELDS, Provider, ProviderCredentials, problems

FINGERPRINT_MIN_LENGTH: Final = 16


class IntegrationStatus(StrEnum):
    CONNECTED = "connected"
    REVOKED = "revoked"


class IntegrationNotConnected(NotFound):
    """The tenant has no connected integration for the provider (never connected, or revoked)."""

    code = "integration_not_connected"


class Fingerprint(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    set_at: datetime
    last4: dict[str, str]


class Integration(TenantRecord):
    collection = "INTEGRATION"

    provider: Provider
    status: IntegrationStatus
    settings: dict[str, JsonValue] = {}
    sealed: str | None = None
    fingerprint: Fingerprint | None = None
    connected_at: datetime
    connected_by: str
    updated_at: datetime | None = None
    updated_by: str | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def sort_key(self) -> str:
        return self.provider.value

    def sealed_fields(self) -> frozenset[str]:
        return frozenset(self.fingerprint.last4) if self.fingerprint else frozenset()


class IntegrationView(GatehouseModel):
    """What a response, list or export may show: never a secret, at most its fingerprint."""

    provider: Provider
    status: IntegrationStatus
    settings: dict[str, JsonValue]
    fingerprint: Fingerprint | None
    connected_at: datetime
    connected_by: str
    updated_at: datetime | None
    updated_by: str | None
    revoked_at: datetime | None
    revoked_by: str | None
    version: int

    @classmethod
    def of(cls, record: Integration) -> IntegrationView:
        return cls.model_validate(record.model_dump(exclude={"sealed"}))


class _AuditedState(GatehouseModel):
    # What the audit log keeps of an integration: no ciphertext, no fingerprint characters.
    status: IntegrationStatus
    settings: dict[str, JsonValue]
    sealed_fields: list[str]
    set_at: datetime | None

    @classmethod
    def of(cls, record: Integration) -> _AuditedState:
        return cls(
            status=record.status,
            settings=record.settings,
            sealed_fields=sorted(record.sealed_fields()),
            set_at=record.fingerprint.set_at if record.fingerprint else None,
        )


Request = Mapping[str, Any] | ProviderCredentials


def connect(
    scope: TenantScope, caller: Caller, provider: Provider, request: Request, *, clock: Clock = utc_now
) -> IntegrationView:
    """Validate, seal and store a provider's credentials; Conflict when one is connected already."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    credentials = _parse(provider, request)
    existing = scope.get(Integration, provider.value)
    if existing is not None and existing.status is IntegrationStatus.CONNECTED:
        raise Conflict(f"{provider} is connected already; update or revoke it")
    now = clock()
    record = Integration(
        provider=provider,
        status=IntegrationStatus.CONNECTED,
        connected_at=now,
        connected_by=caller.actor,
        version=existing.version if existing else 0,
        **_sealed_parts(scope, provider, credentials, now),
    )
    with audit.recorded(
        scope, caller, "integration.connected", "integration", provider.value, after=_AuditedState.of(record)
    ) as txn:
        saved = txn.save(record)
    logger.info("integration connected", extra={"tenant_id": scope.tenant_id, "provider": provider.value})
    return IntegrationView.of(saved)


def update(
    scope: TenantScope,
    caller: Caller,
    provider: Provider,
    changes: Mapping[str, Any],
    *,
    clock: Clock = utc_now,
) -> IntegrationView:
    """Apply a merge patch: given fields replace, ``null`` clears; any secret given replaces them all.

    Without secrets in ``changes`` the sealed secrets stay as they are, so the new settings
    must still fit them (switching Twilio to an API key, say, needs the new secret too).
    """
    caller.require(Permission.INTEGRATIONS_MANAGE)
    current = _require_connected(scope, provider)
    model = MODELS[provider]
    unknown = sorted(set(changes) - set(model.model_fields))
    if unknown:
        raise Invalid("unknown fields", details=[{"field": f, "reason": "not a field"} for f in unknown])
    merged = {k: v for k, v in {**current.settings, **changes}.items() if v is not None}
    rekey = any(field in changes for field in model.secret_fields)
    now = clock()
    if rekey:
        parts = _sealed_parts(scope, provider, _parse(provider, merged), now)
    else:
        kept = _parse(provider, merged, sealed_fields=current.sealed_fields())
        if kept.settings() == current.settings:
            return IntegrationView.of(current)
        parts = {"settings": kept.settings()}
    updated = current.model_copy(update={**parts, "updated_at": now, "updated_by": caller.actor})
    with audit.recorded(
        scope,
        caller,
        "integration.updated",
        "integration",
        provider.value,
        before=_AuditedState.of(current),
        after=_AuditedState.of(updated),
    ) as txn:
        saved = txn.save(updated)
    logger.info("integration updated", extra={"tenant_id": scope.tenant_id, "provider": provider.value})
    return IntegrationView.of(saved)


def revoke(
    scope: TenantScope, caller: Caller, provider: Provider, *, clock: Clock = utc_now
) -> IntegrationView:
    """Delete the sealed secrets and settings at once; the integration then reads "revoked"."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    current = _require_connected(scope, provider)
    tombstone = current.model_copy(
        update={
            "status": IntegrationStatus.REVOKED,
            "settings": {},
            "sealed": None,
            "fingerprint": None,
            "revoked_at": clock(),
            "revoked_by": caller.actor,
        }
    )
    with audit.recorded(
        scope,
        caller,
        "integration.revoked",
        "integration",
        provider.value,
        before=_AuditedState.of(current),
        after=_AuditedState.of(tombstone),
    ) as txn:
        saved = txn.save(tombstone)
    logger.info("integration revoked", extra={"tenant_id": scope.tenant_id, "provider": provider.value})
    return IntegrationView.of(saved)


def describe(scope: TenantScope, provider: Provider) -> IntegrationView:
    record = scope.get(Integration, provider.value)
    if record is None:
        raise IntegrationNotConnected(f"{provider} has never been connected")
    return IntegrationView.of(record)


def list_integrations(scope: TenantScope) -> list[IntegrationView]:
    """Every integration the tenant has connected or revoked (one per provider, so one page)."""
    page = scope.query(Integration, limit=len(Provider))
    return [IntegrationView.of(record) for record in page.items]


def _require_connected(scope: TenantScope, provider: Provider) -> Integration:
    record = scope.get(Integration, provider.value)
    if record is None or record.status is not IntegrationStatus.CONNECTED:
        raise IntegrationNotConnected(f"{provider} is not connected")
    return record


def _parse(
    provider: Provider, request: Request, *, sealed_fields: frozenset[str] | None = None
) -> ProviderCredentials:
    model = MODELS[provider]
    if isinstance(request, ProviderCredentials):
        if not isinstance(request, model):
            raise Invalid(f"these are not {provider} credentials")
        return request
    context = None if sealed_fields is None else {SEALED_FIELDS: sealed_fields}
    try:
        return model.model_validate(request, context=context)
    except ValidationError as exc:
        raise Invalid(f"invalid {provider} credentials", details=problems(exc)) from None


def _sealed_parts(
    scope: TenantScope, provider: Provider, credentials: ProviderCredentials, now: datetime
) -> dict[str, Any]:
    secrets = credentials.secrets()
    if not secrets:
        return {"settings": credentials.settings(), "sealed": None, "fingerprint": None}
    sealed = get_envelope().seal(
        json.dumps(secrets, separators=(",", ":")).encode("utf-8"),
        tenant_id=scope.tenant_id,
        purpose=provider.purpose,
    )
    last4 = {name: _last4(value) for name, value in secrets.items()}
    return {
        "settings": credentials.settings(),
        "sealed": sealed,
        "fingerprint": Fingerprint(set_at=now, last4=last4),
    }


def _last4(value: str) -> str:
    # A fingerprint may show at most a quarter of a secret.
    return value[-4:] if len(value) >= FINGERPRINT_MIN_LENGTH else ""
