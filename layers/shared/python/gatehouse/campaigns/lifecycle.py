"""A campaign's lifecycle: draft → submitted → approved (→ scheduled) → running ⇄ paused → completed,
or cancelled.

Only an owner or admin starts an approved campaign or resumes a paused one (each starts
a dispatch run, ``gatehouse.dispatch.run.start_run``); only Gatehouse itself completes
one, when a run ends with nothing deferred left, and reopens a completed one when a call
it placed ended unanswered afterwards and its retry was deferred (``reopen_for_retry``).

Every transition is checked against one table, written with the version read (a
concurrent change loses with a Conflict) and audited with before and after, the
campaign and its audit entry in one transaction. A send
never starts itself: only an owner or admin approves, as a person who completed
two-factor when the tenant requires it (an API key never approves then), and never the
submitter when the tenant enables four-eyes. Editing an approved or paused campaign
sends it back to draft, so what runs is always what was approved; a running campaign
must be paused first.

A campaign with a ``start_at`` is scheduled when started early (``dispatch.scheduled``):
its one-time schedule starts it (``start_scheduled``, Gatehouse only). ``start_at`` and
``end_at`` must be in the future when a campaign is written, submitted or approved.
Leaving the scheduled state other than by starting (edited, cancelled) deletes the
schedule; the scheduled start refuses anything not scheduled in any case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from gatehouse import audit
from gatehouse.campaigns import schedules, timing
from gatehouse.campaigns.records import (
    Campaign,
    CampaignPolicy,
    CampaignSpec,
    CampaignStatus,
    Transition,
)
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, Forbidden, NotFound
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Permission
from gatehouse.identity.tenants import find_tenant
from gatehouse.identity.two_factor import SecurityPolicy
from gatehouse.ids import new_id
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import Page, TenantRecord, TenantScope
from gatehouse.voice import disclosures

S = CampaignStatus
# (from, action) -> to, and the permission the action needs.
TRANSITIONS: Final[dict[tuple[CampaignStatus, str], CampaignStatus]] = {
    (S.DRAFT, "submit"): S.SUBMITTED,
    (S.SUBMITTED, "approve"): S.APPROVED,
    (S.SUBMITTED, "reject"): S.DRAFT,
    (S.APPROVED, "start"): S.RUNNING,
    (S.APPROVED, "schedule"): S.SCHEDULED,
    (S.SCHEDULED, "start"): S.RUNNING,
    (S.SCHEDULED, "start_scheduled"): S.RUNNING,
    (S.SCHEDULED, "unschedule"): S.APPROVED,
    (S.RUNNING, "pause"): S.PAUSED,
    (S.RUNNING, "complete"): S.COMPLETED,
    (S.COMPLETED, "reopen_for_retry"): S.RUNNING,
    (S.PAUSED, "resume"): S.RUNNING,
    **{
        (status, "cancel"): S.CANCELLED
        for status in (S.DRAFT, S.SUBMITTED, S.APPROVED, S.SCHEDULED, S.RUNNING, S.PAUSED)
    },
}
PERMISSION_OF: Final = {
    "submit": Permission.CAMPAIGNS_WRITE,
    "approve": Permission.CAMPAIGNS_APPROVE,
    "reject": Permission.CAMPAIGNS_APPROVE,
    "pause": Permission.CAMPAIGNS_WRITE,
    "start": Permission.CAMPAIGNS_APPROVE,
    "schedule": Permission.CAMPAIGNS_APPROVE,
    "start_scheduled": Permission.CAMPAIGNS_WRITE,
    "unschedule": Permission.CAMPAIGNS_WRITE,
    "resume": Permission.CAMPAIGNS_APPROVE,
    "complete": Permission.CAMPAIGNS_WRITE,
    "reopen_for_retry": Permission.CAMPAIGNS_WRITE,
    "cancel": Permission.CAMPAIGNS_WRITE,
}
EDITABLE: Final = frozenset({S.DRAFT, S.SUBMITTED, S.APPROVED, S.SCHEDULED, S.PAUSED})
SYSTEM_ONLY: Final = frozenset({"complete", "reopen_for_retry", "start_scheduled", "unschedule"})
# The instants a person writes or approves must still lie ahead then.
TIMED: Final = frozenset({"submit", "approve"})


class CampaignNotFound(NotFound):
    code = "not_found"


class AuditedCampaign(GatehouseModel):
    campaign_id: str
    status: CampaignStatus
    name: str
    channel: str


def _audited(campaign: Campaign) -> AuditedCampaign:
    return AuditedCampaign(
        campaign_id=campaign.campaign_id,
        status=campaign.status,
        name=campaign.spec.name,
        channel=campaign.spec.channel.value,
    )


def create(scope: TenantScope, caller: Caller, spec: CampaignSpec, *, clock: Clock = utc_now) -> Campaign:
    """A new draft. A person kept to their campaigns creates none: it would be no campaign of theirs."""
    caller.require(Permission.CAMPAIGNS_WRITE)
    if scope.restricted:
        raise Forbidden("the tenant restricts you to your campaigns; an owner or admin creates campaigns")
    now = clock()
    timing.check(spec, now)
    _says_what_it_must(scope, spec)
    campaign = Campaign(
        campaign_id=new_id("cmp"),
        spec=spec,
        status=S.DRAFT,
        created_at=now,
        created_by=caller.actor,
        history=[Transition(status=S.DRAFT, at=now, by=caller.actor)],
    )
    with audit.recorded(
        scope, caller, "campaign.created", "campaign", campaign.campaign_id, after=_audited(campaign)
    ) as txn:
        saved = txn.save(campaign)
    return saved


def _says_what_it_must(scope: TenantScope, spec: CampaignSpec) -> None:
    """47 CFR 64.1200(b)(1)-(2): an artificial-voice call names its business and offers an opt-out."""
    if disclosures.required(spec):
        tenant = find_tenant(scope.tenant_id)
        disclosures.check(spec, tenant.name if tenant is not None else None)


def get(scope: TenantScope, campaign_id: str) -> Campaign:
    campaign = scope.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound("campaign not found")
    return campaign


def list_campaigns(scope: TenantScope, *, limit: int = 50, cursor: str | None = None) -> Page[Campaign]:
    return scope.query(Campaign, limit=limit, cursor=cursor, newest_first=True)


def edit(
    scope: TenantScope, caller: Caller, campaign_id: str, spec: CampaignSpec, *, clock: Clock = utc_now
) -> Campaign:
    """Replace the spec; an approved or paused campaign goes back to draft and needs approval again."""
    caller.require(Permission.CAMPAIGNS_WRITE)
    current = get(scope, campaign_id)
    if current.status not in EDITABLE:
        raise Conflict(f"a {current.status.value} campaign cannot be edited; pause it first")
    if spec == current.spec:
        return current
    now = clock()
    timing.check(spec, now)
    _says_what_it_must(scope, spec)
    back_to_draft = current.status is not S.DRAFT
    history = list(current.history)
    if back_to_draft:
        history.append(Transition(status=S.DRAFT, at=now, by=caller.actor, reason="edited"))
    edited = current.model_copy(
        update={
            "spec": spec,
            "status": S.DRAFT,
            "approved_by": None if back_to_draft else current.approved_by,
            "history": history,
        }
    )
    saved = _save_audited(scope, caller, "campaign.edited", current, edited)
    _forget_schedule(current, saved)
    return saved


def transition(
    scope: TenantScope,
    caller: Caller,
    campaign_id: str,
    action: str,
    *,
    reason: str | None = None,
    clock: Clock = utc_now,
) -> Campaign:
    permission = PERMISSION_OF.get(action)
    if permission is None:
        raise NotFound(f"no campaign action {action!r}")
    caller.require(permission)
    current = get(scope, campaign_id)
    changed = _moved(scope, caller, current, action, reason=reason, now=clock())
    saved = _save_audited(scope, caller, f"campaign.{_past(action)}", current, changed, reason=reason)
    _forget_schedule(current, saved)
    return saved


def _forget_schedule(before: Campaign, after: Campaign) -> None:
    """Cancelled or edited while scheduled: its schedule goes (a start's schedule deletes itself)."""
    if before.status is S.SCHEDULED and after.status in {S.CANCELLED, S.DRAFT}:
        schedules.delete_start(after.campaign_id)


def _moved(
    scope: TenantScope, caller: Caller, current: Campaign, action: str, *, reason: str | None, now: datetime
) -> Campaign:
    """The campaign after ``action``, checked against the table and who may take it; not yet written."""
    target = TRANSITIONS.get((current.status, action))
    if target is None:
        raise Conflict(f"a {current.status.value} campaign cannot be {_past(action)}")
    if action == "approve":
        _may_approve(scope, caller, current)
    if action in TIMED:
        timing.check(current.spec, now, where="campaign")
    if action in SYSTEM_ONLY and caller.principal_type is not PrincipalType.SYSTEM:
        raise Forbidden("only Gatehouse completes, reopens or starts on schedule; people pause or cancel")
    update: dict[str, object] = {
        "status": target,
        "history": [*current.history, Transition(status=target, at=now, by=caller.actor, reason=reason)],
    }
    if action == "submit":
        update["submitted_by"] = caller.actor
    if action == "approve":
        update["approved_by"] = caller.actor
    if action == "reject":
        update["approved_by"] = None
    return current.model_copy(update=update)


class AuditedTransition(AuditedCampaign):
    """What the audit keeps of a transition that was given a reason (a pause's code, say)."""

    reason: str


class RetryReopening(AuditedCampaign):
    """What the audit keeps of a reopening: the campaign, and the deferred retry that reopened it."""

    reason: str
    contact_id: str | None = None  # None: found by the run's end, which does not say whose retry
    retry_at: datetime | None = None


def reopen_for_retry(
    scope: TenantScope,
    caller: Caller,
    current: Campaign,
    *,
    reason: str,
    contact_id: str | None = None,
    retry_at: datetime | None = None,
    deferral: TenantRecord | None = None,
    clock: Clock = utc_now,
) -> Campaign:
    """Completed → running again (Gatehouse only), so the deferred-attempts job runs the retry.

    ``current`` is the campaign as the caller read it and decided on: the campaign, its
    audit entry and ``deferral`` (the contact's deferred outcome, when given) commit in one
    transaction on the versions read, so a concurrent change of either raises Conflict and
    nothing is written.
    """
    caller.require(PERMISSION_OF["reopen_for_retry"])
    changed = _moved(scope, caller, current, "reopen_for_retry", reason=reason, now=clock())
    why = RetryReopening(
        **_audited(changed).model_dump(), reason=reason, contact_id=contact_id, retry_at=retry_at
    )
    with audit.recorded(
        scope,
        caller,
        "campaign.reopened_for_retry",
        "campaign",
        current.campaign_id,
        before=_audited(current),
        after=why,
    ) as txn:
        saved = txn.save(changed)
        if deferral is not None:
            txn.save(deferral)
    return saved


def _save_audited(
    scope: TenantScope,
    caller: Caller,
    action: str,
    current: Campaign,
    changed: Campaign,
    *,
    reason: str | None = None,
) -> Campaign:
    """The changed campaign and its audit entry (before and after, with the reason given), in one transaction.

    The reason is a code (``dnc_source_failed``) or a person's words; the entry keeps it, and
    those who hear of a pause read its code there (``gatehouse.events``).
    """
    after = _audited(changed)
    with audit.recorded(
        scope,
        caller,
        action,
        "campaign",
        current.campaign_id,
        before=_audited(current),
        after=after if reason is None else AuditedTransition(**after.model_dump(), reason=reason),
    ) as txn:
        return txn.save(changed)


def _may_approve(scope: TenantScope, caller: Caller, campaign: Campaign) -> None:
    security = scope.get(SecurityPolicy, "security")
    if (
        security is not None
        and security.require_two_factor
        and (
            caller.principal_type is not PrincipalType.USER
            or caller.session_id is None
            or caller.two_factor_pending
        )
    ):
        raise Forbidden("this tenant requires approval by a person signed in with two-factor")
    policy = scope.get(CampaignPolicy, "campaigns")
    if policy is not None and policy.four_eyes and campaign.submitted_by == caller.actor:
        raise Forbidden("four-eyes: the submitter cannot approve their own campaign")


def set_policy(
    scope: TenantScope, caller: Caller, *, four_eyes: bool, clock: Clock = utc_now
) -> CampaignPolicy:
    caller.require(Permission.SECURITY_POLICY_MANAGE)
    current = scope.get(CampaignPolicy, "campaigns") or CampaignPolicy()
    changed = current.model_copy(
        update={"four_eyes": four_eyes, "changed_by": caller.actor, "changed_at": clock()}
    )
    with audit.recorded(
        scope, caller, "campaign_policy.changed", "policy", "campaigns", before=current, after=changed
    ) as txn:
        saved = txn.save(changed)
    return saved


def policy(scope: TenantScope) -> CampaignPolicy:
    return scope.get(CampaignPolicy, "campaigns") or CampaignPolicy()


def _past(action: str) -> str:
    return {
        "submit": "submitted",
        "approve": "approved",
        "reject": "rejected",
        "pause": "paused",
        "resume": "resumed",
        "cancel": "cancelled",
        "start": "started",
        "schedule": "scheduled",
        "start_scheduled": "started",
        "unschedule": "unscheduled",
        "complete": "completed",
        "reopen_for_retry": "reopened_for_retry",
    }[action]
