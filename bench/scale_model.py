"""The dispatch run's counted operations projected to a large tenant and to a full table.

Input: ``.bench/dispatch_counts.json``, written by ``bench/bench_dispatch.py`` from the
counter that sizes its DynamoDB units (``local.capacity``, one row per partition key); when
it is absent a dispatch of ``--contacts`` contacts is run first to write it.

Two scenarios, each sustained (the throughput gate paces sends evenly, so the sustained
send rate is the peak one):
- ``large_tenant``: one tenant sending at ``--rate`` messages per second (100: a high 10DLC tier);
- ``full_table``: ``--tenants`` tenants on one table, each at ``--tenant-rate``.

A key whose label holds ``<tenant>`` belongs to one tenant and runs at that tenant's rate;
any other key (``SYSTEM#...``) is shared and runs at the whole table's rate. Keys a container
reads once per ``CACHED`` period run at containers / period instead. Units per second of the
hottest key of each collection are set against DynamoDB's per-partition limits (1,000 write,
3,000 read units per second); a key above one is flagged with the design that fixes it, and
every collection says at which send rate it would cross.

Lambda concurrency is invocations per second times the seconds each took here (DynamoDB
Local on this machine: an upper bound). Cost per day is the run's cost per message (list
prices, ``bench_dispatch``) times a day of sends.

Usage: python bench/scale_model.py [--rate 100] [--tenants 1000] [--tenant-rate 10]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

sys.path[:0] = [
    str(Path(__file__).resolve().parents[1]),
    str(Path(__file__).resolve().parents[1] / "layers/shared/python"),
]

from local.capacity import slug  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COUNTS = ROOT / ".bench" / "dispatch_counts.json"
WRITE_LIMIT: Final = 1000.0  # write units per second per partition
READ_LIMIT: Final = 3000.0  # read units per second per partition
TABLE_LIMIT: Final = 40_000.0  # an on-demand table's default quota, each of reads and writes
SHARD_FILL: Final = 0.8  # shards are sized to run at most this share of the limit
SECONDS_PER_DAY: Final = 86_400
PER_CONTACT: Final = 0.1  # units per contact below which a collection is touched per run, not per contact
# Keys a container reads at most once per this many seconds, whatever it sends.
CACHED: Final = {"SYSTEM#DECLARED_DATES": 60.0}
# The design that keeps a collection under the limit, where the default (write sharding) is not it.
FIXES: Final = {
    "<tenant>#LEDGER": "write sharding: <tenant>#LEDGER#<n>, n from the contact id (a claim knows its shard)",
    "<tenant>#OUTCOME": "write sharding: <tenant>#OUTCOME#<n>, n from the contact id; a report reads all",
    "<tenant>#OUTCOME_SHEET": "write sharding: <tenant>#OUTCOME_SHEET#<n>, n from the sheet's prefix (known)",
    "<tenant>#SUPPRESSION": "sharding: <tenant>#SUPPRESSION#<n>, n from the number's hash (one per check)",
    "<tenant>#CONTACT": "sharding by contact id: audience pages read every <tenant>#CONTACT#<n> in turn",
    "SYSTEM#DECLARED_DATES": "a longer container cache, or copies SYSTEM#DECLARED_DATES#<n> read at random",
}
DEFAULT_FIX: Final = "write sharding: a shard suffix from the item's id, read back by querying every shard"


@dataclass(frozen=True)
class Scenario:
    name: str
    tenants: int
    rate_each: float  # messages per second per tenant

    @property
    def rate(self) -> float:
        return self.tenants * self.rate_each


@dataclass(frozen=True)
class Heat:
    """The hottest key of one collection: its units per contact and how many keys shared the load."""

    collection: str
    keys: int
    write_units_per_contact: float
    read_units_per_contact: float
    read_units_per_operation: float

    @property
    def shared(self) -> bool:
        """One key for every tenant (``SYSTEM#...``); a key naming a tenant's id or its item's is not."""
        return "<tenant>" not in self.collection and "<id>" not in self.collection


def collections(counts: dict[str, Any]) -> list[Heat]:
    """Per collection (label), the key that took the most units, per contact of the run."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in counts["partitions"]:
        grouped.setdefault(row["label"], []).append(row)
    contacts = counts["contacts"]
    heats = []
    for label, rows in sorted(grouped.items()):
        hottest = max(rows, key=lambda r: r["write_units"] + r["read_units"])
        heats.append(
            Heat(
                collection=label,
                keys=len(rows),
                write_units_per_contact=hottest["write_units"] / contacts,
                read_units_per_contact=hottest["read_units"] / contacts,
                read_units_per_operation=hottest["read_units"] / max(1, hottest["operations"]),
            )
        )
    return heats


def lambda_concurrency(counts: dict[str, Any], rate: float) -> float:
    """Little's law: invocations per second times seconds per invocation, summed over functions."""
    contacts: int = counts["contacts"]
    return sum(float(f["seconds"]) / contacts * rate for f in counts["lambda"].values())


def units_per_second(heat: Heat, scenario: Scenario, containers: float) -> tuple[float, float]:
    """(write, read) units per second on the collection's hottest key in the scenario."""
    if heat.collection in CACHED:
        return 0.0, heat.read_units_per_operation * containers / CACHED[heat.collection]
    rate = scenario.rate if heat.shared else scenario.rate_each
    return heat.write_units_per_contact * rate, heat.read_units_per_contact * rate


def table_units_per_second(
    counts: dict[str, Any], scenario: Scenario, containers: float
) -> tuple[float, float]:
    """(write, read) units per second on the whole table: every key's units per contact, at its rate."""
    writes = reads = 0.0
    for row in counts["partitions"]:
        if row["label"] in CACHED:
            reads += row["read_units"] / max(1, row["operations"]) * containers / CACHED[row["label"]]
            continue
        writes += row["write_units"] / counts["contacts"] * scenario.rate
        reads += row["read_units"] / counts["contacts"] * scenario.rate
    return writes, reads


def crossing_rate(units_per_contact: float, limit: float) -> float:
    """The send rate (messages per second on the key) at which a key reaches the limit."""
    return limit / units_per_contact if units_per_contact else math.inf


def shards_needed(units: float, limit: float) -> int:
    return max(1, math.ceil(units / (limit * SHARD_FILL)))


def project(counts: dict[str, Any], scenario: Scenario) -> Iterator[str]:
    """``name: value`` lines for one scenario; a flagged key's fix goes to standard error."""
    contacts = counts["contacts"]
    prefix = f"scale_{scenario.name}"
    containers = lambda_concurrency(counts, scenario.rate)
    yield f"{prefix}_tenants: {scenario.tenants}"
    yield f"{prefix}_messages_per_second: {scenario.rate:g}"
    table_writes, table_reads = table_units_per_second(counts, scenario, containers)
    for heat in collections(counts):
        writes, reads = units_per_second(heat, scenario, containers)
        name = f"{prefix}_{slug(heat.collection)}"
        yield f"{name}_write_units_per_second: {writes:.1f}"
        yield f"{name}_read_units_per_second: {reads:.1f}"
        yield from _flags(name, heat, writes, reads)
    yield f"{prefix}_table_write_units_per_second: {table_writes:.0f}"
    yield f"{prefix}_table_read_units_per_second: {table_reads:.0f}"
    over_quota = max(table_writes, table_reads) > TABLE_LIMIT
    yield f"{prefix}_table_over_quota: {int(over_quota)}"
    if over_quota:
        print(
            f"{prefix}: the table's units/s pass its {TABLE_LIMIT:.0f} default quota: raise it",
            file=sys.stderr,
        )
    per_second = scenario.rate / contacts  # of everything the run counted once
    yield f"{prefix}_state_transitions_per_second: {counts['state_transitions'] * per_second:.2f}"
    yield f"{prefix}_express_executions_per_second: {counts['express_executions'] * per_second:.2f}"
    yield f"{prefix}_lambda_concurrency: {containers:.1f}"
    yield f"{prefix}_cost_per_day_usd: {counts['cost_usd'] * per_second * SECONDS_PER_DAY:.2f}"


def _flags(name: str, heat: Heat, writes: float, reads: float) -> Iterator[str]:
    for kind, units, limit in (("write", writes, WRITE_LIMIT), ("read", reads, READ_LIMIT)):
        if units > limit:
            shards = shards_needed(units, limit)
            yield f"{name}_{kind}_shards_needed: {shards}"
            print(
                f"{name}: {units:.0f} {kind} units/s > {limit:.0f}: {fix(heat.collection)}", file=sys.stderr
            )


def fix(collection: str) -> str:
    return FIXES.get(collection, DEFAULT_FIX)


def crossings(counts: dict[str, Any]) -> Iterator[str]:
    """Per collection written or read for each contact, the messages per second that bring its key to a limit.

    The rate is a tenant's for a tenant's key, the table's for a shared one.
    """
    for heat in collections(counts):
        if (
            heat.collection in CACHED
            or max(heat.write_units_per_contact, heat.read_units_per_contact) < PER_CONTACT
        ):
            continue
        rate = min(
            crossing_rate(heat.write_units_per_contact, WRITE_LIMIT),
            crossing_rate(heat.read_units_per_contact, READ_LIMIT),
        )
        if math.isfinite(rate):
            yield f"scale_limit_reached_{slug(heat.collection)}_messages_per_second: {rate:.0f}"


def load(path: Path, contacts: int) -> dict[str, Any]:
    if not path.exists():
        print(f"{path} absent: a {contacts}-contact dispatch writes it", file=sys.stderr)
        bench = [sys.executable, str(ROOT / "bench" / "bench_dispatch.py"), "--contacts", str(contacts)]
        subprocess.run(bench, check=True, stdout=sys.stderr)
    counts: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=Path, default=COUNTS)
    parser.add_argument(
        "--contacts", type=int, default=2000, help="the dispatch size when --counts is absent"
    )
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--tenant-rate", type=float, default=10.0)
    args = parser.parse_args(argv)
    counts = load(args.counts, args.contacts)
    print(f"scale_counted_contacts: {counts['contacts']}")
    for scenario in (
        Scenario("large_tenant", 1, args.rate),
        Scenario("full_table", args.tenants, args.tenant_rate),
    ):
        for line in project(counts, scenario):
            print(line)
    for line in crossings(counts):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
