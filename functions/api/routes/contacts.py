"""Contacts of the caller's tenant: create, list, read, update, delete, export, import.

A new contact is scrubbed against the tenant's Do-Not-Call source at once (a commercial
provider is asked through the integration check function, since the API may not open
its credentials). Imports are read, checked and scrubbed by the intake function.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from guards import caller, requires, scope
from pydantic import Field

from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts import checks, imports, service
from gatehouse.contacts.csv_export import csv_lines
from gatehouse.contacts.csv_import import parse_mapping
from gatehouse.contacts.imports import ErrorRow, ImportCounts, ImportJob, ImportStatus
from gatehouse.contacts.person import PersonData
from gatehouse.contacts.records import ContactChanges, ContactInput, ContactView
from gatehouse.errors import Invalid
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from routes.schemas import Cursor, PageLimit, documented, follow

router = Router()

ContactId = Annotated[str, Path(pattern=r"^con_[a-z2-7]{26}$", description="contact id")]
ImportId = Annotated[str, Path(pattern=r"^imp_[a-z2-7]{26}$", description="import id")]
StateFilter = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$", description="the state on record")]
TagFilter = Annotated[str | None, Query(max_length=40, description="contacts with this tag")]
EXPORT_PAGE = 1000


class ContactPage(GatehouseModel):
    items: list[ContactView]
    next_cursor: str | None


class ImportView(GatehouseModel):
    import_id: str
    status: ImportStatus
    counts: ImportCounts
    failure: str | None
    created_at: str
    finished_at: str | None

    @classmethod
    def of(cls, job: ImportJob) -> ImportView:
        return cls(
            import_id=job.import_id,
            status=job.status,
            counts=job.counts,
            failure=job.failure,
            created_at=job.created_at.isoformat(),
            finished_at=job.finished_at.isoformat() if job.finished_at else None,
        )


class ImportErrors(GatehouseModel):
    items: list[ErrorRow]
    next_cursor: str | None


@router.post(
    "/contacts",
    middlewares=requires(Permission.CONTACTS_WRITE),
    summary="Add a contact (checked against the suppression list and scrubbed against DNC)",
    tags=["contacts"],
    responses=documented(
        201,
        ContactView,
        400,
        409,
        503,
        links=follow(
            "contact_id",
            GetContact=("get", "/contacts/{contact_id}"),
            UpdateContact=("patch", "/contacts/{contact_id}"),
            DeleteContact=("delete", "/contacts/{contact_id}"),
            GetPersonData=("get", "/contacts/{contact_id}/data"),
            EraseContact=("post", "/contacts/{contact_id}/erase"),
        ),
    ),
)
def create_contact(request: Annotated[ContactInput, Body()]) -> Response[ContactView]:
    view = service.create(
        scope(router), caller(router), request, suppressed=checks.suppressed, scrub=checks.scrub
    )
    return Response(status_code=201, body=view, content_type="application/json")


@router.get(
    "/contacts/export",
    middlewares=requires(Permission.CONTACTS_EXPORT),
    summary="Export contacts as CSV, a page at a time (next page: the Gatehouse-Next-Cursor header)",
    tags=["contacts"],
    responses=documented(200, None, 400, media=("text/csv",)),
)
def export_contacts(cursor: Cursor = None) -> Response[str]:
    page = service.list_contacts(scope(router), service.ContactFilter(), limit=EXPORT_PAGE, cursor=cursor)
    headers = {"Content-Disposition": 'attachment; filename="contacts.csv"'}
    if page.cursor:
        headers["Gatehouse-Next-Cursor"] = page.cursor
    body = "".join(csv_lines(page.items, header=cursor is None))
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body, headers=headers)


@router.post(
    "/contacts/imports",
    middlewares=requires(Permission.CONTACTS_WRITE),
    summary="Import a CSV file (body: text/csv; the header is checked at once, rows by the intake function)",
    tags=["contacts"],
    responses=documented(
        202,
        ImportView,
        400,
        503,
        links=follow(
            "import_id",
            GetImport=("get", "/contacts/imports/{import_id}"),
            GetImportErrors=("get", "/contacts/imports/{import_id}/errors"),
        ),
    ),
)
def start_import(
    mapping: Annotated[str | None, Query(max_length=2048, description="field=Column,...")] = None,
) -> Response[ImportView]:
    body = _raw_body()
    job = imports.start_import(scope(router), caller(router), body, parse_mapping(mapping))
    return Response(status_code=202, body=ImportView.of(job), content_type="application/json")


@router.post(
    "/contacts/imports/uploads",
    middlewares=requires(Permission.CONTACTS_WRITE),
    summary="Prepare a large import: a presigned URL to PUT the CSV file to (15 minutes), then start it",
    tags=["contacts"],
    responses=documented(
        201,
        imports.UploadTicket,
        400,
        503,
        links=follow(
            "import_id",
            StartImport=("post", "/contacts/imports/{import_id}/start"),
            GetImport=("get", "/contacts/imports/{import_id}"),
        ),
    ),
)
def create_upload(
    mapping: Annotated[str | None, Query(max_length=2048, description="field=Column,...")] = None,
) -> Response[imports.UploadTicket]:
    ticket = imports.create_upload(scope(router), caller(router), parse_mapping(mapping))
    return Response(status_code=201, body=ticket, content_type="application/json")


@router.post(
    "/contacts/imports/<import_id>/start",
    middlewares=requires(Permission.CONTACTS_WRITE),
    summary="Start an uploaded import (its header is checked at once)",
    tags=["contacts"],
    responses=documented(202, ImportView, 400, 404, 409, 503),
)
def start_uploaded_import(import_id: ImportId) -> Response[ImportView]:
    job = imports.start_uploaded(scope(router), caller(router), import_id)
    return Response(status_code=202, body=ImportView.of(job), content_type="application/json")


def _raw_body() -> bytes:
    """The request body's bytes as sent: a file in another encoding is reported row by row, not refused."""
    event = router.current_event
    text = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid("the body is not valid base64") from None
    return text.encode("utf-8", errors="surrogateescape")


@router.get(
    "/contacts/imports/<import_id>",
    middlewares=requires(Permission.CONTACTS_READ),
    summary="An import's status and counts",
    tags=["contacts"],
    responses=documented(200, ImportView, 404),
)
def get_import(import_id: ImportId) -> ImportView:
    return ImportView.of(imports.get_job(scope(router), import_id))


@router.get(
    "/contacts/imports/<import_id>/errors",
    middlewares=requires(Permission.CONTACTS_READ),
    summary="An import's row errors: row, field and reason (never the value)",
    tags=["contacts"],
    responses=documented(200, ImportErrors, 400, 404),
)
def import_errors(import_id: ImportId, cursor: Cursor = None) -> ImportErrors:
    rows, next_cursor = imports.job_errors(scope(router), import_id, cursor=cursor)
    return ImportErrors(items=rows, next_cursor=next_cursor)


@router.get(
    "/contacts",
    middlewares=requires(Permission.CONTACTS_READ),
    summary="List contacts, optionally filtered",
    tags=["contacts"],
    responses=documented(200, ContactPage, 400),
)
def list_contacts(  # noqa: PLR0917 - one parameter per filter
    limit: PageLimit = 50,
    cursor: Cursor = None,
    eligible_for: Annotated[Channel | None, Query()] = None,
    ineligible_for: Annotated[Channel | None, Query()] = None,
    state: StateFilter = None,
    tag: TagFilter = None,
    suppressed: Annotated[bool | None, Query()] = None,
) -> ContactPage:
    where = service.ContactFilter(
        eligible_for=eligible_for,
        ineligible_for=ineligible_for,
        state=state.upper() if state else None,
        tag=tag,
        suppressed=suppressed,
    )
    page = service.list_contacts(scope(router), where, limit=limit, cursor=cursor)
    return ContactPage(items=[ContactView.of(c) for c in page.items], next_cursor=page.cursor)


@router.get(
    "/contacts/<contact_id>",
    middlewares=requires(Permission.CONTACTS_READ),
    summary="Show a contact with its eligibility and reasons",
    tags=["contacts"],
    responses=documented(200, ContactView, 404),
)
def get_contact(contact_id: ContactId) -> ContactView:
    return ContactView.of(service.get(scope(router), contact_id))


@router.patch(
    "/contacts/<contact_id>",
    middlewares=requires(Permission.CONTACTS_WRITE),
    summary="Update a contact (consent evidence is only ever added)",
    tags=["contacts"],
    responses=documented(200, ContactView, 400, 404, 409),
)
def update_contact(contact_id: ContactId, changes: Annotated[ContactChanges, Body()]) -> ContactView:
    return service.update(scope(router), caller(router), contact_id, changes)


@router.delete(
    "/contacts/<contact_id>",
    middlewares=requires(Permission.CONTACTS_WRITE),
    summary="Delete a contact (hidden at once, purged after the grace period)",
    tags=["contacts"],
    responses=documented(200, ContactView, 404, 409),
)
def delete_contact(contact_id: ContactId) -> ContactView:
    return service.delete(scope(router), caller(router), contact_id)


class EraseRequest(GatehouseModel):
    number: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="the person's number (US when no +country): required only when they are not a contact "
        "(they only wrote in), so they stay suppressed; when given it must be theirs",
    )


@router.post(
    "/contacts/<contact_id>/erase",
    middlewares=requires(Permission.CONTACTS_ERASE),
    summary="Erase a person: their data goes at once; only a keyed suppression entry stays",
    description=(
        "Works for a contact (a deleted one too) and for a person who only wrote in, by the id "
        "their texts are kept under; for the latter the body gives their number."
    ),
    tags=["contacts"],
    responses=documented(200, service.Erased, 400, 404),
)
def erase_contact(
    contact_id: ContactId, request: Annotated[EraseRequest | None, Body()] = None
) -> service.Erased:
    number = request.number if request else None
    return service.erase(scope(router), caller(router), contact_id, number=number)


@router.get(
    "/contacts/<contact_id>/data",
    middlewares=requires(Permission.CONTACTS_EXPORT),
    summary="Everything held about a person (a data-subject export), page by page until next_cursor is null",
    description=(
        "The person is the contact id, which is also the id a number that only wrote in is kept "
        "under: a deleted contact is exported until the purge, a stranger's texts by their id. "
        "The first page holds the contact, conversations, hold and attempt ledger; then texts, "
        "replies, calls, call readings and campaign outcomes follow in that order. The pages "
        "until next_cursor is null are the whole export; nothing is left out."
    ),
    tags=["contacts"],
    responses=documented(200, PersonData, 400, 404),
)
def person_data(contact_id: ContactId, cursor: Cursor = None) -> PersonData:
    return service.person_data(scope(router), contact_id, cursor=cursor)
