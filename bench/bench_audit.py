"""Audit appends for one tenant under contention, and what each append costs in DynamoDB round trips.

Runs against DynamoDB Local and moto's KMS (no AWS account, no network), with the audit
table created from template.yaml's ``AuditTable`` (or the template named by ``GATEHOUSE_TEMPLATE``).

Two ways of contending for one tenant's chain head:

- ``contended``: ``--threads`` threads of one process call ``gatehouse.audit.append``,
  as concurrent requests of one local runtime would. The per-tenant lock serializes them
  inside the process, so each append is one TransactWriteItems (plus one GetItem for the
  process's first append of the tenant).
- ``independent_writers``: each thread has its own ``AuditLog`` (its own lock and head
  memory), as separate Lambda containers would; writers collide on the head condition and
  retry on the head returned by the failed condition.

Compare figures from runs of the same size only. Round trips are counted with
``gatehouse.aws_calls.AwsCallCounter`` (every HTTP attempt, retries included).

Prints ``name: value`` lines only, and never judges a figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable

import boto3
import moto_setup  # first: the environment boto3 reads once (DynamoDB Local's endpoint included)
from cfnlint.decode.cfn_yaml import load
from moto import mock_aws

from gatehouse.audit import Actor, Target, append
from gatehouse.audit.log import AuditLog
from gatehouse.audit.verification import verify
from gatehouse.aws_calls import AwsCallCounter
from gatehouse.config import get_settings
from gatehouse.ids import new_tenant_id

ROOT = moto_setup.ROOT
ACTOR = Actor.from_label("api_key:key_bench")
Appender = Callable[[str, int, int], object]


def fresh_audit_table(name: str) -> None:
    """A new, empty audit table for each run, so runs are measured at the same table size."""
    template = os.environ.get("GATEHOUSE_TEMPLATE", str(ROOT / "template.yaml"))
    props = load(template)["Resources"]["AuditTable"]["Properties"]
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName=name,
        KeySchema=props["KeySchema"],
        AttributeDefinitions=props["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
    )
    os.environ["GATEHOUSE_AUDIT_TABLE"] = name
    get_settings.cache_clear()


def signing_key() -> None:
    kms = boto3.client("kms", region_name="us-east-1")
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    os.environ["GATEHOUSE_SIGNING_KEY_ID"] = key
    get_settings.cache_clear()


def shared_log(tenant_id: str, slot: int, n: int) -> object:
    return append(
        tenant_id,
        actor=ACTOR,
        action="contact.imported",
        target=Target(type="contact", id=f"c{slot}-{n}"),
        request_id=f"bench-{slot}",
        after={"phone": "+15550100", "source": "bench"},
    )


def run(threads: int, per_thread: int, appender_for: Callable[[int], Appender]) -> tuple[float, int, int]:
    """Seconds, appends and DynamoDB round trips of one contended run against a fresh tenant."""
    tenant_id = new_tenant_id()
    barrier = threading.Barrier(threads + 1)

    def writer(slot: int) -> None:
        write = appender_for(slot)
        barrier.wait()
        for n in range(per_thread):
            write(tenant_id, slot, n)

    workers = [threading.Thread(target=writer, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    with AwsCallCounter() as calls:
        barrier.wait()
        start = time.perf_counter()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - start
    report = verify(tenant_id, from_checkpoint=False)
    if not report.ok or report.verified_seq != threads * per_thread:
        sys.exit(f"the chain did not come out whole: {report.summary}")
    return elapsed, threads * per_thread, calls.total("dynamodb")


def independent(slot: int) -> Appender:
    log = AuditLog()

    def write(tenant_id: str, slot: int, n: int) -> object:
        return log.append(
            tenant_id,
            actor=ACTOR,
            action="contact.imported",
            target=Target(type="contact", id=f"c{slot}-{n}"),
            request_id=f"bench-{slot}",
        )

    return write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--per-thread", type=int, default=25, help="appends per thread (default 25)")
    args = parser.parse_args(argv)
    moto_setup.start_dynamodb_local()
    with mock_aws():
        signing_key()
        fresh_audit_table("gatehouse-bench-warmup")
        run(1, 5, lambda slot: shared_log)  # warm-up: clients, connections, imports
        fresh_audit_table("gatehouse-bench-contended")
        seconds, appends, round_trips = run(args.threads, args.per_thread, lambda slot: shared_log)
        print(f"audit_appends_per_second_contended: {appends / seconds:.1f}")
        print(f"audit_dynamodb_round_trips_per_append: {round_trips / appends:.3f}")
        fresh_audit_table("gatehouse-bench-independent")
        seconds, appends, round_trips = run(args.threads, args.per_thread, independent)
        print(f"audit_appends_per_second_independent_writers: {appends / seconds:.1f}")
        print(f"audit_dynamodb_round_trips_per_append_independent_writers: {round_trips / appends:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
