"""DynamoDB items the DNC re-scrub job reads per due contact, for a tenant of 100,000 contacts, 1% due.

Runs against moto in-process (no AWS account, no network), with the tables created from
template.yaml (the time index gsi2 included) and fresh KMS keys standing in for the
template's DataKey and SuppressionKey. One tenant, bootstrapped through the domain, connects
the sandbox DNC provider; ``--contacts`` contacts are written straight to the table in
BatchWriteItem requests (through the data door's batch writer, with their time-index keys),
``--due-percent`` of them scrubbed 40 days ago and the rest 5 days ago, each on data of that
day. Then the scheduled job ``run_dnc_rescrub`` runs once, and what it did is counted:

- ``rescrub_items_read_per_due_contact``: DynamoDB items returned to it by Query, GetItem and
  BatchGetItem (the tenant directory, its settings, its integration, the due contacts), divided
  by the contacts that were due (target: 1, no read of a contact that is not due);
- ``rescrub_contacts_read_not_due``: contact items read whose scrub was not due (target: 0);
- ``rescrub_requests_per_due_contact``: every AWS request of the run (DynamoDB, KMS), per due contact;
- ``rescrub_seconds`` and ``rescrub_seed_seconds``: wall time of the run and of the seeding.

Prints ``name: value`` lines only, never judges them.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import moto_setup  # first: the environment boto3 reads once
from moto import mock_aws

from gatehouse.aws_calls import AwsCallCounter
from gatehouse.contacts.records import Contact
from gatehouse.dnc.stamps import ScrubSource, ScrubStamp, ScrubStatus
from gatehouse.identity.caller import operator
from gatehouse.jobs.dnc_rescrub import run_dnc_rescrub
from gatehouse.observability import metrics
from gatehouse.ops.bootstrap import bootstrap_tenant
from gatehouse.tenancy import TenantScope
from gatehouse.vault import Provider, connect
from tests.support.dynamo_reads import ItemsRead

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SANDBOX_DNC = {"provider_name": "sandbox-dnc", "api_key": "sandbox-dnc-key-0123456789"}


def contact(index: int, due: bool) -> Contact:
    checked = NOW - timedelta(days=40 if due else 5)
    return Contact(
        contact_id=f"con_{index:026d}",
        e164=f"+1312{index:07d}",
        # The index orders contacts by the version of their DNC data: scrubbed then, on data of then.
        dnc=ScrubStamp(
            status=ScrubStatus.CLEAR, checked_at=checked, source=ScrubSource.SANDBOX, data_as_of=checked
        ),
        created_at=checked,
        created_by="bench",
    )


def seed(scope: TenantScope, count: int, due_every: int) -> int:
    due = 0
    with scope.batch_writer() as batch:
        for index in range(count):
            is_due = index % due_every == 0
            due += is_due
            batch.save(contact(index, is_due))
    return due


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--due-percent", type=float, default=1.0)
    args = parser.parse_args()
    with mock_aws():
        moto_setup.create_tables_and_keys()
        boot = bootstrap_tenant("Bench", "owner@bench.test")
        scope = TenantScope(boot.tenant_id)
        connect(scope, operator(boot.tenant_id, "bench", request_id="bench"), Provider.DNC, SANDBOX_DNC)
        started = time.perf_counter()
        due = seed(scope, args.contacts, round(100 / args.due_percent))
        seeded = time.perf_counter() - started

        started = time.perf_counter()
        with ItemsRead() as reads, AwsCallCounter() as calls:
            run = run_dnc_rescrub(lambda: NOW)
        ran = time.perf_counter() - started
        metrics.clear_metrics()
        rescrubbed = run.totals().get("rescrubbed", 0)
        contacts_read = reads.by_operation["Query"] - len(run.results)  # minus the directory page
    print(f"rescrub_contacts: {args.contacts}")
    print(f"rescrub_contacts_due: {due}")
    print(f"rescrub_contacts_rescrubbed: {rescrubbed}")
    print(f"rescrub_items_read: {reads.total}")
    print(f"rescrub_items_read_per_due_contact: {reads.total / due:.4f}")
    print(f"rescrub_contacts_read_not_due: {contacts_read - due}")
    print(f"rescrub_requests_per_due_contact: {calls.total() / due:.4f}")
    print(f"rescrub_seconds: {ran:.2f}")
    print(f"rescrub_seed_seconds: {seeded:.2f}")


if __name__ == "__main__":
    main()
