"""TOTP two-factor (RFC 6238, pyotp): enrol, confirm, verify at sign-in, recovery codes, disable.

A person has at most one authenticator, whatever tenants they belong to; its secret is
sealed with the vault envelope under the context ``{"tenant": <user id>, "purpose":
"totp"}`` (the secret belongs to a person, so the person's id takes the tenant's slot:
a sealed secret copied onto another person does not open). Only the API may decrypt,
and only with purpose ``totp`` (template.yaml, DataKey policy).

A code is accepted once: the time step it matched is stored, and only later steps are
accepted afterwards (written with an optimistic lock, so two requests racing with one
code cannot both pass). Attempts are rate-limited per person. Recovery codes are shown
once and stored as SHA-256 digests; each works once. A tenant's policy can require
two-factor for the roles ``permissions.needs_two_factor`` names; such a person's
session can only complete two-factor until they do.
"""

from __future__ import annotations

import base64
import hmac
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp

from gatehouse.audit.changes import recorded
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, Forbidden, Invalid
from gatehouse.identity import limits, tokens
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Role, needs_two_factor
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import GlobalRecord, TenantRecord, TenantScope, get_directory
from gatehouse.vault.envelope import get_envelope

PURPOSE = "totp"
ISSUER = "Gatehouse"
STEP_SECONDS = 30
RECOVERY_CODES = 10
WRONG_CODE = "that code is not valid: wrong, expired or already used"
_CODE = re.compile(r"^\d{6}$")


class TwoFactor(GlobalRecord):
    collection = "USER"

    user_id: str
    sealed_secret: str
    created_at: datetime
    confirmed_at: datetime | None = None
    last_step: int = 0
    recovery_digests: list[str] = []

    def partition_id(self) -> str:
        return self.user_id

    def sort_key(self) -> str:
        return "TWO_FACTOR"


class SecurityPolicy(TenantRecord):
    collection = "POLICY"

    require_two_factor: bool = False
    changed_by: str | None = None
    changed_at: datetime | None = None

    def sort_key(self) -> str:
        return "security"


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str

    def qr_png(self) -> bytes:
        """The app's link as a QR code (PNG) an authenticator app scans: it holds the secret."""
        import segno  # noqa: PLC0415 - only an enrolment draws one

        buffer = io.BytesIO()
        segno.make(self.otpauth_uri, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
        return buffer.getvalue()


def enrol(user_id: str, account_name: str, *, clock: Clock = utc_now) -> Enrolment:
    """Start (or restart) enrolment: a new secret, shown once; it counts only once confirmed."""
    directory = get_directory()
    existing = directory.get(TwoFactor, user_id, "TWO_FACTOR")
    if existing is not None and existing.confirmed_at is not None:
        raise Conflict("two-factor is already enabled; disable it first to enrol a new authenticator")
    secret = pyotp.random_base32()
    sealed = get_envelope().seal(secret.encode(), tenant_id=user_id, purpose=PURPOSE)
    fresh = TwoFactor(user_id=user_id, sealed_secret=sealed, created_at=clock())
    if existing is not None:
        fresh = fresh.model_copy(update={"version": existing.version})
    directory.save(fresh)
    uri = pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)
    return Enrolment(secret=secret, otpauth_uri=uri)


def confirm(user_id: str, code: str, *, clock: Clock = utc_now) -> list[str]:
    """Confirm enrolment with a first code; returns the recovery codes (shown this once)."""
    limits.hit(limits.TWO_FACTOR_PER_USER, user_id, clock=clock)
    found = get_directory().get(TwoFactor, user_id, "TWO_FACTOR")
    if found is None or found.confirmed_at is not None:
        raise Conflict("there is no enrolment waiting for confirmation")
    step = _matching_step(found, code, clock())
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    confirmed = found.model_copy(
        update={
            "confirmed_at": clock(),
            "last_step": step,
            "recovery_digests": [tokens.digest(_normal(c)) for c in codes],
        }
    )
    _save_or_refuse(confirmed)
    return codes


def verify(
    user_id: str, *, code: str | None = None, recovery_code: str | None = None, clock: Clock = utc_now
) -> None:
    """Prove the second factor with a fresh code or an unused recovery code."""
    limits.hit(limits.TWO_FACTOR_PER_USER, user_id, clock=clock)
    found = enabled(user_id)
    if found is None:
        raise Conflict("two-factor is not enabled; enrol first (POST /account/two-factor)")
    if code is not None:
        step = _matching_step(found, code, clock())
        _save_or_refuse(found.model_copy(update={"last_step": step}))
        return
    digest = tokens.digest(_normal(recovery_code or ""))
    if not any(hmac.compare_digest(digest, d) for d in found.recovery_digests):
        raise _refused("recovery code")
    remaining = [d for d in found.recovery_digests if d != digest]
    _save_or_refuse(found.model_copy(update={"recovery_digests": remaining}))


def disable(caller: Caller, code: str, *, roles_in_tenant: Role | None, clock: Clock = utc_now) -> None:
    """Turn two-factor off with a fresh code, unless the tenant's policy requires it for this person."""
    if roles_in_tenant is not None and required_by_policy(caller.tenant_id, roles_in_tenant):
        raise Forbidden("your tenant requires two-factor for your role; it cannot be disabled")
    verify(caller.principal_id, code=code, clock=clock)
    found = enabled(caller.principal_id)
    if found is not None:
        get_directory().delete(found)


def enabled(user_id: str) -> TwoFactor | None:
    found = get_directory().get(TwoFactor, user_id, "TWO_FACTOR")
    return found if found is not None and found.confirmed_at is not None else None


def pending_at_sign_in(user_id: str, tenant_id: str | None, role: Role | None) -> bool:
    """Whether a new session must complete two-factor before it may do anything else."""
    if enabled(user_id) is not None or tenant_id is None:
        return True  # enrolled people always prove it; operators' console always needs it
    return role is not None and required_by_policy(tenant_id, role)


def required_by_policy(tenant_id: str, role: Role) -> bool:
    policy = TenantScope(tenant_id).get(SecurityPolicy, "security")
    return policy is not None and policy.require_two_factor and needs_two_factor(role)


def get_policy(scope: TenantScope) -> SecurityPolicy:
    return scope.get(SecurityPolicy, "security") or SecurityPolicy()


def set_policy(
    scope: TenantScope, caller: Caller, *, require_two_factor: bool, clock: Clock = utc_now
) -> SecurityPolicy:
    current = get_policy(scope)
    changed = current.model_copy(
        update={"require_two_factor": require_two_factor, "changed_by": caller.actor, "changed_at": clock()}
    )
    with recorded(
        scope, caller, "security_policy.changed", "security_policy", "security", before=current, after=changed
    ) as txn:
        saved = txn.save(changed)
    return saved


def _matching_step(found: TwoFactor, code: str, now: datetime) -> int:
    if not _CODE.fullmatch(code):
        raise _refused("malformed code")
    secret = get_envelope().open(found.sealed_secret, tenant_id=found.user_id, purpose=PURPOSE).decode()
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    # One step of clock drift either way; never a step at or before the last one accepted.
    for step in (current - 1, current, current + 1):
        if step > found.last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    raise _refused("wrong or reused code")


def _save_or_refuse(changed: TwoFactor) -> None:
    try:
        get_directory().save(changed)
    except Conflict as exc:
        raise _refused("raced by another use") from exc


def _recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _normal(code: str) -> str:
    return code.replace("-", "").replace(" ", "").strip().lower()


def _refused(reason: str) -> Invalid:
    logger.warning("two-factor refused", extra={"reason": reason})
    metrics.add_metric(name="TwoFactorRefused", unit="Count", value=1)
    return Invalid(WRONG_CODE)
