"""Operator CLI: ``python -m gatehouse.ops <command>``.

Works against AWS (credentials, table names and the signing key from the environment,
as the template sets them) or the local runtime (``--endpoint-url``). Results are JSON on
standard output (``audit-checkpoint`` first writes the job's JSON log line per tenant there,
as the scheduled job does); problems go to standard error. Exit status: 0 done (chain intact),
1 a chain or an export does not verify (or a checkpoint run had failures), 2 the command
could not run. ``audit-verify-export`` needs no AWS access at all. ``load-dnc-registry``
streams an area-code file of any size into a tenant's DNC registry (the API route takes
bodies up to its size limit only) and is audited as the named operator. ``repair-records``
rewrites a tenant's items that no longer read as their record type (lists skip them and
log their keys), exit 1 when some could not be mended.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from gatehouse import audit, dnc
from gatehouse.audit.verification import VerifyReport
from gatehouse.config import get_settings
from gatehouse.dnc import LoadKind
from gatehouse.errors import GatehouseError, NotFound
from gatehouse.identity.caller import operator
from gatehouse.identity.operators import grant_operator
from gatehouse.identity.tenants import find_tenant
from gatehouse.jobs.audit_checkpoints import checkpoint_all_tenants
from gatehouse.observability import metrics
from gatehouse.ops.bootstrap import bootstrap_tenant
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.repair import repair_records

OK, BROKEN, CANNOT_RUN = 0, 1, 2
_ENVIRONMENT_OPTIONS = {
    "endpoint_url": "AWS_ENDPOINT_URL",
    "main_table": "GATEHOUSE_MAIN_TABLE",
    "audit_table": "GATEHOUSE_AUDIT_TABLE",
    "signing_key_id": "GATEHOUSE_SIGNING_KEY_ID",
    "suppression_key_id": "GATEHOUSE_SUPPRESSION_KEY_ID",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gatehouse.ops", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--endpoint-url", help="AWS endpoint (the local runtime's moto URL)")
    parser.add_argument("--main-table", help="main table name (default: $GATEHOUSE_MAIN_TABLE)")
    parser.add_argument("--audit-table", help="audit table name (default: $GATEHOUSE_AUDIT_TABLE)")
    parser.add_argument("--signing-key-id", help="audit signing key (default: $GATEHOUSE_SIGNING_KEY_ID)")
    parser.add_argument(
        "--suppression-key-id", help="number-hash key (default: $GATEHOUSE_SUPPRESSION_KEY_ID)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _bootstrap_parser(commands)
    _audit_parsers(commands)
    _dnc_parser(commands)
    repair = commands.add_parser(
        "repair-records", help="rewrite a tenant's items that no longer read as their record type"
    )
    repair.add_argument("--tenant-id", required=True)
    repair.add_argument("--record", required=True, help="the record type, as items name it (e.g. Contact)")
    repair.add_argument(
        "--dry-run", action="store_true", help="report what would be rewritten, write nothing"
    )
    return parser


def _bootstrap_parser(commands: Any) -> None:
    boot = commands.add_parser("bootstrap-tenant", help="create a tenant, its first owner and API key")
    boot.add_argument("--name", required=True)
    boot.add_argument("--owner-email", required=True)


def _audit_parsers(commands: Any) -> None:
    check = commands.add_parser("audit-verify", help="verify a tenant's audit chain and checkpoints")
    check.add_argument("--tenant-id", required=True)
    check.add_argument("--full", action="store_true", help="walk from entry 1, not from the last checkpoint")
    export = commands.add_parser("audit-export", help="export a tenant's audit log for offline verification")
    export.add_argument("--tenant-id", required=True)
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--out", required=True, type=Path, help="entries file")
    export.add_argument("--checkpoints-out", type=Path, help="signed checkpoints file (JSON Lines)")
    export.add_argument("--public-key-out", type=Path, help="the signing key's public half (PEM)")
    offline = commands.add_parser("audit-verify-export", help="verify exported files offline (no AWS)")
    offline.add_argument("--entries", required=True, type=Path)
    offline.add_argument("--checkpoints", required=True, type=Path)
    offline.add_argument("--public-key", required=True, type=Path)
    offline.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    offline.add_argument("--partial", action="store_true", help="the export stops before the head on purpose")
    commands.add_parser("audit-checkpoint", help="sign checkpoints for every tenant now (the hourly job)")
    grant = commands.add_parser(
        "grant-operator", help="make a person a platform operator (never via the API)"
    )
    grant.add_argument("--email", required=True)


def _dnc_parser(commands: Any) -> None:
    load = commands.add_parser("load-dnc-registry", help="load a National DNC Registry area-code file")
    load.add_argument("--tenant-id", required=True)
    load.add_argument("--area-code", required=True)
    load.add_argument("--kind", choices=[k.value for k in LoadKind], default=LoadKind.FULL.value)
    load.add_argument("--operator", default="ops-cli", help="who runs the load, as the audit log names them")
    load.add_argument("file", type=Path, help="one number per line (see gatehouse.dnc.registry)")


def _load_dnc_registry(args: argparse.Namespace) -> int:
    _require_tenant(args.tenant_id)
    caller = operator(args.tenant_id, args.operator, request_id=f"cli-{uuid.uuid4()}")
    with args.file.open(encoding="ascii", errors="replace") as lines:
        report = dnc.load(TenantScope(args.tenant_id), caller, args.area_code, lines, LoadKind(args.kind))
    metrics.clear_metrics()
    _print(report.model_dump(mode="json"))
    return OK


def _repair_records(args: argparse.Namespace) -> int:
    _require_tenant(args.tenant_id)
    record_type = _tenant_record_types().get(args.record)
    if record_type is None:
        raise NotFound(f"no tenant record type {args.record!r}")
    report = repair_records(TenantScope(args.tenant_id), record_type, dry_run=args.dry_run)
    metrics.clear_metrics()
    _print(report.as_dict())
    return BROKEN if report.unrepairable else OK


def _tenant_record_types() -> dict[str, type[TenantRecord]]:
    importlib.import_module("gatehouse.contacts.records")  # the records most often read in lists
    found: dict[str, type[TenantRecord]] = {}
    pending = list(TenantRecord.__subclasses__())
    while pending:
        record_type = pending.pop()
        found[record_type.__name__] = record_type
        pending.extend(record_type.__subclasses__())
    return found


def _bootstrap(args: argparse.Namespace) -> int:
    result = bootstrap_tenant(args.name, args.owner_email)
    shown = {"tenant_id": result.tenant_id, "owner_user_id": result.owner_user_id, "api_key": result.api_key}
    _print(shown)
    sys.stdout.write("# The API key is shown once; store it now.\n")
    return OK


def _audit_verify(args: argparse.Namespace) -> int:
    _require_tenant(args.tenant_id)
    return _verdict(audit.verify(args.tenant_id, from_checkpoint=not args.full))


def _audit_export(args: argparse.Namespace) -> int:
    _require_tenant(args.tenant_id)
    files = {"entries": args.out, "checkpoints": args.checkpoints_out, "public_key": args.public_key_out}
    written: dict[str, Any] = {"tenant_id": args.tenant_id}
    if args.public_key_out:
        _write(args.public_key_out, iter([audit.public_key_pem()]))
    # Checkpoints before entries: every entry they cover is then in the entries written after them.
    if args.checkpoints_out:
        written["checkpoints"] = _write(args.checkpoints_out, audit.export_checkpoints_jsonl(args.tenant_id))
    if args.format == "csv":
        written["entries"] = _write(args.out, audit.export_csv(args.tenant_id)) - 1  # the header row
    else:
        written["entries"] = _write(args.out, audit.export_jsonl(args.tenant_id))
    written["files"] = {name: str(path) for name, path in files.items() if path}
    _print(written)
    return OK


def _audit_verify_export(args: argparse.Namespace) -> int:
    public_key = args.public_key.read_bytes()
    with _read(args.entries) as entries, _read(args.checkpoints) as checkpoints:
        report = audit.verify_export(
            entries, public_key, checkpoints, fmt=args.format, complete=not args.partial
        )
    return _verdict(report)


def _audit_checkpoint(args: argparse.Namespace) -> int:
    report = checkpoint_all_tenants()
    # Metrics reach CloudWatch from Lambda logs only; from here they would just be noise.
    metrics.clear_metrics()
    _print(report.as_dict())
    return BROKEN if report.failures else OK


def _grant_operator(args: argparse.Namespace) -> int:
    user = grant_operator(args.email)
    _print({"user_id": user.user_id, "is_operator": user.is_operator})
    sys.stdout.write("# Sign in with POST /sign-in/link, then /sign-in/session with operator_console=true.\n")
    return OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "grant-operator": _grant_operator,
    "bootstrap-tenant": _bootstrap,
    "audit-verify": _audit_verify,
    "audit-export": _audit_export,
    "audit-verify-export": _audit_verify_export,
    "audit-checkpoint": _audit_checkpoint,
    "load-dnc-registry": _load_dnc_registry,
    "repair-records": _repair_records,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for option, variable in _ENVIRONMENT_OPTIONS.items():
        if getattr(args, option):
            os.environ[variable] = getattr(args, option)
    get_settings.cache_clear()
    try:
        return COMMANDS[args.command](args)
    except (GatehouseError, OSError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return CANNOT_RUN


def _require_tenant(tenant_id: str) -> None:
    if find_tenant(tenant_id) is None:
        raise NotFound(f"no tenant {tenant_id!r} in the directory")


def _verdict(report: VerifyReport) -> int:
    _print(report.as_dict())
    return OK if report.ok else BROKEN


def _print(value: dict[str, Any]) -> None:
    json.dump(value, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _write(path: Path, chunks: Iterator[str]) -> int:
    """Stream the chunks to the file, untranslated (CSV keeps its CRLF); returns how many were written."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        for chunk in chunks:
            out.write(chunk)
            count += 1
    return count


def _read(path: Path) -> TextIO:
    # Lines end at "\n" only, untranslated: a CSV cell's own "\r" stays inside its row.
    return path.open(encoding="utf-8", newline="\n")


if __name__ == "__main__":
    raise SystemExit(main())
