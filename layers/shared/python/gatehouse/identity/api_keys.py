"""API keys: how HTTPS clients authenticate.

A key is ``ghk_<id>_<secret>``. It is shown once, when created; only the SHA-256
of its secret is stored (the secret is 256 random bits, so a fast hash is the right
one). Each key is bound to one tenant and one role, no higher than its creator's.
Two items per key: the tenant's record (name, role, times) and a global credential
(id -> tenant, role, hash) that authentication reads in one GetItem. Revoking
deletes the credential in the same transaction that marks the record, so a revoked
key stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, Forbidden, Unauthorized
from gatehouse.identity import trail
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Role
from gatehouse.identity.tenants import require_active_tenant
from gatehouse.ids import new_id
from gatehouse.tenancy import GlobalRecord, Page, TenantRecord, TenantScope, get_directory

_TOKEN = re.compile(r"^ghk_(?P<kid>[a-z2-7]{26})_(?P<secret>[A-Za-z0-9_-]{43})$")
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKey(TenantRecord):
    collection = "APIKEY"

    key_id: str
    name: str
    role: Role
    display_prefix: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def sort_key(self) -> str:
        return self.key_id


class ApiKeyCredential(GlobalRecord):
    collection = "APIKEY"

    key_id: str
    tenant_id: str
    role: Role
    secret_sha256: str

    def partition_id(self) -> str:
        return self.key_id

    def sort_key(self) -> str:
        return "CREDENTIAL"


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    token: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    scope: TenantScope, caller: Caller, *, name: str, role: Role, clock: Clock = utc_now
) -> IssuedKey:
    if not caller.role.at_least(role):
        raise Forbidden("you cannot create a key with a role above your own")
    key_id = new_id("key")
    secret = secrets.token_urlsafe(32)
    token = f"ghk_{key_id.removeprefix('key_')}_{secret}"
    record = ApiKey(
        key_id=key_id,
        name=name,
        role=role,
        display_prefix=token[:12],
        created_at=clock(),
        created_by=caller.actor,
    )
    credential = ApiKeyCredential(
        key_id=key_id, tenant_id=scope.tenant_id, role=role, secret_sha256=_digest(secret)
    )
    with trail.recorded(scope, caller, "api_key.created", "api_key", key_id, after=record) as txn:
        saved = txn.save(record)
        txn.save_global(credential)
    return IssuedKey(key=saved, token=token)


def list_api_keys(scope: TenantScope, *, limit: int, cursor: str | None) -> Page[ApiKey]:
    return scope.query(ApiKey, limit=limit, cursor=cursor)


def revoke_api_key(scope: TenantScope, caller: Caller, key_id: str, *, clock: Clock = utc_now) -> ApiKey:
    record = scope.require(ApiKey, key_id)
    if record.revoked_at is not None:
        raise Conflict("api key is already revoked")
    credential = get_directory().get(ApiKeyCredential, key_id, "CREDENTIAL")
    revoked = record.model_copy(update={"revoked_at": clock(), "revoked_by": caller.actor})
    with trail.recorded(
        scope, caller, "api_key.revoked", "api_key", key_id, before=record, after=revoked
    ) as txn:
        saved = txn.save(revoked)
        if credential is not None:
            txn.delete_global(credential)
    return saved


def authenticate_api_key(token: str, *, clock: Clock = utc_now) -> Caller:
    """Resolve a presented key to its caller, or Unauthorized with one message for every failure."""
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        raise Unauthorized("invalid or revoked API key")
    key_id = f"key_{match['kid']}"
    credential = get_directory().get(ApiKeyCredential, key_id, "CREDENTIAL")
    if credential is None or not hmac.compare_digest(credential.secret_sha256, _digest(match["secret"])):
        raise Unauthorized("invalid or revoked API key")
    require_active_tenant(credential.tenant_id)
    caller = Caller(
        tenant_id=credential.tenant_id,
        role=credential.role,
        principal_type=PrincipalType.API_KEY,
        principal_id=key_id,
    )
    _touch_last_used(TenantScope(credential.tenant_id), key_id, clock())
    return caller


def _touch_last_used(scope: TenantScope, key_id: str, now: datetime) -> None:
    """Track last use at one-minute resolution, so a busy key costs one write a minute, not one a call."""
    record = scope.get(ApiKey, key_id)
    if record is None or (record.last_used_at and now - record.last_used_at < LAST_USED_RESOLUTION):
        return
    try:
        scope.save(record.model_copy(update={"last_used_at": now}))
    except Conflict:
        return  # a concurrent request recorded the use already
