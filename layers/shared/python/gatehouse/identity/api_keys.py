"""API keys: how HTTPS clients authenticate.

A key is ``ghk_<id>_<secret>``. It is shown once, when created; only the SHA-256
of its secret is stored (the secret is 256 random bits, so a fast hash is the right
one). Each key is bound to one tenant and one role, no higher than its creator's.
Two items per key: the tenant's record (name, role, times) and a global credential
(id -> tenant, role, hash) that authentication reads in one GetItem. Revoking
deletes the credential in the same transaction that marks the record, so a revoked
key stops working at once.

A key belongs to the member who created it (``owner_id``; a key created with a key
belongs to that key's owner): removing the member revokes their keys and demoting them
caps their keys' role (``gatehouse.identity.offboarding``). Acting on a key needs a rank
at least the key's role. A key may expire (``expires_at``). Rotating gives the key a new
secret; the old secret keeps working for ``ROTATION_GRACE`` (24 hours), long enough for a
client fleet to roll the new one out, short enough that a leaked old secret soon dies.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, Forbidden, Invalid, Unauthorized
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Role
from gatehouse.identity.tenants import require_active_tenant
from gatehouse.ids import new_id
from gatehouse.tenancy import GlobalRecord, Page, TenantRecord, TenantScope, get_directory
from gatehouse.tenancy.scope import ScopedTransaction

_TOKEN = re.compile(r"^ghk_(?P<kid>[a-z2-7]{26})_(?P<secret>[A-Za-z0-9_-]{43})$")
LAST_USED_RESOLUTION = timedelta(minutes=1)
ROTATION_GRACE = timedelta(hours=24)


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
    owner_id: str | None = None  # the member (user id) the key belongs to; None: an operator's
    expires_at: datetime | None = None
    rotated_at: datetime | None = None

    def sort_key(self) -> str:
        return self.key_id

    def owned_by(self, user_id: str) -> bool:
        """Keys made before owners were recorded belong to the person who created them."""
        return (self.owner_id or self.created_by.removeprefix("user:")) == user_id


class ApiKeyCredential(GlobalRecord):
    collection = "APIKEY"

    key_id: str
    tenant_id: str
    role: Role
    secret_sha256: str
    expires_at: datetime | None = None
    # After a rotation, the secret before it, accepted until ``previous_valid_until``.
    previous_sha256: str | None = None
    previous_valid_until: datetime | None = None

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
    scope: TenantScope,
    caller: Caller,
    *,
    name: str,
    role: Role,
    expires_at: datetime | None = None,
    clock: Clock = utc_now,
) -> IssuedKey:
    if not caller.role.at_least(role):
        raise Forbidden("you cannot create a key with a role above your own")
    now = clock()
    if expires_at is not None and expires_at <= now:
        raise Invalid("a key's expiry must be in the future")
    key_id = new_id("key")
    secret = _new_secret()
    token = f"ghk_{key_id.removeprefix('key_')}_{secret}"
    record = ApiKey(
        key_id=key_id,
        name=name,
        role=role,
        display_prefix=token[:12],
        created_at=now,
        created_by=caller.actor,
        owner_id=_owner_for(scope, caller),
        expires_at=expires_at,
    )
    credential = ApiKeyCredential(
        key_id=key_id,
        tenant_id=scope.tenant_id,
        role=role,
        secret_sha256=_digest(secret),
        expires_at=expires_at,
    )
    with audit.recorded(scope, caller, "api_key.created", "api_key", key_id, after=record) as txn:
        saved = txn.save(record)
        txn.save_global(credential)
    return IssuedKey(key=saved, token=token)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _owner_for(scope: TenantScope, caller: Caller) -> str | None:
    """The member a new key belongs to: the person creating it, or the owner of the key creating it."""
    if caller.principal_type is PrincipalType.USER:
        return caller.principal_id
    if caller.principal_type is PrincipalType.API_KEY:
        creator = scope.get(ApiKey, caller.principal_id)
        return creator.owner_id if creator is not None else None
    return None


def list_api_keys(scope: TenantScope, *, limit: int, cursor: str | None) -> Page[ApiKey]:
    return scope.query(ApiKey, limit=limit, cursor=cursor)


def _check_may_act_on(caller: Caller, record: ApiKey) -> None:
    if not caller.role.at_least(record.role):
        raise Forbidden("you cannot act on a key whose role is above your own")


def revoke_api_key(scope: TenantScope, caller: Caller, key_id: str, *, clock: Clock = utc_now) -> ApiKey:
    record = scope.require(ApiKey, key_id)
    _check_may_act_on(caller, record)
    if record.revoked_at is not None:
        raise Conflict("api key is already revoked")
    credential = get_directory().get(ApiKeyCredential, key_id, "CREDENTIAL")
    with audit.recorded(scope, caller, "api_key.revoked", "api_key", key_id, before=record) as txn:
        txn.after = saved = stage_revocation(txn, caller, record, credential, clock())
    return saved


def stage_revocation(
    txn: ScopedTransaction, caller: Caller, record: ApiKey, credential: ApiKeyCredential | None, now: datetime
) -> ApiKey:
    """Mark the key revoked and delete its credential, in ``txn`` (2 writes)."""
    saved = txn.save(record.model_copy(update={"revoked_at": now, "revoked_by": caller.actor}))
    if credential is not None:
        txn.delete_global(credential)
    return saved


def stage_role_cap(
    txn: ScopedTransaction, record: ApiKey, credential: ApiKeyCredential | None, role: Role
) -> ApiKey:
    """Lower the key's role to ``role`` (record and credential), in ``txn`` (2 writes)."""
    saved = txn.save(record.model_copy(update={"role": role}))
    if credential is not None:
        txn.save_global(credential.model_copy(update={"role": role}))
    return saved


def rotate_api_key(scope: TenantScope, caller: Caller, key_id: str, *, clock: Clock = utc_now) -> IssuedKey:
    """A new secret for the key; the one before it works for ``ROTATION_GRACE`` more."""
    record = scope.require(ApiKey, key_id)
    _check_may_act_on(caller, record)
    credential = get_directory().get(ApiKeyCredential, key_id, "CREDENTIAL")
    if record.revoked_at is not None or credential is None:
        raise Conflict("a revoked key cannot be rotated")
    now = clock()
    secret = _new_secret()
    token = f"ghk_{key_id.removeprefix('key_')}_{secret}"
    rotated = record.model_copy(update={"rotated_at": now, "display_prefix": token[:12]})
    renewed = credential.model_copy(
        update={
            "secret_sha256": _digest(secret),
            "previous_sha256": credential.secret_sha256,
            "previous_valid_until": now + ROTATION_GRACE,
        }
    )
    with audit.recorded(scope, caller, "api_key.rotated", "api_key", key_id, before=record) as txn:
        txn.after = saved = txn.save(rotated)
        txn.save_global(renewed)
    return IssuedKey(key=saved, token=token)


def keys_of(scope: TenantScope, user_id: str) -> list[ApiKey]:
    """The live keys that belong to a member (one partition, page by page: a tenant has few keys)."""
    found: list[ApiKey] = []
    cursor: str | None = None
    while True:
        page = scope.query(ApiKey, limit=100, cursor=cursor)
        found += [k for k in page.items if k.revoked_at is None and k.owned_by(user_id)]
        if page.cursor is None:
            return found
        cursor = page.cursor


def authenticate_api_key(token: str, *, clock: Clock = utc_now) -> Caller:
    """Resolve a presented key to its caller, or Unauthorized with one message for every failure."""
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        raise Unauthorized("invalid or revoked API key")
    key_id = f"key_{match['kid']}"
    credential = get_directory().get(ApiKeyCredential, key_id, "CREDENTIAL")
    now = clock()
    if credential is None or not _accepts(credential, _digest(match["secret"]), now):
        raise Unauthorized("invalid or revoked API key")
    require_active_tenant(credential.tenant_id)
    caller = Caller(
        tenant_id=credential.tenant_id,
        role=credential.role,
        principal_type=PrincipalType.API_KEY,
        principal_id=key_id,
    )
    _touch_last_used(TenantScope(credential.tenant_id), key_id, now)
    return caller


def _accepts(credential: ApiKeyCredential, digest: str, now: datetime) -> bool:
    if credential.expires_at is not None and now >= credential.expires_at:
        return False
    if hmac.compare_digest(credential.secret_sha256, digest):
        return True
    previous, until = credential.previous_sha256, credential.previous_valid_until
    in_grace = previous is not None and until is not None and now < until
    return in_grace and hmac.compare_digest(previous or "", digest)


def _touch_last_used(scope: TenantScope, key_id: str, now: datetime) -> None:
    """Track last use at one-minute resolution, so a busy key costs one write a minute, not one a call."""
    record = scope.get(ApiKey, key_id)
    if record is None or (record.last_used_at and now - record.last_used_at < LAST_USED_RESOLUTION):
        return
    try:
        scope.save(record.model_copy(update={"last_used_at": now}))
    except Conflict:
        return  # a concurrent request recorded the use already
