"""Do-Not-Call: status, the owner's no-provider acknowledgment, and registry and state list uploads.

Registry files are sent as ``text/plain`` (one number per line; see
``gatehouse.dnc.registry`` for the formats). A request body is limited to the API's
``max_body_bytes``: whole area-code files usually exceed it and go through the operator
CLI (``python -m gatehouse.ops load-dnc-registry``); change files fit.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from guards import caller, requires, scope
from pydantic import Field

from gatehouse import dnc
from gatehouse.dnc import AcknowledgmentView, DncStatus, LoadKind, LoadReport, StateListReport, state_lists
from gatehouse.errors import Invalid
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from routes.schemas import StrictBody, documented

router = Router()

AreaCode = Annotated[str, Path(pattern=r"^[2-9][0-9]{2}$", description="three-digit area code")]
State = Annotated[
    str, Path(pattern=r"^[A-Z]{2}$", description="two-letter state code of a state that keeps a list")
]
Kind = Annotated[LoadKind, Query(description="full: replaces the area code's set; change: A,/D, lines")]


class AcknowledgmentText(GatehouseModel):
    wording: str = Field(description="send exactly this text to POST /dnc/acknowledgment")
    acknowledgment: AcknowledgmentView | None


class AcknowledgeRequest(StrictBody):
    wording: str = Field(max_length=2000)


@router.get(
    "/dnc/status",
    middlewares=requires(Permission.TENANT_READ),
    summary="DNC provider, acknowledgment, registry freshness per area code, and warnings",
    tags=["dnc"],
    responses=documented(200, DncStatus),
)
def dnc_status() -> DncStatus:
    return dnc.dnc_status(scope(router))


@router.get(
    "/dnc/acknowledgment",
    middlewares=requires(Permission.TENANT_READ),
    summary="The wording an owner must acknowledge to run without a DNC provider",
    tags=["dnc"],
    responses=documented(200, AcknowledgmentText),
)
def acknowledgment_text() -> AcknowledgmentText:
    return AcknowledgmentText(wording=dnc.WORDING, acknowledgment=dnc.acknowledgment.current(scope(router)))


@router.post(
    "/dnc/acknowledgment",
    middlewares=requires(Permission.DNC_ACKNOWLEDGE),
    summary="Acknowledge running without a DNC provider (owners; exact wording; audited)",
    tags=["dnc"],
    responses=documented(201, AcknowledgmentView, 400),
)
def acknowledge(request: Annotated[AcknowledgeRequest, Body()]) -> Response[AcknowledgmentView]:
    done = dnc.acknowledge(scope(router), caller(router), request.wording)
    status = 201 if done.created else 200
    return Response(status_code=status, body=done.acknowledgment, content_type="application/json")


@router.post(
    "/dnc/registry/<area_code>",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Load an area code's registry file (text/plain body; large files: the operator CLI)",
    tags=["dnc"],
    responses=documented(200, LoadReport, 400, 404),
)
def load_registry(area_code: AreaCode, kind: Kind = LoadKind.FULL) -> LoadReport:
    body = router.current_event.decoded_body or ""
    if not body.strip():
        raise Invalid("the body must be the registry file, one number per line")
    return dnc.load(scope(router), caller(router), area_code, body.splitlines(), kind)


@router.post(
    "/dnc/state-lists/<state>",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Load a state's Do-Not-Call list file (text/plain body; the same formats as registry files)",
    tags=["dnc"],
    responses=documented(200, StateListReport, 400, 404),
)
def load_state_list(state: State, kind: Kind = LoadKind.FULL) -> StateListReport:
    body = router.current_event.decoded_body or ""
    if not body.strip():
        raise Invalid("the body must be the state's list file, one number per line")
    return state_lists.load(scope(router), caller(router), state, body.splitlines(), kind)
