"""A 10,000-contact SMS campaign run on the local runtime, measured by counted operations.

The run is the real one: the API starts it, moto executes the template's state machine
(gate 1, the planner's pages, the Distributed Map of batches, the run's end) and the
dispatch handlers send through the recording sandbox. The contacts are written straight
to the table beforehand (clones of one contact created through the domain, each with
its own number and id), so only the run is counted.

Counted while the run executes:
- AWS round trips by service (``gatehouse.aws_calls``: every HTTP attempt);
- Lambda invocations (each served function's invocations);
- Step Functions state transitions of the Standard parent (its ``StateEntered`` events);
  the batches' child executions are Express in AWS, billed per request and duration;
- DynamoDB capacity by partition key, sized from each request's items
  (``local.capacity``: its docstring has the rules), printed per collection and written
  with the other counts to ``.bench/dispatch_counts.json`` for ``bench/scale_model.py``.

Cost per 1,000 messages at list prices (us-east-1): Lambda $0.20 per million requests
and $0.0000166667 per GB-second (memory from the template, duration measured here);
DynamoDB on demand $0.625 per million write units and $0.125 per million read units;
Step Functions Standard $0.025 per 1,000 transitions, Express $1.00 per million
requests plus $0.00001667 per GB-second (64 MB, the batch's duration); KMS $0.03 per
10,000 requests.

Usage: python bench/bench_dispatch.py [--contacts N]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"

from gatehouse.aws_calls import AwsCallCounter  # noqa: E402
from local.capacity import PartitionCapacity, slug  # noqa: E402
from local.runtime import LocalRuntime  # noqa: E402

PRICE = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,
    "dynamodb_write_unit": 0.625 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    "standard_transition": 0.025 / 1000,
    "express_request": 1.00 / 1e6,
    "express_gb_second": 0.00001667,
    "kms_request": 0.03 / 10_000,
}
COUNTS = ROOT / ".bench" / "dispatch_counts.json"  # the scale model's input
WINDOWS = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}]


def seed_contacts(runtime: LocalRuntime, count: int) -> None:
    from gatehouse.contacts import checks  # noqa: PLC0415 - after the runtime set the environment
    from gatehouse.contacts.keys import contact_id_for  # noqa: PLC0415
    from gatehouse.contacts.records import Contact, ContactInput  # noqa: PLC0415
    from gatehouse.contacts.service import create  # noqa: PLC0415
    from gatehouse.identity.caller import operator  # noqa: PLC0415
    from gatehouse.tenancy import TenantScope  # noqa: PLC0415

    assert runtime.demo is not None
    scope = TenantScope(runtime.demo.tenant_id)
    ops = operator(runtime.demo.tenant_id, "bench", request_id="bench")
    person = ContactInput.model_validate(
        {
            "phone": "+12125550101",
            "first_name": "Ann",
            "state": "NY",
            "tags": ["bench"],
            "consent": [
                {
                    "type": "express_written",
                    "channels": ["sms"],
                    "obtained_at": "2026-01-05T10:00:00Z",
                    "source": "import",
                    "wording": "Yes, text me",
                    "seller": "Demo Outreach LLC",
                    "number": "+12125550101",
                    "signature_ref": "esign:bench-0001",
                    "not_condition_of_purchase": True,
                }
            ],
        }
    )
    view = create(scope, ops, person, suppressed=checks.suppressed, scrub=checks.scrub)
    first = scope.require(Contact, view.contact_id)

    def clone(n: int) -> Contact:
        e164 = f"+1212{5550200 + n:07d}"
        consent = [c.model_copy(update={"number": e164}) for c in first.consent]  # it names its own number
        # Keyed by its number, as every contact is (gatehouse.contacts.keys).
        contact_id = contact_id_for(scope.tenant_id, e164)
        return first.model_copy(update={"contact_id": contact_id, "e164": e164, "consent": consent})

    clones = (clone(n) for n in range(count - 1))
    scope.batch_save(clones)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    args = parser.parse_args(argv)
    for noisy in ("werkzeug", "moto", "local", "gatehouse"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    # The handlers' JSON log lines and metric documents go to stdout; only the figures should.
    figures, sys.stdout = sys.stdout, open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    try:
        return _measure(args, figures)
    finally:
        sys.stdout.close()
        sys.stdout = figures


def _measure(args: argparse.Namespace, figures: Any) -> int:  # noqa: PLR0915 - one straight script
    with LocalRuntime() as runtime:
        assert runtime.demo is not None
        from gatehouse.providers.sandbox import sandbox  # noqa: PLC0415

        # The run alone is measured: the sandbox's delivery callbacks (webhook traffic) are off.
        sandbox().stop_callbacks()
        seed_contacts(runtime, args.contacts)
        at = datetime.now(UTC).replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=1)
        while at.weekday() != 2:  # a Wednesday afternoon in New York
            at += timedelta(days=1)
        runtime.set_clock(lambda: at)
        from local.demo import SANDBOX_TWILIO, Client  # noqa: PLC0415

        client = Client(runtime.api_url, runtime.demo.api_key)
        client.expect(201, "POST", "/integrations/twilio", SANDBOX_TWILIO)
        spec = {
            "name": "Bench",
            "channel": "sms",
            "audience": {"tag": "bench"},
            "content": {"kind": "sms", "template": "Hi {first_name}. Reply STOP to opt out."},
            # 20 senders at 600 texts a minute each: the run is not held back by gate 6's throughput.
            "senders": {"numbers": [f"+1415555{n:04d}" for n in range(100, 120)]},
            "throughput_per_sender_per_minute": 600,
            "windows": WINDOWS,
        }
        campaign_id = client.expect(201, "POST", "/campaigns", spec)["campaign_id"]
        client.expect(200, "POST", f"/campaigns/{campaign_id}/submit")
        client.expect(200, "POST", f"/campaigns/{campaign_id}/approve")

        invocations: Counter[str] = Counter()
        durations: Counter[str] = Counter()
        for logical_id, fn in runtime.functions.items():
            original = fn.invoke

            def counted(event: Any, _original: Any = original, _id: str = logical_id) -> Any:
                began = time.monotonic()
                try:
                    return _original(event)
                finally:
                    invocations[_id] += 1
                    durations[_id] += time.monotonic() - began

            fn.invoke = counted  # type: ignore[method-assign]

        capacity = PartitionCapacity()
        from gatehouse.tenancy import credentials  # noqa: PLC0415

        # The run starts without tenant credentials, as on containers that start cold with it.
        credentials.forget_all()
        began = time.monotonic()
        sfn = runtime.client("stepfunctions")
        with AwsCallCounter(observe=capacity, answered=capacity.answered) as calls:
            # The start request is counted (it is part of a run); waiting asks Step Functions only.
            client.expect(202, "POST", f"/campaigns/{campaign_id}/start")
            (execution,) = sfn.list_executions(stateMachineArn=runtime.state_machine_arn)["executions"]
            deadline = time.monotonic() + 3600
            while sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING":
                if time.monotonic() > deadline:
                    sys.exit("the run did not finish within an hour")
                time.sleep(0.5)
        seconds = time.monotonic() - began
        run = client.expect(200, "GET", f"/campaigns/{campaign_id}/runs")["items"][0]
        history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
        transitions = sum(1 for e in history if e["type"].endswith("StateEntered"))
        memory = {fid: fn.spec.memory_size / 1024 for fid, fn in runtime.functions.items()}
        tenant_id = runtime.demo.tenant_id

    sent = run["counts"].get("sent", 0)
    if run["status"] != "finished" or sent != args.contacts:
        sys.exit(f"the run did not send to every contact: {run}")
    batches = invocations["DispatchBatchFunction"]
    lambda_gb_s = sum(durations[f] * memory[f] for f in invocations)
    express_gb_s = durations["DispatchBatchFunction"] * 64 / 1024
    dispatch = dict(invocations)  # the start request and the workflow's tasks
    cost = (
        sum(dispatch.values()) * PRICE["lambda_request"]
        + lambda_gb_s * PRICE["lambda_gb_second"]
        + capacity.writes * PRICE["dynamodb_write_unit"]
        + capacity.reads * PRICE["dynamodb_read_unit"]
        + transitions * PRICE["standard_transition"]
        + batches * PRICE["express_request"]
        + express_gb_s * PRICE["express_gb_second"]
        + calls.total("kms") * PRICE["kms_request"]
    )
    for line in calls.format_lines("dispatch_calls"):
        print(line, file=figures)
    print(f"dispatch_contacts: {args.contacts}", file=figures)
    print(f"dispatch_seconds_local: {seconds:.1f}", file=figures)
    print(f"dynamodb_round_trips_per_contact: {calls.total('dynamodb') / args.contacts:.4f}", file=figures)
    print(f"dynamodb_write_units_per_contact: {capacity.writes / args.contacts:.2f}", file=figures)
    print(f"dynamodb_read_units_per_contact: {capacity.reads / args.contacts:.2f}", file=figures)
    print(f"state_transitions_per_contact: {transitions / args.contacts:.4f}", file=figures)
    print(f"express_executions_per_contact: {batches / args.contacts:.4f}", file=figures)
    print(f"lambda_invocations_per_contact: {sum(dispatch.values()) / args.contacts:.4f}", file=figures)
    print(f"kms_calls_per_batch: {calls.total('kms') / batches:.3f}", file=figures)
    print(f"sts_calls_per_batch: {calls.total('sts') / batches:.3f}", file=figures)
    print(f"aws_cost_per_1000_messages_usd: {cost / sent * 1000:.5f}", file=figures)
    partitions = capacity.records(tenant_id)
    for line in collection_lines(partitions, args.contacts):
        print(line, file=figures)
    counts = {
        "contacts": args.contacts,
        "seconds_local": seconds,
        "state_transitions": transitions,
        "express_executions": batches,
        "express_seconds": durations["DispatchBatchFunction"],
        "kms_calls": calls.total("kms"),
        "cost_usd": cost,
        "lambda": {
            f: {"invocations": n, "seconds": durations[f], "memory_gb": memory[f]}
            for f, n in dispatch.items()
        },
        "partitions": partitions,
    }
    COUNTS.parent.mkdir(exist_ok=True)
    COUNTS.write_text(json.dumps(counts, indent=1) + "\n", encoding="utf-8")
    return 0


def collection_lines(partitions: list[dict[str, Any]], contacts: int) -> Iterator[str]:
    """Per collection: operations, keys, average item size written, read and write units per contact."""
    for collection, rows in sorted(by_collection(partitions).items()):
        name = f"dispatch_partition_{slug(collection)}"
        written = sum(r["items_written"] for r in rows)
        average = sum(r["bytes_written"] for r in rows) / written if written else 0
        yield f"{name}_operations: {sum(r['operations'] for r in rows)}"
        yield f"{name}_keys: {len(rows)}"
        yield f"{name}_avg_item_bytes: {average:.0f}"
        yield f"{name}_write_units_per_contact: {sum(r['write_units'] for r in rows) / contacts:.4f}"
        yield f"{name}_read_units_per_contact: {sum(r['read_units'] for r in rows) / contacts:.4f}"


def by_collection(partitions: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in partitions:
        grouped.setdefault(row["label"], []).append(row)
    return grouped


if __name__ == "__main__":
    raise SystemExit(main())
