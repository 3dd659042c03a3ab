"""Calls of the caller's tenant: a contact's or a campaign's, filtered by outcome, as CSV; a call's
transcript by turns; its recording as a short-lived link (audited)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from guards import caller, requires, scope

from gatehouse.campaigns import lifecycle
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.voice import calls, recordings
from gatehouse.voice.calls import CallOutcome, CallPage, CallView, TranscriptPage
from routes.schemas import Cursor, PageLimit, documented

router = Router()

ContactId = Annotated[str, Path(pattern=r"^con_[a-z2-7]{26}$", description="contact id")]
CampaignId = Annotated[str, Path(pattern=r"^cmp_[a-z2-7]{26}$", description="campaign id")]
CallId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,128}$", description="the vendor's call id")]
OutcomeFilter = Annotated[CallOutcome | None, Query(description="only calls that came to this outcome")]
EXPORT_PAGE = 500


class CallList(GatehouseModel):
    items: list[CallView]
    next_cursor: str | None


def _listed(page: CallPage) -> CallList:
    return CallList(items=page.items, next_cursor=page.cursor)


def _csv(page: CallPage, name: str, first: bool) -> Response[str]:
    headers = {"Content-Disposition": f'attachment; filename="{name}-calls.csv"', "Cache-Control": "no-store"}
    if page.cursor:
        headers["Gatehouse-Next-Cursor"] = page.cursor
    body = "".join(calls.csv_lines(page, header=first))
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body, headers=headers)


@router.get(
    "/contacts/<contact_id>/calls",
    middlewares=requires(Permission.CALLS_READ),
    summary="The contact's calls: status, outcome, duration, summary, sentiment, cost, transcript excerpt",
    tags=["calls"],
    responses=documented(200, CallList, 400, 404),
)
def contact_calls(
    contact_id: ContactId, outcome: OutcomeFilter = None, limit: PageLimit = 50, cursor: Cursor = None
) -> CallList:
    return _listed(
        calls.contact_calls(scope(router), contact_id, outcome=outcome, limit=limit, cursor=cursor)
    )


@router.get(
    "/contacts/<contact_id>/calls/export",
    middlewares=requires(Permission.CALLS_EXPORT),
    summary="The contact's calls as CSV with full transcripts, a page at a time (Gatehouse-Next-Cursor)",
    tags=["calls"],
    responses=documented(200, None, 400, 404, media=("text/csv",)),
)
def export_contact_calls(
    contact_id: ContactId, outcome: OutcomeFilter = None, cursor: Cursor = None
) -> Response[str]:
    page = calls.contact_calls(scope(router), contact_id, outcome=outcome, limit=EXPORT_PAGE, cursor=cursor)
    return _csv(page, contact_id, cursor is None)


@router.get(
    "/contacts/<contact_id>/calls/<call_id>/transcript",
    middlewares=requires(Permission.CALLS_READ),
    summary="A call's transcript, a page of turns at a time",
    tags=["calls"],
    responses=documented(200, TranscriptPage, 400, 404),
)
def call_transcript(
    contact_id: ContactId,
    call_id: CallId,
    limit: Annotated[int, Query(ge=1, le=200, description="turns per page")] = 50,
    cursor: Cursor = None,
) -> TranscriptPage:
    return calls.transcript(scope(router), contact_id, call_id, limit=limit, cursor=cursor)


@router.get(
    "/contacts/<contact_id>/calls/<call_id>/recording",
    middlewares=requires(Permission.RECORDINGS_PLAY),
    summary="A link that plays the call's recording for 5 minutes (owner or admin; every playback audited)",
    tags=["calls"],
    responses=documented(200, recordings.Playback, 404, 503),
)
def play_recording(contact_id: ContactId, call_id: CallId) -> Response[recordings.Playback]:
    played = recordings.playback(scope(router), caller(router), contact_id, call_id)
    return Response(
        status_code=200, body=played, content_type="application/json", headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/campaigns/<campaign_id>/calls",
    middlewares=requires(Permission.CALLS_READ),
    summary="The campaign's calls: status, outcome, duration, summary, sentiment, cost, transcript excerpt",
    tags=["calls"],
    responses=documented(200, CallList, 400, 404),
)
def campaign_calls(
    campaign_id: CampaignId, outcome: OutcomeFilter = None, limit: PageLimit = 50, cursor: Cursor = None
) -> CallList:
    tenant = scope(router)
    lifecycle.get(tenant, campaign_id)  # 404 for another tenant's id
    return _listed(calls.campaign_calls(tenant, campaign_id, outcome=outcome, limit=limit, cursor=cursor))


@router.get(
    "/campaigns/<campaign_id>/calls/export",
    middlewares=requires(Permission.CALLS_EXPORT),
    summary="The campaign's calls as CSV with full transcripts, a page at a time (Gatehouse-Next-Cursor)",
    tags=["calls"],
    responses=documented(200, None, 400, 404, media=("text/csv",)),
)
def export_campaign_calls(
    campaign_id: CampaignId, outcome: OutcomeFilter = None, cursor: Cursor = None
) -> Response[str]:
    tenant = scope(router)
    lifecycle.get(tenant, campaign_id)  # 404 for another tenant's id
    page = calls.campaign_calls(tenant, campaign_id, outcome=outcome, limit=EXPORT_PAGE, cursor=cursor)
    return _csv(page, campaign_id, cursor is None)
