"""Credentials of ``TenantAccessRole`` for one tenant: the second wall, kept by IAM.

Every access to a tenant's items is signed with a session of ``TenantAccessRole`` assumed
with the session tag ``tenant=<tenant_id>``; the role's policy allows only keys that begin
with ``${aws:PrincipalTag/tenant}#`` (and the few global prefixes a tenant's own
transactions write), so a bug in the data door still cannot reach another tenant in AWS.
Function roles have no access of their own to tenant partitions.

Credentials are cached per container and per tenant and reused until ``REFRESH_BEFORE``
their expiry: one AssumeRole per tenant per container per credential lifetime. A lock per
tenant makes threads that need the same tenant at once (a batch's sends) wait for the one
call in flight instead of each making its own. Nothing here reads or writes a table.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from gatehouse.clients import aws_client
from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.errors import CrossTenantAccess, GatehouseError
from gatehouse.ids import is_tenant_id

TAG_KEY: Final = "tenant"
DURATION_SECONDS: Final = 3600  # the role's MaxSessionDuration
# Renewed this long before expiry, so a request or a batch never starts on credentials about to lapse.
REFRESH_BEFORE: Final = timedelta(minutes=10)


class TenantRoleUnavailable(GatehouseError):
    """No tenant role is configured: tenant data is not reached with the function's own credentials."""

    code = "tenant_role_unavailable"


@dataclass(frozen=True)
class TenantCredentials:
    tenant_id: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expires_at: datetime

    def fresh(self, now: datetime) -> bool:
        return now < self.expires_at - REFRESH_BEFORE


def assume(tenant_id: str) -> TenantCredentials:
    """One AssumeRole of the tenant role, tagged with the tenant (no cache: ``for_tenant`` caches)."""
    role_arn = get_settings().tenant_role_arn
    if not role_arn:
        raise TenantRoleUnavailable("GATEHOUSE_TENANT_ROLE_ARN is not set")
    answer = aws_client("sts").assume_role(
        RoleArn=role_arn,
        RoleSessionName=f"gatehouse-{tenant_id}",
        DurationSeconds=DURATION_SECONDS,
        Tags=[{"Key": TAG_KEY, "Value": tenant_id}],
    )
    issued = answer["Credentials"]
    expires = issued["Expiration"]
    if isinstance(expires, str):
        expires = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    return TenantCredentials(
        tenant_id=tenant_id,
        access_key_id=issued["AccessKeyId"],
        secret_access_key=issued["SecretAccessKey"],
        session_token=issued["SessionToken"],
        expires_at=expires.astimezone(UTC),
    )


class CredentialCache:
    """Per-tenant credentials of this container, renewed shortly before they expire."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._held: dict[str, TenantCredentials] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, tenant_id: str) -> TenantCredentials:
        if not is_tenant_id(tenant_id):
            raise CrossTenantAccess("not a tenant id")
        held = self._held.get(tenant_id)
        if held is not None and held.fresh(self._clock()):
            return held
        with self._guard:
            lock = self._locks.setdefault(tenant_id, threading.Lock())
        with lock:
            held = self._held.get(tenant_id)
            if held is None or not held.fresh(self._clock()):
                held = self._held[tenant_id] = assume(tenant_id)
                self._forget_expired()
            return held

    def _forget_expired(self) -> None:
        """Drop credentials no longer fresh: a container that served many tenants keeps no dead ones."""
        now = self._clock()
        with self._guard:
            for tenant_id in [t for t, c in self._held.items() if not c.fresh(now)]:
                del self._held[tenant_id]
                self._locks.pop(tenant_id, None)

    def clear(self) -> None:
        with self._guard:
            self._held.clear()


_cache = CredentialCache()


def for_tenant(tenant_id: str) -> TenantCredentials:
    """The tenant's scoped credentials, from this container's cache (AssumeRole when none are fresh)."""
    return _cache.get(tenant_id)


def forget_all() -> None:
    """Drop every cached credential (a new emulated account in tests; never needed in AWS)."""
    _cache.clear()
