"""KMS calls and decrypt throughput of the credentials vault, with and without the data-key cache.

Runs against moto in-process (no AWS account, no network), with the main and audit
tables created from template.yaml (or the template named by ``GATEHOUSE_TEMPLATE``) and
a fresh symmetric KMS key standing in for the template's DataKey.

One tenant connects Twilio credentials through the domain (``gatehouse.vault.connect``);
then, in the same process:

- ``vault_kms_calls_per_1000_decrypts``: KMS requests made by ``--decrypts`` resolves of
  that tenant's credentials (``gatehouse.vault.resolve``: read the record, open the sealed
  message, validate), scaled to 1,000, through the process's caching envelope;
- ``vault_kms_calls_per_1000_decrypts_uncached``: the same opens through an envelope
  built without the cache (the SDK's default materials manager), scaled to 1,000;
- ``vault_decrypts_per_second``: opens per second of the sealed message through the
  caching envelope once warm (no KMS round trip left, so this is the local cost of
  parsing, ECDSA P-384 signature verification and AES-GCM).

KMS requests are counted with ``gatehouse.aws_calls.AwsCallCounter`` (every HTTP attempt,
retries included). moto's KMS answers in-process, so the uncached figure counts calls
but says nothing about KMS latency. Prints ``name: value`` lines only, never judges them.
"""

from __future__ import annotations

import argparse
import sys
import time

import botocore.session
import moto_setup  # first: the environment boto3 reads once
from moto import mock_aws

from gatehouse.aws_calls import AwsCallCounter
from gatehouse.config import get_settings
from gatehouse.identity.caller import operator
from gatehouse.ids import new_tenant_id
from gatehouse.tenancy import TenantScope
from gatehouse.vault import Integration, Provider, connect, resolve
from gatehouse.vault.envelope import Envelope, get_envelope

TWILIO = {
    "account_sid": "AC" + "0123456789abcdef" * 2,
    "auth_token": "f00dfacecafebeef" * 2,
    "messaging_service_sid": "MG" + "fedcba9876543210" * 2,
}


def prepare() -> tuple[TenantScope, str]:
    """Tables from the template, a DataKey, and one tenant with Twilio connected; its sealed message."""
    moto_setup.create_tables_and_keys()
    scope = TenantScope(new_tenant_id())
    connect(scope, operator(scope.tenant_id, "bench", request_id="bench"), Provider.TWILIO, TWILIO)
    record = scope.require(Integration, Provider.TWILIO.value)
    if record.sealed is None:
        sys.exit("the connected integration holds no sealed message")
    return scope, record.sealed


def kms_calls_resolving(scope: TenantScope, count: int) -> int:
    with AwsCallCounter() as calls:
        for _ in range(count):
            resolve(scope, Provider.TWILIO)
    return calls.total("kms")


def kms_calls_uncached(scope: TenantScope, sealed: str, count: int) -> int:
    settings = get_settings()
    kms = botocore.session.get_session().create_client("kms", region_name=settings.region)
    envelope = Envelope(settings.data_key_id, kms, caching=False)
    with AwsCallCounter() as calls:
        for _ in range(count):
            envelope.open(sealed, tenant_id=scope.tenant_id, purpose=Provider.TWILIO.purpose)
    return calls.total("kms")


def decrypts_per_second(scope: TenantScope, sealed: str, count: int) -> float:
    envelope = get_envelope()
    envelope.open(sealed, tenant_id=scope.tenant_id, purpose=Provider.TWILIO.purpose)  # warm
    start = time.perf_counter()
    for _ in range(count):
        envelope.open(sealed, tenant_id=scope.tenant_id, purpose=Provider.TWILIO.purpose)
    return count / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--decrypts", type=int, default=1000, help="decrypts per measured batch (default 1000)"
    )
    args = parser.parse_args(argv)
    per_thousand = 1000 / args.decrypts
    with mock_aws():
        scope, sealed = prepare()
        cached = kms_calls_resolving(scope, args.decrypts)
        uncached = kms_calls_uncached(scope, sealed, args.decrypts)
        rate = decrypts_per_second(scope, sealed, args.decrypts)
    print(f"vault_kms_calls_per_1000_decrypts: {cached * per_thousand:g}")
    print(f"vault_kms_calls_per_1000_decrypts_uncached: {uncached * per_thousand:g}")
    print(f"vault_decrypts_per_second: {rate:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
