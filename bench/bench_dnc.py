"""AWS round trips per number of a DNC registry scrub, a suppression check and a registry load.

Runs against moto in-process (no AWS account, no network), with the main and audit
tables created from template.yaml and fresh KMS keys standing in for the template's
DataKey and SuppressionKey. One tenant loads a full registry file for area code 202
(``--loaded`` numbers), connects a registry DNC integration and suppresses a few numbers;
then, with the tenant's suppression key already derived (it is derived once per process):

- ``dnc_registry_lookup_round_trips_per_number``: AWS requests of one ``gatehouse.dnc.scrub``
  of ``--numbers`` numbers (integration record, registry record, one BatchGetItem per 100),
  divided by the number of numbers;
- ``suppression_check_round_trips_per_number``: AWS requests of one
  ``gatehouse.suppression.suppressed`` of the same numbers (one BatchGetItem per 100), per number;
- ``dnc_registry_load_round_trips_per_number``: AWS requests of the full-file load, per
  number loaded (one BatchWriteItem per 25, plus the query over the area code's older
  numbers and the manifest write).

Requests are counted with ``gatehouse.aws_calls.AwsCallCounter`` (every HTTP attempt,
retries included). Prints ``name: value`` lines only, never judges them.
"""

from __future__ import annotations

import argparse

import moto_setup  # first: the environment boto3 reads once
from moto import mock_aws

from gatehouse.aws_calls import AwsCallCounter
from gatehouse.dnc import LoadKind, load, scrub
from gatehouse.identity.caller import operator
from gatehouse.ids import new_tenant_id
from gatehouse.observability import metrics
from gatehouse.suppression import SuppressionSource, suppress, suppressed
from gatehouse.tenancy import TenantScope
from gatehouse.vault import Provider, connect


def prepare() -> TenantScope:
    moto_setup.create_tables_and_keys()
    return TenantScope(new_tenant_id())


def numbers(count: int) -> list[str]:
    return [f"+1202{2000000 + n * 7:07d}" for n in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1000, help="numbers per lookup (default 1000)")
    parser.add_argument("--loaded", type=int, default=5000, help="registry file size (default 5000)")
    args = parser.parse_args(argv)
    with mock_aws():
        scope = prepare()
        ops = operator(scope.tenant_id, "bench", request_id="bench")
        registry_file = (f"202{2000000 + n * 3:07d}" for n in range(args.loaded))
        with AwsCallCounter() as loading:
            report = load(scope, ops, "202", registry_file, LoadKind.FULL)
        connect(scope, ops, Provider.DNC, {"provider_name": "ftc", "registry_ref": report.registry_ref})
        wanted = numbers(args.numbers)
        for number in wanted[:5]:
            suppress(scope, ops, number, SuppressionSource.MANUAL)
        with AwsCallCounter() as scrubbing:
            scrub(scope, wanted)
        with AwsCallCounter() as checking:
            suppressed(scope, wanted)
        metrics.clear_metrics()
    print(f"dnc_registry_lookup_round_trips_per_number: {scrubbing.total() / len(wanted):g}")
    print(f"suppression_check_round_trips_per_number: {checking.total() / len(wanted):g}")
    print(f"dnc_registry_load_round_trips_per_number: {loading.total() / report.added:g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
