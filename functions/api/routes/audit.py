"""The caller's tenant audit log: list, verify, export, checkpoints and the signing public key."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from guards import caller, requires

from gatehouse import audit
from gatehouse.clock import Instant
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from routes.schemas import Cursor, PageLimit, StrictBody, documented

router = Router()
Filter = Annotated[str | None, Query(min_length=1, max_length=200)]
# "<type>:<id>" exactly as entries show them (an actor's type is one of the audit's ActorType).
ActorFilter = Annotated[
    str | None,
    Query(
        pattern=rf"^({'|'.join(t.value for t in audit.ActorType)}):[^\s]{{1,200}}$",
        description="Only entries by this actor, `<type>:<id>` exactly as entries show it.",
    ),
]
TargetFilter = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z][a-z0-9_]{0,63}:[^\s]{1,200}$",
        description="Only entries about this target, `<type>:<id>` exactly as entries show it.",
    ),
]


class AuditEntryPage(GatehouseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


class VerifyRequest(StrictBody):
    full: bool = False


class VerifyResult(GatehouseModel):
    tenant_id: str
    ok: bool
    summary: str
    verified_seq: int
    signed_seq: int
    head_seq: int
    start_seq: int
    entries_checked: int
    checkpoints_checked: int
    first_bad_seq: int | None
    reason: str | None
    detail: str | None


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


@router.get(
    "/audit",
    middlewares=requires(Permission.AUDIT_READ),
    summary="List audit entries (newest first)",
    tags=["audit"],
    responses=documented(200, AuditEntryPage, 400),
)
def list_audit(  # noqa: PLR0917 - one parameter per filter
    limit: PageLimit = 50,
    cursor: Cursor = None,
    action: Filter = None,
    since: Annotated[Instant | None, Query()] = None,
    until: Annotated[Instant | None, Query()] = None,
    actor: ActorFilter = None,
    target: TargetFilter = None,
) -> AuditEntryPage:
    """A filtered page fills itself from up to five reads; a sparse match may leave it short, and a cursor."""
    page = audit.list_entries(
        caller(router).tenant_id,
        action=action,
        since=since,
        until=until,
        actor=audit.Actor.from_label(actor) if actor else None,
        target=audit.Target.from_label(target) if target else None,
        limit=limit,
        cursor=cursor,
    )
    return AuditEntryPage(items=[e.model_dump(mode="json") for e in page.items], next_cursor=page.cursor)


@router.post(
    "/audit/verify",
    middlewares=requires(Permission.AUDIT_VERIFY),
    summary="Recompute the hash chain and check every checkpoint signature",
    tags=["audit"],
    responses=documented(200, VerifyResult, 400),
)
def verify_audit(request: Annotated[VerifyRequest, Body()]) -> VerifyResult:
    report = audit.verify(caller(router).tenant_id, from_checkpoint=not request.full)
    return VerifyResult.model_validate(report.as_dict())


@router.get(
    "/audit/export",
    middlewares=requires(Permission.AUDIT_READ),
    summary="Export the chain with its hashes (JSON Lines or CSV)",
    tags=["audit"],
    responses=documented(200, None, media=("application/x-ndjson", "text/csv")),
)
def export_audit(format: Annotated[ExportFormat, Query()] = ExportFormat.JSONL) -> Response[str]:
    tenant_id = caller(router).tenant_id
    if format is ExportFormat.CSV:
        return Response(status_code=200, content_type="text/csv", body="".join(audit.export_csv(tenant_id)))
    return Response(
        status_code=200, content_type="application/x-ndjson", body="".join(audit.export_jsonl(tenant_id))
    )


@router.get(
    "/audit/checkpoints",
    middlewares=requires(Permission.AUDIT_READ),
    summary="Export the signed checkpoints (JSON Lines)",
    tags=["audit"],
    responses=documented(200, None, media=("application/x-ndjson",)),
)
def export_checkpoints() -> Response[str]:
    body = "".join(audit.export_checkpoints_jsonl(caller(router).tenant_id))
    return Response(status_code=200, content_type="application/x-ndjson", body=body)


@router.get(
    "/audit/public-key",
    middlewares=requires(Permission.AUDIT_READ),
    summary="The checkpoint signing public key (PEM), for offline verification",
    tags=["audit"],
    responses=documented(200, None, media=("application/x-pem-file",)),
)
def signing_public_key() -> Response[str]:
    return Response(status_code=200, content_type="application/x-pem-file", body=audit.public_key_pem())
