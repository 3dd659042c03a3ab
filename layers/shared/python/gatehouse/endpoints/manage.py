"""A tenant's event endpoints as its owners and admins manage them: register, change, rotate, test, remove.

Every change commits with its audit entry (``event_endpoint.created``, ``updated``,
``enabled``, ``disabled``, ``secret_rotated``, ``deleted``, ``tested``); entries keep
the endpoint's host, types and state, never its secret or its full URL (a receiver's
URL may carry a token of its own). The signing secret is made here, sealed under the
tenant's data key for this endpoint alone and answered once (``Registered.secret``);
afterwards only its fingerprint is shown. This module never opens a secret: the
delivery does, at the moment it signs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.endpoints import fanout
from gatehouse.endpoints.records import (
    PING,
    DeliveryAttempt,
    EventEndpoint,
    SecretFingerprint,
    secret_purpose,
)
from gatehouse.endpoints.retries import RETRY_FOR
from gatehouse.endpoints.signing import new_secret
from gatehouse.endpoints.urls import UrlRefused, check_endpoint_url
from gatehouse.errors import Conflict, Invalid, NotFound
from gatehouse.events.occurrence import EventType, event_id_for
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.ids import is_entity_id, new_id
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import Page, TenantScope
from gatehouse.vault.envelope import get_envelope

MAX_ENDPOINTS: Final = 20  # per tenant: fan-out reads them all in one query


class EndpointView(GatehouseModel):
    """What a response shows of an endpoint: never a secret, only its fingerprint."""

    endpoint_id: str
    url: str
    event_types: list[EventType]
    description: str
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    fingerprint: SecretFingerprint
    previous_secret_valid_until: datetime | None
    last_success_at: datetime | None
    created_at: datetime
    created_by: str
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, record: EventEndpoint) -> EndpointView:
        return cls.model_validate(
            {
                **record.model_dump(include=set(cls.model_fields)),
                "previous_secret_valid_until": record.previous_valid_until,
            }
        )


class AuditedEndpoint(GatehouseModel):
    # What the audit log keeps of an endpoint: no secret, no path or query of its URL.
    host: str
    event_types: list[EventType]
    enabled: bool
    disabled_reason: str | None
    secret_set_at: datetime

    @classmethod
    def of(cls, record: EventEndpoint) -> AuditedEndpoint:
        return cls(
            host=urlsplit(record.url).hostname or "",
            event_types=record.event_types,
            enabled=record.enabled,
            disabled_reason=record.disabled_reason,
            secret_set_at=record.fingerprint.set_at,
        )


@dataclass(frozen=True)
class Registered:
    endpoint: EndpointView
    secret: str  # shown in this answer only


@dataclass(frozen=True)
class Changes:
    url: str | None = None
    event_types: Sequence[EventType] | None = None
    description: str | None = None
    enabled: bool | None = None


def register(
    scope: TenantScope,
    caller: Caller,
    url: str,
    event_types: Sequence[EventType],
    description: str = "",
    *,
    clock: Clock = utc_now,
) -> Registered:
    caller.require(Permission.INTEGRATIONS_MANAGE)
    types = _types(event_types)
    _check_url(url)
    if len(scope.query(EventEndpoint, limit=MAX_ENDPOINTS).items) >= MAX_ENDPOINTS:
        raise Conflict(f"a tenant may register at most {MAX_ENDPOINTS} endpoints")
    now = clock()
    endpoint_id = new_id("ep")
    secret = new_secret()
    record = EventEndpoint(
        endpoint_id=endpoint_id,
        url=url,
        event_types=types,
        description=description,
        enabled_since=now,
        sealed_secret=_seal(scope, endpoint_id, secret),
        fingerprint=SecretFingerprint(set_at=now, last4=secret[-4:]),
        created_at=now,
        created_by=caller.actor,
    )
    with audit.recorded(
        scope,
        caller,
        "event_endpoint.created",
        "event_endpoint",
        endpoint_id,
        after=AuditedEndpoint.of(record),
    ) as txn:
        saved = txn.save(record)
    fanout.forget_endpoints(scope.tenant_id)
    return Registered(EndpointView.of(saved), secret)


@dataclass(frozen=True)
class EndpointPage:
    items: list[EndpointView]
    cursor: str | None


def list_endpoints(scope: TenantScope, *, limit: int, cursor: str | None) -> EndpointPage:
    page = scope.query(EventEndpoint, limit=limit, cursor=cursor)
    return EndpointPage([EndpointView.of(r) for r in page.items], page.cursor)


def describe(scope: TenantScope, endpoint_id: str) -> EndpointView:
    return EndpointView.of(require(scope, endpoint_id))


def require(scope: TenantScope, endpoint_id: str) -> EventEndpoint:
    record = scope.get(EventEndpoint, endpoint_id) if is_entity_id(endpoint_id, "ep") else None
    if record is None:
        raise NotFound("no such event endpoint")
    return record


def update(
    scope: TenantScope, caller: Caller, endpoint_id: str, changes: Changes, *, clock: Clock = utc_now
) -> EndpointView:
    """Change the URL, the types, the description, or enable (re-enable) or disable the endpoint."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    current = require(scope, endpoint_id)
    now = clock()
    fields: dict[str, object] = {}
    if changes.url is not None and changes.url != current.url:
        _check_url(changes.url)
        fields["url"] = changes.url
    if changes.event_types is not None:
        fields["event_types"] = _types(changes.event_types)
    if changes.description is not None:
        fields["description"] = changes.description
    action = "event_endpoint.updated"
    if changes.enabled is not None and changes.enabled != current.enabled:
        action = "event_endpoint.enabled" if changes.enabled else "event_endpoint.disabled"
        fields |= _enabling(changes.enabled, now, reason=None if changes.enabled else "disabled_by_member")
    if not fields or all(getattr(current, k) == v for k, v in fields.items()):
        return EndpointView.of(current)
    changed = current.model_copy(update={**fields, "updated_at": now, "updated_by": caller.actor})
    saved = _save_audited(scope, caller, action, current, changed)
    return EndpointView.of(saved)


def disable_failing(scope: TenantScope, caller: Caller, current: EventEndpoint, *, now: datetime) -> None:
    """Gatehouse disables an endpoint that has failed for 24 hours (its owners are told of the entry)."""
    changed = current.model_copy(update=_enabling(False, now, reason="failing_24h"))
    _save_audited(scope, caller, "event_endpoint.disabled", current, changed)


def rotate_secret(
    scope: TenantScope, caller: Caller, endpoint_id: str, *, clock: Clock = utc_now
) -> Registered:
    """A new secret (answered once); the one before it keeps signing beside it for 24 hours."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    current = require(scope, endpoint_id)
    now = clock()
    secret = new_secret()
    changed = current.model_copy(
        update={
            "sealed_secret": _seal(scope, endpoint_id, secret),
            "fingerprint": SecretFingerprint(set_at=now, last4=secret[-4:]),
            "previous_sealed_secret": current.sealed_secret,
            "previous_valid_until": now + RETRY_FOR,
            "updated_at": now,
            "updated_by": caller.actor,
        }
    )
    saved = _save_audited(scope, caller, "event_endpoint.secret_rotated", current, changed)
    return Registered(EndpointView.of(saved), secret)


def delete(scope: TenantScope, caller: Caller, endpoint_id: str) -> EndpointView:
    """Remove the endpoint; deliveries still queued for it are dropped when they come up."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    current = require(scope, endpoint_id)
    with audit.recorded(
        scope,
        caller,
        "event_endpoint.deleted",
        "event_endpoint",
        endpoint_id,
        before=AuditedEndpoint.of(current),
    ) as txn:
        txn.delete(current)
    fanout.forget_endpoints(scope.tenant_id)
    return EndpointView.of(current)


def send_test(scope: TenantScope, caller: Caller, endpoint_id: str, *, clock: Clock = utc_now) -> str:
    """Queue a ``ping`` to the endpoint, enabled or not; the event id it will carry."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    current = require(scope, endpoint_id)
    now = clock()
    event_id = event_id_for(scope.tenant_id, PING, endpoint_id, new_id("png"))
    delivery = fanout.delivery_for(
        scope.tenant_id, current.endpoint_id, event_id, PING, at=now, data={"endpoint_id": endpoint_id}
    )
    with audit.recorded(
        scope,
        caller,
        "event_endpoint.tested",
        "event_endpoint",
        endpoint_id,
        after=AuditedEndpoint.of(current),
    ):
        pass  # the entry alone: nothing of the tenant's changes, and the ping is queued once it stands
    fanout.queue_deliveries([delivery])
    return event_id


def list_attempts(
    scope: TenantScope, endpoint_id: str, *, limit: int, cursor: str | None
) -> Page[DeliveryAttempt]:
    """The endpoint's delivery attempts, newest first (the last 30 days)."""
    require(scope, endpoint_id)
    return scope.query(
        DeliveryAttempt, prefix=f"{endpoint_id}#", limit=limit, cursor=cursor, newest_first=True
    )


def _save_audited(
    scope: TenantScope, caller: Caller, action: str, current: EventEndpoint, changed: EventEndpoint
) -> EventEndpoint:
    with audit.recorded(
        scope,
        caller,
        action,
        "event_endpoint",
        current.endpoint_id,
        before=AuditedEndpoint.of(current),
        after=AuditedEndpoint.of(changed),
    ) as txn:
        saved = txn.save(changed)
    fanout.forget_endpoints(scope.tenant_id)
    return saved


def _enabling(enabled: bool, now: datetime, *, reason: str | None) -> dict[str, object]:
    if enabled:
        return {"enabled": True, "enabled_since": now, "disabled_at": None, "disabled_reason": None}
    return {"enabled": False, "disabled_at": now, "disabled_reason": reason}


def _types(event_types: Sequence[EventType]) -> list[EventType]:
    types = list(dict.fromkeys(EventType(t) for t in event_types))
    if not types:
        raise Invalid("choose at least one event type", details=[{"field": "event_types", "reason": "empty"}])
    return types


def _check_url(url: str) -> None:
    try:
        check_endpoint_url(url)
    except UrlRefused as refused:
        raise Invalid(
            "the URL cannot be an event endpoint", details=[{"field": "url", "reason": str(refused)}]
        ) from None


def _seal(scope: TenantScope, endpoint_id: str, secret: str) -> str:
    return get_envelope().seal(
        secret.encode("ascii"), tenant_id=scope.tenant_id, purpose=secret_purpose(endpoint_id)
    )
