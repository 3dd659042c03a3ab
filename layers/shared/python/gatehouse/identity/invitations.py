"""Invitations: the only way into a tenant (there is no open registration).

An owner or admin invites an address with a role; the invitee gets a one-time link
whose token is stored only as a hash (``TOKEN#<sha256>``, removed by TTL at expiry).
Accepting spends the token and creates the membership (and the person's global
identity when the address is new) in one transaction, so an invitation can never be
accepted twice. Ranks follow the membership rules: nobody invites above their own
role, and only an owner invites an owner. Audit entries name the invitation and the
role, never the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gatehouse import audit, mail
from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.errors import Conflict, Unauthorized
from gatehouse.identity import tokens
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.members import Membership, check_may_grant, join
from gatehouse.identity.permissions import Role
from gatehouse.identity.tenants import require_active_tenant
from gatehouse.identity.tokens import TokenKind
from gatehouse.identity.users import ensure_user, find_user_by_email, normalize_email
from gatehouse.ids import new_id
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import GlobalRecord, Page, TenantRecord, TenantScope, get_directory
from gatehouse.tenancy.scope import TransactionConflict

INVITATION_LIFETIME = timedelta(days=7)
# Spent and expired invitations stay listable for a while, then TTL removes them.
KEPT_AFTER_EXPIRY = timedelta(days=30)
INVALID = "this invitation is invalid, used, revoked or expired"


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


class Invitation(TenantRecord):
    collection = "INVITE"

    invitation_id: str
    email: str
    role: Role
    status: InvitationStatus = InvitationStatus.PENDING
    invited_by: str
    created_at: datetime
    expires_at: datetime
    accepted_by: str | None = None
    closed_at: datetime | None = None

    def sort_key(self) -> str:
        return self.invitation_id

    def expires(self) -> datetime | None:
        return self.expires_at + KEPT_AFTER_EXPIRY


class InvitationToken(GlobalRecord):
    """The hash of an invitation's token, pointing at the invitation; gone once spent."""

    collection = "TOKEN"

    digest: str
    tenant_id: str
    invitation_id: str
    expires_at: datetime

    def partition_id(self) -> str:
        return self.digest

    def sort_key(self) -> str:
        return "INVITATION"

    def expires(self) -> datetime | None:
        return self.expires_at


@dataclass(frozen=True)
class Accepted:
    tenant_id: str
    membership: Membership


def invite(
    scope: TenantScope, caller: Caller, *, email: str, role: Role, clock: Clock = utc_now
) -> Invitation:
    """Invite ``email`` as ``role``; the link goes to the address, never back to the inviter."""
    check_may_grant(caller, role)
    address = normalize_email(email)
    user = find_user_by_email(address)
    if user is not None and scope.get(Membership, user.user_id) is not None:
        raise Conflict("that address is already a member of this tenant")
    token, digest = tokens.issue(TokenKind.INVITATION)
    now = clock()
    invitation = Invitation(
        invitation_id=new_id("inv"),
        email=address,
        role=role,
        invited_by=caller.actor,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    lookup = InvitationToken(
        digest=digest,
        tenant_id=scope.tenant_id,
        invitation_id=invitation.invitation_id,
        expires_at=invitation.expires_at,
    )
    with audit.recorded(
        scope, caller, "invitation.created", "invitation", invitation.invitation_id, after=_view(invitation)
    ) as txn:
        saved = txn.save(invitation)
        txn.save_global(lookup)
    tenant = require_active_tenant(scope.tenant_id)
    mail.send(_message(address, tenant.name, role, token))
    return saved


def list_invitations(scope: TenantScope, *, limit: int, cursor: str | None) -> Page[Invitation]:
    return scope.query(Invitation, limit=limit, cursor=cursor)


def revoke(scope: TenantScope, caller: Caller, invitation_id: str, *, clock: Clock = utc_now) -> Invitation:
    invitation = scope.require(Invitation, invitation_id)
    if invitation.status is not InvitationStatus.PENDING:
        raise Conflict(f"invitation is already {invitation.status}")
    check_may_grant(caller, invitation.role)
    # The token's lookup item stays until its TTL: accepting reads this status first and refuses.
    closed = invitation.model_copy(update={"status": InvitationStatus.REVOKED, "closed_at": clock()})
    with audit.recorded(
        scope, caller, "invitation.revoked", "invitation", invitation_id, before=_view(invitation)
    ) as txn:
        saved = txn.save(closed)
        txn.after = _view(saved)
    return saved


def accept(token: str, *, request_id: str, source_ip: str | None, clock: Clock = utc_now) -> Accepted:
    """Spend an invitation token: the membership exists afterwards, or nothing changed."""
    lookup = _lookup(token, clock)
    scope = TenantScope(lookup.tenant_id)
    invitation = scope.get(Invitation, lookup.invitation_id)
    if invitation is None or invitation.status is not InvitationStatus.PENDING:
        raise _refused("not pending")
    require_active_tenant(lookup.tenant_id)
    user = ensure_user(invitation.email, clock=clock)
    if scope.get(Membership, user.user_id) is not None:
        raise Conflict("you are already a member of this tenant")
    accepted = invitation.model_copy(
        update={"status": InvitationStatus.ACCEPTED, "accepted_by": user.user_id, "closed_at": clock()}
    )
    caller = Caller(
        tenant_id=lookup.tenant_id,
        role=invitation.role,
        principal_type=PrincipalType.USER,
        principal_id=user.user_id,
        request_id=request_id,
        source_ip=source_ip,
    )
    after = AcceptedView(invitation_id=invitation.invitation_id, user_id=user.user_id, role=invitation.role)
    try:
        with audit.recorded(scope, caller, "invitation.accepted", "member", user.user_id, after=after) as txn:
            txn.delete_global(lookup)  # conditional on the version read: a second accept loses here
            txn.save(accepted)
            member = join(
                scope, txn, user_id=user.user_id, email=user.email, role=invitation.role, clock=clock
            )
    except TransactionConflict as exc:
        raise _refused("spent concurrently") from exc
    return Accepted(tenant_id=lookup.tenant_id, membership=member)


def _lookup(token: str, clock: Clock) -> InvitationToken:
    digest = tokens.digest_of(token, TokenKind.INVITATION)
    lookup = get_directory().get(InvitationToken, digest, "INVITATION") if digest else None
    if lookup is None:
        raise _refused("unknown")
    if lookup.expires_at <= clock():
        raise _refused("expired")
    return lookup


def _refused(reason: str) -> Unauthorized:
    logger.warning("invitation refused", extra={"reason": reason})
    metrics.add_metric(name="InvitationRefused", unit="Count", value=1)
    return Unauthorized(INVALID)


class InvitationView(GatehouseModel):
    """What the audit log keeps of an invitation: never the address, never the token."""

    invitation_id: str
    role: Role
    status: InvitationStatus
    invited_by: str
    expires_at: datetime
    accepted_by: str | None


class AcceptedView(GatehouseModel):
    invitation_id: str
    user_id: str
    role: Role


def _view(invitation: Invitation) -> InvitationView:
    return InvitationView.model_validate(invitation.model_dump(include=set(InvitationView.model_fields)))


def _message(address: str, tenant_name: str, role: Role, token: str) -> mail.Message:
    origins = get_settings().allowed_origins
    base = origins[0] if origins else ""
    # The token rides in the fragment, which browsers never send to a server or a log.
    link = f"{base}{mail.CONSOLE_PATH}/accept-invitation#token={token}"
    text = (
        f"You have been invited to join {tenant_name} on Gatehouse as {role}.\n\n"
        f"Accept the invitation: {link}\n\n"
        f"Or send this token to POST /invitations/accept: {token}\n\n"
        f"It works once and expires in {INVITATION_LIFETIME.days} days. If you did not expect it, ignore it."
    )
    return mail.Message(to=address, subject=f"Your invitation to {tenant_name} on Gatehouse", text=text)
