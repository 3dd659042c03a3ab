"""Contact imports: a job per file, rows written in batches, a per-row report, re-runs that change nothing.

``run_import`` takes parsed rows (``csv_import.read_rows``) and writes them in chunks of
500: one suppression lookup and one Do-Not-Call scrub per chunk, and per 100 rows one
BatchGetItem for the contacts the batch already has and one transaction of the new and
changed ones. A row's
contact id is derived from its number (``keys``), so importing the same file again
finds every contact and writes nothing; a row repeating an earlier row's number or
external id is reported, not written. Row errors are kept in pages of up to 100 with
the row, the field and the reason, never a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import islice
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError

from gatehouse import audit
from gatehouse.clients import aws_client
from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.contacts.csv_import import ParsedRow, RowError
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import Contact
from gatehouse.contacts.service import merged, new_contact
from gatehouse.dnc.stamps import ScrubStamp
from gatehouse.errors import Conflict, Forbidden, Invalid, Unavailable
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Permission, Role
from gatehouse.ids import new_id
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import TenantRecord, TenantScope

BATCH: Final = 100  # rows per transaction (DynamoDB's limit)
CHUNK: Final = 500  # rows per suppression check and DNC scrub
ERROR_PAGE: Final = 100
RETRIES: Final = 3

Suppressed = Callable[[TenantScope, list[str]], set[str]]
Scrub = Callable[[TenantScope, list[str]], dict[str, ScrubStamp]]


class ImportStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"  # a large file goes straight to the bucket first
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class ImportCounts(GatehouseModel):
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0


class CallerRef(GatehouseModel):
    """Who started the import, so the intake function acts and audits as them."""

    principal_type: PrincipalType
    principal_id: str
    role: Role
    request_id: str
    source_ip: str | None

    @classmethod
    def of(cls, caller: Caller) -> CallerRef:
        return cls(
            principal_type=caller.principal_type,
            principal_id=caller.principal_id,
            role=caller.role,
            request_id=caller.request_id,
            source_ip=caller.source_ip,
        )

    def caller(self, tenant_id: str) -> Caller:
        return Caller(tenant_id=tenant_id, **self.model_dump())


IMPORT_RECORD_DAYS: Final = 90
IMPORT_RECORD_LIFETIME: Final = timedelta(days=IMPORT_RECORD_DAYS)


class ImportJob(TenantRecord):
    collection = "IMPORT"

    import_id: str
    requested_by: CallerRef
    status: ImportStatus
    object_key: str | None = None
    mapping: dict[str, str] = {}
    counts: ImportCounts = ImportCounts()
    error_pages: int = 0
    failure: str | None = None
    created_at: datetime
    created_by: str
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def sort_key(self) -> str:
        return self.import_id

    def expires(self) -> datetime | None:
        """An import's record and its row report are kept ``IMPORT_RECORD_DAYS``; then TTL removes them."""
        return self.created_at + IMPORT_RECORD_LIFETIME


class ErrorRow(GatehouseModel):
    row: int
    field: str
    reason: str


class ImportErrorPage(TenantRecord):
    collection = "IMPORT_ERRORS"

    import_id: str
    page: int
    errors: list[ErrorRow]
    expires_at: datetime | None = None  # its import's expiry: the report goes with the record

    def expires(self) -> datetime | None:
        return self.expires_at

    def sort_key(self) -> str:
        return f"{self.import_id}#{self.page:06d}"


def run_import(
    scope: TenantScope,
    caller: Caller,
    job: ImportJob,
    rows: Iterable[ParsedRow | RowError],
    *,
    suppressed: Suppressed,
    scrub: Scrub,
    clock: Clock = utc_now,
) -> ImportJob:
    """Write every good row, report every bad one; the job ends completed with its counts."""
    job = scope.save(job.model_copy(update={"status": ImportStatus.RUNNING, "started_at": clock()}))
    counts = ImportCounts()
    seen_phones: dict[str, int] = {}
    seen_external: dict[str, str] = {}
    errors: list[ErrorRow] = []
    pages = 0

    def flush(force: bool = False) -> None:
        nonlocal pages, errors
        while errors and (force or len(errors) >= ERROR_PAGE):
            page, errors = errors[:ERROR_PAGE], errors[ERROR_PAGE:]
            pages += 1
            scope.save(
                ImportErrorPage(import_id=job.import_id, page=pages, errors=page, expires_at=job.expires())
            )

    for batch in _batches(rows, CHUNK):
        good: list[ParsedRow] = []
        for item in batch:
            counts.rows += 1
            problem = _duplicate(item, seen_phones, seen_external) if isinstance(item, ParsedRow) else item
            if problem is None and isinstance(item, ParsedRow):
                good.append(item)
            elif problem is not None:
                counts.errors += 1
                errors.append(ErrorRow(row=problem.row, field=problem.field, reason=problem.reason))
        created, updated = _write(scope, caller, job.import_id, good, suppressed, scrub, clock)
        counts.created += created
        counts.updated += updated
        counts.unchanged += len(good) - created - updated
        flush()
    flush(force=True)
    metrics.add_metric(name="ContactsImportedRows", unit="Count", value=counts.rows)
    # The rows went in above, in batches; the job's completion and its entry go in together.
    completed = job.model_copy(
        update={
            "status": ImportStatus.COMPLETED,
            "counts": counts,
            "error_pages": pages,
            "finished_at": clock(),
        }
    )
    with audit.recorded(scope, caller, "contacts.imported", "import", job.import_id, after=counts) as txn:
        finished = txn.save(completed)
    # Nested: "created" is a LogRecord attribute, and logging refuses an extra key that would overwrite it.
    logger.info("import completed", extra={"import_id": job.import_id, "counts": counts.model_dump()})
    return finished


def _batches(rows: Iterable[ParsedRow | RowError], size: int) -> Iterator[list[ParsedRow | RowError]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _duplicate(row: ParsedRow, phones: dict[str, int], external: dict[str, str]) -> RowError | None:
    phone = row.contact.phone
    if phone in phones:
        return RowError(row.row, "phone", f"repeats the number of row {phones[phone]}")
    ext = row.contact.external_id
    if ext is not None and external.get(ext, phone) != phone:
        return RowError(row.row, "external_id", "repeats the external id of another row with another number")
    phones[phone] = row.row
    if ext is not None:
        external[ext] = phone
    return None


@dataclass
class _Plan:
    changes: list[Contact]
    created: int
    updated: int


def _write(  # noqa: PLR0917 - the chunk and the three checks it needs
    scope: TenantScope,
    caller: Caller,
    import_id: str,
    rows: list[ParsedRow],
    suppressed: Suppressed,
    scrub: Scrub,
    clock: Clock,
) -> tuple[int, int]:
    """Create or update a chunk: one suppression check, one scrub, and per 100 rows a read and a transaction.

    A transaction that loses to a concurrent write is planned again from a fresh read.
    """
    if not rows:
        return 0, 0
    on_list = suppressed(scope, [r.contact.phone for r in rows])
    batches = [rows[start : start + BATCH] for start in range(0, len(rows), BATCH)]
    plans = [_plan(scope, caller, import_id, batch, on_list, clock) for batch in batches]
    stamps: dict[str, ScrubStamp] = {}
    _scrub_missing(scope, plans, stamps, scrub)
    created = updated = 0
    for batch, first_plan in zip(batches, plans, strict=True):
        plan = first_plan
        for attempt in range(RETRIES):
            try:
                with scope.transaction() as txn:
                    for contact in plan.changes:
                        txn.save(_stamped(contact, stamps))
                break
            except Conflict:
                if attempt == RETRIES - 1:
                    raise
                plan = _plan(scope, caller, import_id, batch, on_list, clock)
                _scrub_missing(scope, [plan], stamps, scrub)
        created += plan.created
        updated += plan.updated
    return created, updated


def _plan(  # noqa: PLR0917
    scope: TenantScope,
    caller: Caller,
    import_id: str,
    rows: list[ParsedRow],
    on_list: set[str],
    clock: Clock,
) -> _Plan:
    """What one batch changes, from one read of the contacts it names."""
    now = clock()
    fresh = {
        r.contact.phone: new_contact(
            scope,
            r.contact,
            actor=caller.actor,
            now=now,
            suppressed=r.contact.phone in on_list,
            import_id=import_id,
        )
        for r in rows
    }
    existing = scope.batch_get(Contact, [c.contact_id for c in fresh.values()])
    plan = _Plan([], 0, 0)
    for row in rows:
        candidate = fresh[row.contact.phone]
        current = existing.get(candidate.contact_id)
        if current is None:
            plan.changes.append(candidate)
            plan.created += 1
            continue
        result = merged(current, row.contact, actor=caller.actor, now=now)
        if row.contact.phone in on_list and not result.suppressed:
            result = refresh(result.model_copy(update={"suppressed": True}))
        if result != current:
            plan.changes.append(result)
            plan.updated += 1
    return plan


def _scrub_missing(
    scope: TenantScope, plans: list[_Plan], stamps: dict[str, ScrubStamp], scrub: Scrub
) -> None:
    """One scrub for every new or changed contact of the plans that has no stamp yet."""
    missing = list(
        dict.fromkeys(c.e164 for p in plans for c in p.changes if c.dnc is None and c.e164 not in stamps)
    )
    if missing:
        stamps.update(scrub(scope, missing))


def _stamped(contact: Contact, stamps: dict[str, ScrubStamp]) -> Contact:
    stamp = stamps.get(contact.e164)
    if contact.dnc is not None or stamp is None:
        return contact
    return refresh(contact.model_copy(update={"dnc": stamp}))


# ---------------------------------------------------------------- the API side


def import_object_key(tenant_id: str, import_id: str) -> str:
    return f"imports/{tenant_id}/{import_id}.csv"


def _may_import(scope: TenantScope) -> None:
    """An import may update any of the tenant's contacts, which a person kept to their campaigns may not."""
    if scope.restricted:
        raise Forbidden(
            "the tenant restricts you to your campaigns' contacts; an owner or admin imports contact files"
        )


def start_import(
    scope: TenantScope, caller: Caller, body: bytes, mapping: dict[str, str], *, clock: Clock = utc_now
) -> ImportJob:
    """Check the header now, park the file in the import bucket, and hand it to the intake function.

    The API may not open the tenant's Do-Not-Call credentials, so the rows are read,
    scrubbed and written by the intake function; the job record reports its progress.
    """
    from gatehouse.contacts.csv_import import read_rows  # noqa: PLC0415

    caller.require(Permission.CONTACTS_WRITE)
    _may_import(scope)
    read_rows([body[: 64 * 1024]], mapping)  # the header's problems are the client's, at once
    settings = get_settings()
    if not settings.import_bucket or not settings.intake_function:
        raise Unavailable("contact imports are not configured here")
    import_id = new_id("imp")
    key = import_object_key(scope.tenant_id, import_id)
    job = ImportJob(
        import_id=import_id,
        requested_by=CallerRef.of(caller),
        status=ImportStatus.QUEUED,
        object_key=key,
        mapping=mapping,
        created_at=clock(),
        created_by=caller.actor,
    )
    try:
        aws_client("s3").put_object(Bucket=settings.import_bucket, Key=key, Body=body)
    except (ClientError, BotoCoreError) as exc:
        logger.warning("import file could not be parked", extra={"error": type(exc).__name__})
        raise Unavailable("the import could not be queued; retry later") from None
    with audit.recorded(
        scope, caller, "contacts.import_started", "import", import_id, after=job.counts
    ) as txn:
        saved = txn.save(job)
    _queue(scope, import_id)
    return saved


UPLOAD_SECONDS: Final = 900
HEADER_BYTES: Final = 64 * 1024


class UploadTicket(GatehouseModel):
    """Where to PUT a large file: a presigned URL for the import's own object, valid 15 minutes."""

    import_id: str
    upload_url: str
    method: str = "PUT"
    headers: dict[str, str]
    expires_at: datetime


def create_upload(
    scope: TenantScope, caller: Caller, mapping: dict[str, str], *, clock: Clock = utc_now
) -> UploadTicket:
    """An import waiting for its file: the client uploads straight to the bucket, then starts it.

    Files of any size go this way (an API request body is capped); the URL names this
    import's object only and expires after ``UPLOAD_SECONDS``.
    """
    from gatehouse.contacts.csv_import import COLUMNS  # noqa: PLC0415

    caller.require(Permission.CONTACTS_WRITE)
    _may_import(scope)
    unknown = sorted(set(mapping) - set(COLUMNS))
    if unknown:
        raise Invalid(
            "the mapping names unknown fields", details=[{"field": f, "reason": "unknown"} for f in unknown]
        )
    settings = get_settings()
    if not settings.import_bucket:
        raise Unavailable("contact imports are not configured here")
    now = clock()
    import_id = new_id("imp")
    job = ImportJob(
        import_id=import_id,
        requested_by=CallerRef.of(caller),
        status=ImportStatus.AWAITING_UPLOAD,
        object_key=import_object_key(scope.tenant_id, import_id),
        mapping=mapping,
        created_at=now,
        created_by=caller.actor,
    )
    headers = {"Content-Type": "text/csv"}
    try:
        url = aws_client("s3").generate_presigned_url(
            "put_object",
            Params={
                "Bucket": settings.import_bucket,
                "Key": job.object_key,
                "ContentType": headers["Content-Type"],
            },
            ExpiresIn=UPLOAD_SECONDS,
        )
    except (ClientError, BotoCoreError):
        raise Unavailable("an upload could not be prepared; retry later") from None
    with audit.recorded(
        scope, caller, "contacts.upload_created", "import", import_id, after=job.counts
    ) as txn:
        txn.save(job)
    return UploadTicket(
        import_id=import_id,
        upload_url=url,
        headers=headers,
        expires_at=now + timedelta(seconds=UPLOAD_SECONDS),
    )


def start_uploaded(scope: TenantScope, caller: Caller, import_id: str) -> ImportJob:
    """Check the uploaded file's header and hand the import to the intake function."""
    from gatehouse.contacts.csv_import import read_rows  # noqa: PLC0415

    caller.require(Permission.CONTACTS_WRITE)
    _may_import(scope)
    job = get_job(scope, import_id)
    if job.status is not ImportStatus.AWAITING_UPLOAD:
        raise Conflict(f"the import is {job.status.value}, not awaiting its upload")
    settings = get_settings()
    try:
        head = (
            aws_client("s3")
            .get_object(
                Bucket=settings.import_bucket, Key=job.object_key, Range=f"bytes=0-{HEADER_BYTES - 1}"
            )["Body"]
            .read()
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            raise Conflict("upload the file to the upload URL first") from None
        raise Unavailable("the uploaded file could not be read; retry later") from None
    except BotoCoreError:
        raise Unavailable("the uploaded file could not be read; retry later") from None
    read_rows([head], job.mapping)  # the header's problems are the client's, at once
    with audit.recorded(
        scope, caller, "contacts.import_started", "import", import_id, after=job.counts
    ) as txn:
        queued = txn.save(job.model_copy(update={"status": ImportStatus.QUEUED}))
    _queue(scope, import_id)
    return queued


def _queue(scope: TenantScope, import_id: str) -> None:
    try:
        aws_client("lambda").invoke(
            FunctionName=get_settings().intake_function,
            InvocationType="Event",
            Payload=json.dumps({"job": "import", "tenant_id": scope.tenant_id, "import_id": import_id}),
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning("import could not be queued", extra={"error": type(exc).__name__})
        raise Unavailable("the import could not be queued; retry later") from None


def get_job(scope: TenantScope, import_id: str) -> ImportJob:
    return scope.require(ImportJob, import_id)


def job_errors(
    scope: TenantScope, import_id: str, *, cursor: str | None = None, pages: int = 1
) -> tuple[list[ErrorRow], str | None]:
    get_job(scope, import_id)
    page = scope.query(ImportErrorPage, prefix=f"{import_id}#", limit=pages, cursor=cursor)
    return [e for p in page.items for e in p.errors], page.cursor


# ---------------------------------------------------------------- the intake function side


def run_queued_import(
    scope: TenantScope, import_id: str, *, suppressed: Suppressed, scrub: Scrub, clock: Clock = utc_now
) -> ImportJob:
    """Stream the parked file from the bucket through ``run_import``; the file is deleted afterwards."""
    from gatehouse.contacts.csv_import import read_rows  # noqa: PLC0415

    job = get_job(scope, import_id)
    if job.status is not ImportStatus.QUEUED:
        logger.info("import already handled", extra={"import_id": import_id, "status": job.status.value})
        return job  # a redelivered event changes nothing
    caller = job.requested_by.caller(scope.tenant_id)
    bucket = get_settings().import_bucket
    s3 = aws_client("s3")
    try:
        body = s3.get_object(Bucket=bucket, Key=job.object_key)["Body"]
        try:
            _, rows = read_rows(body.iter_chunks(64 * 1024), job.mapping)
        except Invalid as exc:
            return scope.save(
                job.model_copy(
                    update={"status": ImportStatus.FAILED, "failure": exc.message, "finished_at": clock()}
                )
            )
        return run_import(scope, caller, job, rows, suppressed=suppressed, scrub=scrub, clock=clock)
    finally:
        s3.delete_object(Bucket=bucket, Key=job.object_key)
