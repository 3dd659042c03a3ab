"""Audit appends for one tenant under contention, and what each append costs in DynamoDB round trips.

Runs against moto in-process (no AWS account, no network), with the audit table created
from template.yaml's ``AuditTable`` (or the template named by ``GATEHOUSE_TEMPLATE``).

Two ways of contending for one tenant's chain head:

- ``contended``: ``--threads`` threads of one process call ``gatehouse.audit.append``,
  as concurrent requests of one local runtime would. The per-tenant lock serializes them
  inside the process, so each append is one TransactWriteItems (plus one GetItem for the
  process's first append of the tenant).
- ``independent_writers``: each thread has its own ``AuditLog`` (its own lock and head
  memory), as separate Lambda containers would; writers collide on the head condition and
  retry on the head returned by the failed condition. moto's TransactWriteItems is not
  isolated between threads (it writes as it checks and rolls back by restoring a copy of
  the table), so this mode serializes moto's transactions to give them DynamoDB's isolation.

moto copies every table a transaction touches, so its appends slow down as the table
grows; compare figures from runs of the same size only. Round trips are counted with
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "shared" / "python")]
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        # Tenant data is reached with this role's sessions; moto's STS answers AssumeRole.
        "GATEHOUSE_TENANT_ROLE_ARN": "arn:aws:iam::123456789012:role/gatehouse-bench-tenant-access",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402 - after the environment above, which boto3 reads once
from cfnlint.decode.cfn_yaml import load  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402

from gatehouse.audit import Actor, Target, append  # noqa: E402
from gatehouse.audit.log import AuditLog  # noqa: E402
from gatehouse.audit.verify import verify  # noqa: E402
from gatehouse.aws_calls import AwsCallCounter  # noqa: E402
from gatehouse.config import get_settings  # noqa: E402
from gatehouse.ids import new_tenant_id  # noqa: E402

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


def isolate_moto_transactions() -> None:
    lock = threading.Lock()
    original = DynamoDBBackend.transact_write_items

    def isolated(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with lock:
            original(self, transact_items)

    DynamoDBBackend.transact_write_items = isolated  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--per-thread", type=int, default=25, help="appends per thread (default 25)")
    args = parser.parse_args(argv)
    with mock_aws():
        signing_key()
        fresh_audit_table("gatehouse-bench-warmup")
        run(1, 5, lambda slot: shared_log)  # warm-up: clients, connections, imports
        fresh_audit_table("gatehouse-bench-contended")
        seconds, appends, round_trips = run(args.threads, args.per_thread, lambda slot: shared_log)
        print(f"audit_appends_per_second_contended: {appends / seconds:.1f}")
        print(f"audit_dynamodb_round_trips_per_append: {round_trips / appends:.3f}")
        isolate_moto_transactions()
        fresh_audit_table("gatehouse-bench-independent")
        seconds, appends, round_trips = run(args.threads, args.per_thread, independent)
        print(f"audit_appends_per_second_independent_writers: {appends / seconds:.1f}")
        print(f"audit_dynamodb_round_trips_per_append_independent_writers: {round_trips / appends:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
