"""Operator CLI: ``python -m gatehouse.ops <command>``.

Works against AWS (credentials and table names from the environment, as the
template sets them) or the local runtime (``--endpoint-url``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from gatehouse.config import get_settings
from gatehouse.ops.bootstrap import bootstrap_tenant


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gatehouse.ops", description=__doc__)
    parser.add_argument("--endpoint-url", help="AWS endpoint (the local runtime's moto URL)")
    parser.add_argument("--main-table", help="main table name (default: $GATEHOUSE_MAIN_TABLE)")
    commands = parser.add_subparsers(dest="command", required=True)
    boot = commands.add_parser("bootstrap-tenant", help="create a tenant, its first owner and API key")
    boot.add_argument("--name", required=True)
    boot.add_argument("--owner-email", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    if args.main_table:
        os.environ["GATEHOUSE_MAIN_TABLE"] = args.main_table
    get_settings.cache_clear()
    if args.command == "bootstrap-tenant":
        result = bootstrap_tenant(args.name, args.owner_email)
        json.dump(
            {"tenant_id": result.tenant_id, "owner_user_id": result.owner_user_id, "api_key": result.api_key},
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n# The API key is shown once; store it now.\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
