"""Campaigns of the caller's tenant: create, edit, list, and move through the approval lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from guards import caller, requires, scope
from pydantic import Field

from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignPolicy, CampaignSpec, CampaignStatus, Transition
from gatehouse.clock import utc_now
from gatehouse.contacts import checks
from gatehouse.dispatch import export, preflight, report, run, scheduled
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from routes.schemas import Cursor, PageLimit, StrictBody, documented, follow

router = Router()

CampaignId = Annotated[str, Path(pattern=r"^cmp_[a-z2-7]{26}$", description="campaign id")]


class CampaignOut(GatehouseModel):
    campaign_id: str
    status: CampaignStatus
    spec: CampaignSpec
    created_at: datetime
    created_by: str
    submitted_by: str | None
    approved_by: str | None
    history: list[Transition]
    assigned_members: list[str] = Field(description="who sees its contacts when access is scoped")
    version: int

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignOut:
        return cls.model_validate(campaign.model_dump(include=set(cls.model_fields)))


class CampaignPage(GatehouseModel):
    items: list[CampaignOut]
    next_cursor: str | None


class Reason(StrictBody):
    reason: Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]+$")] | None = None


class PolicyIn(StrictBody):
    four_eyes: bool


class PolicyOut(GatehouseModel):
    four_eyes: bool
    changed_by: str | None
    changed_at: datetime | None

    @classmethod
    def of(cls, policy: CampaignPolicy) -> PolicyOut:
        return cls(four_eyes=policy.four_eyes, changed_by=policy.changed_by, changed_at=policy.changed_at)


@router.post(
    "/campaigns",
    middlewares=requires(Permission.CAMPAIGNS_WRITE),
    summary="Create a campaign (a draft)",
    tags=["campaigns"],
    responses=documented(
        201,
        CampaignOut,
        400,
        links=follow(
            "campaign_id",
            GetCampaign=("get", "/campaigns/{campaign_id}"),
            EditCampaign=("put", "/campaigns/{campaign_id}"),
            Preflight=("get", "/campaigns/{campaign_id}/preflight"),
            Submit=("post", "/campaigns/{campaign_id}/submit"),
            Approve=("post", "/campaigns/{campaign_id}/approve"),
            Reject=("post", "/campaigns/{campaign_id}/reject"),
            Start=("post", "/campaigns/{campaign_id}/start"),
            Cancel=("post", "/campaigns/{campaign_id}/cancel"),
            Runs=("get", "/campaigns/{campaign_id}/runs"),
            Report=("get", "/campaigns/{campaign_id}/report"),
        ),
    ),
)
def create_campaign(spec: Annotated[CampaignSpec, Body()]) -> Response[CampaignOut]:
    created = lifecycle.create(scope(router), caller(router), spec)
    return Response(status_code=201, body=CampaignOut.of(created), content_type="application/json")


@router.get(
    "/campaigns",
    middlewares=requires(Permission.CAMPAIGNS_READ),
    summary="List campaigns",
    tags=["campaigns"],
    responses=documented(200, CampaignPage, 400),
)
def list_campaigns(limit: PageLimit = 50, cursor: Cursor = None) -> CampaignPage:
    page = lifecycle.list_campaigns(scope(router), limit=limit, cursor=cursor)
    return CampaignPage(items=[CampaignOut.of(c) for c in page.items], next_cursor=page.cursor)


@router.get(
    "/campaigns/<campaign_id>",
    middlewares=requires(Permission.CAMPAIGNS_READ),
    summary="Show a campaign and its history",
    tags=["campaigns"],
    responses=documented(200, CampaignOut, 404),
)
def get_campaign(campaign_id: CampaignId) -> CampaignOut:
    return CampaignOut.of(lifecycle.get(scope(router), campaign_id))


@router.put(
    "/campaigns/<campaign_id>",
    middlewares=requires(Permission.CAMPAIGNS_WRITE),
    summary="Replace a campaign's settings (an approved, scheduled or paused one goes back to draft)",
    tags=["campaigns"],
    responses=documented(200, CampaignOut, 400, 404, 409),
)
def edit_campaign(campaign_id: CampaignId, spec: Annotated[CampaignSpec, Body()]) -> CampaignOut:
    return CampaignOut.of(lifecycle.edit(scope(router), caller(router), campaign_id, spec))


def _move(campaign_id: str, action: str, reason: Reason | None) -> CampaignOut:
    moved = lifecycle.transition(
        scope(router), caller(router), campaign_id, action, reason=reason.reason if reason else None
    )
    return CampaignOut.of(moved)


@router.post(
    "/campaigns/<campaign_id>/submit",
    middlewares=requires(Permission.CAMPAIGNS_WRITE),
    summary="Submit a draft for approval",
    tags=["campaigns"],
    responses=documented(200, CampaignOut, 404, 409),
)
def submit_campaign(campaign_id: CampaignId) -> CampaignOut:
    return _move(campaign_id, "submit", None)


@router.post(
    "/campaigns/<campaign_id>/approve",
    middlewares=requires(Permission.CAMPAIGNS_APPROVE),
    summary="Approve a submitted campaign (owner or admin; two-factor and four-eyes where the tenant says)",
    tags=["campaigns"],
    responses=documented(200, CampaignOut, 404, 409),
)
def approve_campaign(campaign_id: CampaignId) -> CampaignOut:
    return _move(campaign_id, "approve", None)


@router.post(
    "/campaigns/<campaign_id>/reject",
    middlewares=requires(Permission.CAMPAIGNS_APPROVE),
    summary="Send a submitted campaign back to draft, with a reason",
    tags=["campaigns"],
    responses=documented(200, CampaignOut, 400, 404, 409),
)
def reject_campaign(campaign_id: CampaignId, reason: Annotated[Reason, Body()]) -> CampaignOut:
    return _move(campaign_id, "reject", reason)


@router.post(
    "/campaigns/<campaign_id>/cancel",
    middlewares=requires(Permission.CAMPAIGNS_WRITE),
    summary="Cancel a campaign for good (a scheduled one's schedule is deleted)",
    tags=["campaigns"],
    responses=documented(200, CampaignOut, 404, 409),
)
def cancel_campaign(campaign_id: CampaignId) -> CampaignOut:
    return _move(campaign_id, "cancel", None)


class RunOut(GatehouseModel):
    run_id: str
    campaign_id: str
    status: run.RunStatus
    started_at: datetime
    started_by: str
    finished_at: datetime | None
    reason: str | None
    counts: dict[str, int] = Field(description="the campaign's outcomes when the run ended")

    @classmethod
    def of(cls, record: run.DispatchRun) -> RunOut:
        return cls.model_validate(record.model_dump(include=set(cls.model_fields)))


class StartedOut(GatehouseModel):
    campaign: CampaignOut
    run: RunOut | None = Field(description="the dispatch run begun; null when the campaign was scheduled")
    scheduled_for: datetime | None = Field(
        default=None, description="when a scheduled campaign's run begins (its start_at); null: it runs now"
    )


class RunList(GatehouseModel):
    items: list[RunOut]


def _started(
    campaign: Campaign, started: run.DispatchRun | None, at: datetime | None
) -> Response[StartedOut]:
    body = StartedOut(
        campaign=CampaignOut.of(campaign), run=RunOut.of(started) if started else None, scheduled_for=at
    )
    return Response(status_code=202, body=body, content_type="application/json")


@router.post(
    "/campaigns/<campaign_id>/start",
    middlewares=requires(Permission.CAMPAIGNS_APPROVE),
    summary="Start an approved campaign (owner or admin): a dispatch run begins now, or, when its start_at"
    " lies ahead, it is scheduled and a one-time schedule begins the run then",
    tags=["campaigns"],
    responses=documented(202, StartedOut, 404, 409, 503),
)
def start_campaign(campaign_id: CampaignId) -> Response[StartedOut]:
    found = scheduled.start(scope(router), caller(router), campaign_id)
    return _started(found.campaign, found.run, found.scheduled_for)


@router.post(
    "/campaigns/<campaign_id>/pause",
    middlewares=requires(Permission.CAMPAIGNS_WRITE),
    summary="Pause a running campaign: batches not yet sent send nothing",
    tags=["campaigns"],
    responses=documented(200, CampaignOut, 404, 409),
)
def pause_campaign(campaign_id: CampaignId) -> CampaignOut:
    return _move(campaign_id, "pause", None)


@router.post(
    "/campaigns/<campaign_id>/resume",
    middlewares=requires(Permission.CAMPAIGNS_APPROVE),
    summary="Resume a paused campaign: a new dispatch run begins (owner or admin)",
    tags=["campaigns"],
    responses=documented(202, StartedOut, 404, 409, 503),
)
def resume_campaign(campaign_id: CampaignId) -> Response[StartedOut]:
    campaign, started = run.start_run(scope(router), caller(router), campaign_id, "resume")
    return _started(campaign, started, None)


@router.get(
    "/campaigns/<campaign_id>/runs",
    middlewares=requires(Permission.CAMPAIGNS_READ),
    summary="The campaign's dispatch runs, newest first, with how each ended",
    tags=["campaigns"],
    responses=documented(200, RunList, 404),
)
def list_runs(campaign_id: CampaignId) -> RunList:
    tenant = scope(router)
    lifecycle.get(tenant, campaign_id)  # 404 for another tenant's id
    return RunList(items=[RunOut.of(r) for r in run.list_runs(tenant, campaign_id)])


class OutcomeOut(GatehouseModel):
    contact_id: str
    status: str
    reason: str | None
    until: datetime | None
    attempts: int
    updated_at: datetime
    delivery_status: str | None = Field(description="what the provider reported of the last send")
    error_code: str | None = Field(description="the provider's error code when delivery failed")
    duration_seconds: int | None = Field(description="a call's length, once it ended")
    dnc_status: str | None = Field(
        default=None,
        description="the contact's DNC stamp when decided; unscrubbed: no DNC check at all (acknowledged)",
    )


class ReportOut(GatehouseModel):
    counts: dict[str, int] = Field(
        description="this page's outcomes by status (or status:reason), by delivery:<status>[:<code>],"
        " and dnc:unscrubbed for contacts reached without any DNC check"
    )
    items: list[OutcomeOut]
    next_cursor: str | None


class PreflightOut(GatehouseModel):
    campaign: list[str] = Field(
        description="reasons the whole campaign could not send now, approval aside (tenant, billing)"
    )
    counts: dict[str, int] = Field(
        description="this page's contacts by what the gates would decide now: pass, or <outcome>:<reason>"
    )
    opens: dict[str, datetime] = Field(description="for each deferred:<reason>, when the first of them opens")
    contacts: int = Field(description="contacts of the audience on this page")
    next_cursor: str | None


@router.get(
    "/campaigns/<campaign_id>/preflight",
    middlewares=requires(Permission.CAMPAIGNS_READ),
    summary="What every gate would decide now for the campaign's audience, a page at a time, before approval",
    tags=["campaigns"],
    responses=documented(200, PreflightOut, 400, 404),
)
def campaign_preflight(
    campaign_id: CampaignId, limit: Annotated[int, Query(ge=1, le=500)] = 500, cursor: Cursor = None
) -> PreflightOut:
    found = preflight.preflight(
        scope(router), campaign_id, utc_now(), checks.suppressed, limit=limit, cursor=cursor
    )
    return PreflightOut(
        campaign=found.campaign,
        counts=found.counts,
        opens=found.opens,
        contacts=found.contacts,
        next_cursor=found.cursor,
    )


@router.get(
    "/campaigns/<campaign_id>/report",
    middlewares=requires(Permission.CAMPAIGNS_READ),
    summary="Each contact's outcome (sent, send_failed, blocked with a reason, deferred until) and delivery",
    tags=["campaigns"],
    responses=documented(200, ReportOut, 400, 404),
)
def campaign_report(campaign_id: CampaignId, limit: PageLimit = 100, cursor: Cursor = None) -> ReportOut:
    tenant = scope(router)
    lifecycle.get(tenant, campaign_id)  # 404 for another tenant's id
    page = report.report(tenant, campaign_id, limit=limit, cursor=cursor)
    items = [
        OutcomeOut.model_validate(o.model_dump(include=set(OutcomeOut.model_fields))) for o in page.outcomes
    ]
    return ReportOut(counts=page.counts, items=items, next_cursor=page.cursor)


EXPORT_PAGE = 1000


@router.get(
    "/campaigns/<campaign_id>/report/export",
    middlewares=requires(Permission.CAMPAIGNS_READ),
    summary="The campaign report as CSV, a page at a time (next page: the Gatehouse-Next-Cursor header)",
    tags=["campaigns"],
    responses=documented(200, None, 400, 404, media=("text/csv",)),
)
def export_campaign_report(campaign_id: CampaignId, cursor: Cursor = None) -> Response[str]:
    tenant = scope(router)
    lifecycle.get(tenant, campaign_id)  # 404 for another tenant's id
    page = report.report(tenant, campaign_id, limit=EXPORT_PAGE, cursor=cursor)
    headers = {"Content-Disposition": f'attachment; filename="{campaign_id}-report.csv"'}
    if page.cursor:
        headers["Gatehouse-Next-Cursor"] = page.cursor
    body = "".join(export.csv_lines(page.outcomes, header=cursor is None))
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body, headers=headers)


@router.get(
    "/campaign-policy",
    middlewares=requires(Permission.CAMPAIGNS_READ),
    summary="The tenant's approval rules",
    tags=["campaigns"],
    responses=documented(200, PolicyOut),
)
def get_policy() -> PolicyOut:
    return PolicyOut.of(lifecycle.policy(scope(router)))


@router.put(
    "/campaign-policy",
    middlewares=requires(Permission.SECURITY_POLICY_MANAGE),
    summary="Set the tenant's approval rules (four-eyes: the submitter never approves)",
    tags=["campaigns"],
    responses=documented(200, PolicyOut, 400),
)
def set_policy(request: Annotated[PolicyIn, Body()]) -> PolicyOut:
    return PolicyOut.of(lifecycle.set_policy(scope(router), caller(router), four_eyes=request.four_eyes))
