"""What the IAM tenant wall costs in STS calls: AssumeRole per API request, per tenant.

Every tenant-scoped access is signed with a ``TenantAccessRole`` session assumed with the
tenant as session tag (``gatehouse.tenancy.credentials``), cached per container until
shortly before it expires. This bench runs the API function in-process against moto (no
AWS account, no network): ``--tenants`` tenants, each bootstrapped through the domain,
then ``--requests`` authenticated API requests spread over them round-robin (contact and
campaign, member, integration and audit lists), starting with no cached credentials, as a
container that has just started. AWS calls are counted with
``gatehouse.aws_calls.AwsCallCounter`` (every HTTP attempt). The per-batch figure of the
dispatch run is ``sts_calls_per_batch`` in ``bench_dispatch.py``.

Prints ``name: value`` lines only, and never judges a figure.
"""

from __future__ import annotations

import argparse
import sys

import moto_setup  # first: the environment boto3 reads once
from moto import mock_aws

from gatehouse.aws_calls import AwsCallCounter
from gatehouse.ops.bootstrap import bootstrap_tenant
from gatehouse.tenancy import credentials
from tests.support.events import invoke, proxy_event
from tests.support.functions import load_function_module

PATHS = ("/contacts?limit=10", "/campaigns?limit=10", "/members", "/integrations", "/audit?limit=10")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=3, help="tenants the requests are spread over")
    parser.add_argument("--requests", type=int, default=1000, help="API requests in all")
    args = parser.parse_args(argv)
    with mock_aws():
        moto_setup.create_tables_and_keys()
        api = load_function_module("ApiFunction")
        keys = [bootstrap_tenant(f"Bench {n}", f"owner{n}@bench.test").api_key for n in range(args.tenants)]
        credentials.forget_all()  # a container that has just started: nothing cached
        failed = 0
        with AwsCallCounter() as calls:
            for n in range(args.requests):
                path, _, query = PATHS[n % len(PATHS)].partition("?")
                params = dict(part.split("=") for part in query.split("&")) if query else None
                event = proxy_event("GET", path, token=keys[n % len(keys)], query=params)
                failed += invoke(api.lambda_handler, event).status != 200
    if failed:
        print(f"{failed} of {args.requests} requests failed", file=sys.stderr)
        return 1
    sts = calls.total("sts")
    print(f"sts_api_requests: {args.requests}")
    print(f"sts_api_tenants: {args.tenants}")
    print(f"sts_calls_per_1000_api_requests: {sts * 1000 / args.requests:g}")
    print(f"sts_calls_per_tenant_per_container: {sts / args.tenants:g}")
    print(f"dynamodb_round_trips_per_api_request: {calls.total('dynamodb') / args.requests:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
