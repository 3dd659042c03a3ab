"""Browser sessions: 256-bit random tokens in an HttpOnly cookie, only their hash stored.

A session belongs to one person and one tenant (or, for a platform operator, to the
operator console); the role is read from the membership on every request, so a role
change or a removal takes effect at once. Sessions end at an absolute expiry, after an
idle timeout, at sign-out, and for every session of a person at "sign out everywhere"
(a timestamp on the identity makes that immediate, the index lists what to delete).
Every sign-in starts a new session; completing two-factor replaces the session too, so
a token seen before the second factor is worth nothing after it. Each session carries
the hash of its own CSRF token (see ``csrf``). Tokens are never logged or returned
except to the person who signs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, NotFound, Unauthorized
from gatehouse.identity import tokens
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.members import Membership
from gatehouse.identity.permissions import Role
from gatehouse.identity.tenants import require_active_tenant
from gatehouse.identity.tokens import TokenKind
from gatehouse.identity.users import UserIdentity, get_user
from gatehouse.ids import new_id
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import GlobalRecord, TenantScope, get_directory

LIFETIME = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(minutes=30)
TOUCH_RESOLUTION = timedelta(minutes=1)
MAX_LISTED = 100
ENDED = "your session is invalid or has ended; sign in again"


class Session(GlobalRecord):
    collection = "SESSION"

    digest: str
    session_id: str
    user_id: str
    # None: an operator's platform session, which reaches no tenant's data.
    tenant_id: str | None
    csrf_digest: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    two_factor_pending: bool = False
    support: bool = False
    source_ip: str | None = None

    def partition_id(self) -> str:
        return self.digest

    def sort_key(self) -> str:
        return "SESSION"

    def index_key(self) -> tuple[str, str] | None:
        return (f"SESSIONS#{self.user_id}", f"{self.created_at.isoformat()}#{self.session_id}")

    def expires(self) -> datetime | None:
        return self.expires_at


@dataclass(frozen=True)
class IssuedSession:
    session: Session
    token: str
    csrf_token: str


@dataclass(frozen=True)
class Authenticated:
    caller: Caller
    session: Session


def start(
    user_id: str,
    tenant_id: str | None,
    *,
    two_factor_pending: bool,
    source_ip: str | None,
    support: bool = False,
    lifetime: timedelta = LIFETIME,
    clock: Clock = utc_now,
) -> IssuedSession:
    token, digest = tokens.issue(TokenKind.SESSION)
    csrf_token, csrf_digest = tokens.issue(TokenKind.SESSION)
    now = clock()
    session = Session(
        digest=digest,
        session_id=new_id("ses"),
        user_id=user_id,
        tenant_id=tenant_id,
        csrf_digest=csrf_digest,
        created_at=now,
        last_seen_at=now,
        expires_at=now + min(lifetime, LIFETIME),
        two_factor_pending=two_factor_pending,
        support=support,
        source_ip=source_ip,
    )
    saved = get_directory().save(session)
    return IssuedSession(session=saved, token=token, csrf_token=csrf_token.removeprefix("ghs_"))


def authenticate(token: str, *, clock: Clock = utc_now) -> Authenticated:
    """The caller a session cookie names, or Unauthorized (one message for every failure)."""
    digest = tokens.digest_of(token, TokenKind.SESSION)
    session = get_directory().get(Session, digest, "SESSION") if digest else None
    if session is None:
        raise _ended("unknown")
    now = clock()
    if now >= session.expires_at or now - session.last_seen_at >= IDLE_TIMEOUT:
        _forget(session)
        raise _ended("expired")
    user = get_user(session.user_id)
    if user is None or (user.sessions_revoked_at and session.created_at <= user.sessions_revoked_at):
        raise _ended("revoked")
    caller = _caller(session, user)
    _touch(session, now)
    return Authenticated(caller=caller, session=session)


def _caller(session: Session, user: UserIdentity) -> Caller:
    # Operators' sessions (console, or support inside a tenant) hold only while the flag does;
    # support may look into a suspended tenant, often why support is there. Members may not.
    if session.tenant_id is None or session.support:
        if not user.is_operator:
            raise _ended("operator flag withdrawn")
        tenant_id, role, principal = session.tenant_id or "", Role.OWNER, PrincipalType.OPERATOR
    else:
        require_active_tenant(session.tenant_id)
        member = TenantScope(session.tenant_id).get(Membership, user.user_id)
        if member is None:
            raise _ended("no longer a member")
        tenant_id, role, principal = session.tenant_id, member.role, PrincipalType.USER
    return Caller(
        tenant_id=tenant_id,
        role=role,
        principal_type=principal,
        principal_id=user.user_id,
        session_id=session.session_id,
        two_factor_pending=session.two_factor_pending,
        read_only=session.support,
        platform=session.tenant_id is None,
    )


def end(session: Session) -> None:
    _forget(session)


def end_everywhere(user_id: str, *, clock: Clock = utc_now) -> int:
    """End every session of a person; returns how many were deleted (the rest are refused anyway)."""
    directory = get_directory()
    user = get_user(user_id)
    if user is None:
        raise NotFound("no such person")
    directory.save(user.model_copy(update={"sessions_revoked_at": clock()}))
    ended = 0
    for session in list_sessions(user_id):
        _forget(session)
        ended += 1
    return ended


def end_one(user_id: str, session_id: str) -> Session:
    """End one of the person's own sessions; another person's session id is simply not found."""
    for session in list_sessions(user_id):
        if session.session_id == session_id:
            _forget(session)
            return session
    raise NotFound("session not found")


def list_sessions(user_id: str) -> list[Session]:
    page = get_directory().query_index(Session, f"SESSIONS#{user_id}", limit=MAX_LISTED)
    return [s for s in page.items if s.user_id == user_id]


def replace(session: Session, *, two_factor_pending: bool, clock: Clock = utc_now) -> IssuedSession:
    """A new session in place of ``session`` (after two-factor): the old token stops working."""
    issued = start(
        session.user_id,
        session.tenant_id,
        two_factor_pending=two_factor_pending,
        source_ip=session.source_ip,
        support=session.support,
        lifetime=session.expires_at - clock(),
        clock=clock,
    )
    _forget(session)
    return issued


def _touch(session: Session, now: datetime) -> None:
    if now - session.last_seen_at < TOUCH_RESOLUTION:
        return
    try:
        get_directory().save(session.model_copy(update={"last_seen_at": now}))
    except Conflict:
        return  # a concurrent request recorded the activity already


def _forget(session: Session) -> None:
    """Delete the session, whatever version a concurrent touch has moved it to."""
    directory = get_directory()
    current: Session | None = session
    for _ in range(5):
        if current is None:
            return
        try:
            directory.delete(current)
            return
        except Conflict:
            current = directory.get(Session, session.digest, "SESSION")
    raise Conflict("the session is busy; try signing out again")


def _ended(reason: str) -> Unauthorized:
    logger.info("session refused", extra={"reason": reason})
    metrics.add_metric(name="SessionRefused", unit="Count", value=1)
    return Unauthorized(ENDED)
