"""Passwordless sign-in: a one-time link by mail, exchanged for a session.

Asking for a link always gets the same answer and takes the same time, whether or not
the address belongs to anyone (no enumeration): the answer waits until a fixed floor
has passed. A link is sent only to an address with a membership (or a platform
operator's). Its token is valid for 15 minutes, works once (spent by a conditional
delete) and is stored only as a hash, removed by TTL. Requests are rate-limited per
address and per source IP; exchanges per source IP. Every refusal is logged without
the token and counted as a metric, and every refusal of a presented link has one message.

A session is bound to one tenant: with one membership it is that one; with several,
the person names the tenant when exchanging the link (the link is not spent until they
do). Operators may ask for the operator console instead, a session with no tenant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from gatehouse import mail
from gatehouse.audit.changes import record
from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.errors import Conflict, Forbidden, Invalid, Unauthorized
from gatehouse.identity import limits, sessions, tokens, two_factor
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.members import Membership
from gatehouse.identity.permissions import Role
from gatehouse.identity.tenants import TenantStatus, find_tenant
from gatehouse.identity.tokens import TokenKind
from gatehouse.identity.users import UserIdentity, find_user_by_email, get_user, normalize_email
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import GlobalRecord, get_directory

LINK_LIFETIME = timedelta(minutes=15)
# Known and unknown addresses answer no sooner than this, so timing says nothing either.
RESPONSE_FLOOR_SECONDS = 0.35
INVALID_LINK = "this sign-in link is invalid, used or expired; ask for a new one"


class SignInToken(GlobalRecord):
    collection = "TOKEN"

    digest: str
    user_id: str
    created_at: datetime
    expires_at: datetime

    def partition_id(self) -> str:
        return self.digest

    def sort_key(self) -> str:
        return "SIGN_IN"

    def expires(self) -> datetime | None:
        return self.expires_at


def request_link(
    email: str,
    *,
    source_ip: str | None,
    clock: Clock = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Mail a sign-in link if the address may sign in; the same outcome either way."""
    began = monotonic()
    try:
        address = normalize_email(email)
        limits.hit(limits.SIGN_IN_PER_SOURCE, source_ip or "unknown", clock=clock)
        limits.hit(limits.SIGN_IN_PER_ADDRESS, address, clock=clock)
        user = find_user_by_email(address)
        if user is None or not (user.is_operator or memberships_of(user.user_id)):
            _failed("no membership for the address")
            return
        token, digest = tokens.issue(TokenKind.SIGN_IN)
        now = clock()
        get_directory().save(
            SignInToken(digest=digest, user_id=user.user_id, created_at=now, expires_at=now + LINK_LIFETIME)
        )
        mail.send(_message(address, token))
    finally:
        remaining = RESPONSE_FLOOR_SECONDS - (monotonic() - began)
        if remaining > 0:
            sleep(remaining)


def exchange(
    token: str,
    *,
    tenant_id: str | None,
    operator_console: bool,
    request_id: str,
    source_ip: str | None,
    clock: Clock = utc_now,
) -> sessions.IssuedSession:
    """Spend a sign-in link for a new session (never an old one: no fixation)."""
    limits.hit(limits.EXCHANGE_PER_SOURCE, source_ip or "unknown", clock=clock)
    link = _live_link(token, clock)
    user = get_user(link.user_id)
    if user is None:
        raise _refused("identity gone")
    chosen, role = _choose_tenant(user, tenant_id, operator_console)
    try:
        get_directory().delete(link)  # conditional on the version read: only one exchange wins
    except Conflict as exc:
        raise _refused("spent concurrently") from exc
    pending = two_factor.pending_at_sign_in(user.user_id, chosen, role)
    issued = sessions.start(
        user.user_id, chosen, two_factor_pending=pending, source_ip=source_ip, clock=clock
    )
    if chosen is not None and role is not None:
        caller = Caller(
            tenant_id=chosen,
            role=role,
            principal_type=PrincipalType.USER,
            principal_id=user.user_id,
            request_id=request_id,
            source_ip=source_ip,
        )
        record(caller, "session.started", "session", issued.session.session_id)
    else:
        logger.info("operator console session started", extra={"operator": user.user_id})
    return issued


def memberships_of(user_id: str) -> list[tuple[str, Membership]]:
    return get_directory().find_in_tenants(Membership, f"USER#{user_id}")


def _choose_tenant(
    user: UserIdentity, tenant_id: str | None, operator_console: bool
) -> tuple[str | None, Role | None]:
    if operator_console:
        if not user.is_operator:
            raise Forbidden("the operator console is for platform operators")
        return None, None
    memberships = {tid: m for tid, m in memberships_of(user.user_id)}
    if tenant_id is not None:
        if tenant_id not in memberships:
            _failed("tenant not among the person's memberships")
            raise Forbidden("you are not a member of that tenant")
        return tenant_id, memberships[tenant_id].role
    if len(memberships) == 1:
        ((only, member),) = memberships.items()
        return only, member.role
    if not memberships and user.is_operator:
        return None, None
    choices = []
    for tid in sorted(memberships):
        entry = find_tenant(tid)
        if entry is not None and entry.status is TenantStatus.ACTIVE:
            choices.append({"tenant_id": tid, "name": entry.name})
    raise Invalid("you belong to several tenants: send tenant_id with the link token", details=choices)


def _live_link(token: str, clock: Clock) -> SignInToken:
    digest = tokens.digest_of(token, TokenKind.SIGN_IN)
    link = get_directory().get(SignInToken, digest, "SIGN_IN") if digest else None
    if link is None:
        raise _refused("unknown or used")
    if link.expires_at <= clock():
        raise _refused("expired")
    return link


def _failed(reason: str) -> None:
    logger.warning("sign-in failed", extra={"reason": reason})
    metrics.add_metric(name="SignInFailed", unit="Count", value=1)


def _refused(reason: str) -> Unauthorized:
    _failed(reason)
    return Unauthorized(INVALID_LINK)


def _message(address: str, token: str) -> mail.Message:
    origins = get_settings().allowed_origins
    link = f"{origins[0] if origins else ''}{mail.CONSOLE_PATH}/sign-in#token={token}"
    text = (
        f"Sign in to Gatehouse: {link}\n\n"
        f"Or send this token to POST /sign-in/session: {token}\n\n"
        f"It works once and expires in {int(LINK_LIFETIME.total_seconds() // 60)} minutes. "
        "If you did not ask to sign in, ignore this message."
    )
    return mail.Message(to=address, subject="Your Gatehouse sign-in link", text=text)
