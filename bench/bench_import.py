"""Contact import throughput and DynamoDB round trips per imported row.

Runs against moto in-process (no AWS account, no network), with the main and audit
tables created from template.yaml, the template's KMS keys stood in for by fresh moto
keys, and one tenant whose DNC provider is connected and answered by the sandbox
provider (as on the local runtime). A generated CSV of ``--rows`` rows (valid US
numbers, consent on every other row) goes through exactly what the intake function
runs: the streaming reader, then ``run_import`` with the real suppression check and
the real DNC scrub, 100 rows per batch.

- ``import_rows_per_second``: rows read, checked and written per second (moto's
  DynamoDB copies its table on every transaction, so this is a floor, not AWS);
- ``import_dynamodb_round_trips_per_row``: DynamoDB requests (every HTTP attempt) per
  row of a first import;
- ``import_dynamodb_round_trips_per_row_reimport``: the same file imported again
  (every contact found unchanged, nothing written);
- ``import_kms_calls``: KMS requests of the whole first import.

Prints ``name: value`` lines only, never judges them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator

import moto_setup  # first: the environment boto3 reads once
from moto import mock_aws

from gatehouse.aws_calls import AwsCallCounter
from gatehouse.clock import utc_now
from gatehouse.contacts import checks
from gatehouse.contacts.csv_import import read_rows
from gatehouse.contacts.imports import CallerRef, ImportJob, ImportStatus, run_import
from gatehouse.identity.caller import operator
from gatehouse.ids import new_id, new_tenant_id
from gatehouse.tenancy import TenantScope
from gatehouse.vault import Provider, connect

HEADER = b"phone,first_name,state,consent_type,consent_channels,consent_at,consent_wording\n"
DNC = {"provider_name": "sandbox-dnc", "api_key": "sandbox-dnc-key-0123456789"}


def prepare() -> TenantScope:
    moto_setup.create_tables_and_keys()
    scope = TenantScope(new_tenant_id())
    connect(scope, operator(scope.tenant_id, "bench", request_id="bench"), Provider.DNC, DNC)
    return scope


def csv_chunks(rows: int) -> Iterator[bytes]:
    yield HEADER
    for n in range(rows):
        area = ("312", "415", "212", "713")[n % 4]
        consent = "express_written,sms;voice,2026-01-05T10:00:00Z,Yes to texts and calls" if n % 2 else ",,,"
        yield f"+1{area}{2000000 + n:07d},Person {n},,{consent}\n".encode()


def run(scope: TenantScope, rows: int) -> tuple[ImportJob, float]:
    caller = operator(scope.tenant_id, "bench", request_id="bench")
    job = ImportJob(
        import_id=new_id("imp"),
        requested_by=CallerRef.of(caller),
        status=ImportStatus.QUEUED,
        created_at=utc_now(),
        created_by=caller.actor,
    )
    start = time.perf_counter()
    _, parsed = read_rows(csv_chunks(rows))
    done = run_import(
        scope, caller, scope.save(job), parsed, suppressed=checks.suppressed, scrub=checks.scrub
    )
    return done, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows in the generated file (default 2000)")
    args = parser.parse_args(argv)
    with mock_aws():
        scope = prepare()
        with AwsCallCounter() as first:
            job, seconds = run(scope, args.rows)
        with AwsCallCounter() as again:
            rerun, _ = run(scope, args.rows)
    if job.counts.created != args.rows or rerun.counts.unchanged != args.rows:
        sys.exit(f"unexpected counts: {job.counts} then {rerun.counts}")
    print(f"import_rows_per_second: {args.rows / seconds:.1f}")
    print(f"import_dynamodb_round_trips_per_row: {first.total('dynamodb') / args.rows:.4f}")
    print(f"import_dynamodb_round_trips_per_row_reimport: {again.total('dynamodb') / args.rows:.4f}")
    print(f"import_kms_calls: {first.total('kms')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
