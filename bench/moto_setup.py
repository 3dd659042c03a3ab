"""What every in-process bench needs before boto3 is imported: a fake account, DynamoDB Local, moto.

Import this module first: it puts the repository and the shared layer on ``sys.path``
and sets the environment boto3 reads once, DynamoDB's endpoint included.
``start_dynamodb_local()`` starts DynamoDB Local there (stopped when the bench exits);
``create_tables_and_keys()`` (inside ``mock_aws``) starts it, creates the main and audit
tables from template.yaml and fresh keys standing in for the DataKey and the SuppressionKey.
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

from local.dynamodb_local import ENDPOINT_ENV, DynamoDBLocal, free_port  # noqa: E402 - after sys.path

DYNAMODB = DynamoDBLocal(free_port())
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        # Tenant data is reached with this role's sessions; moto's STS answers AssumeRole.
        "GATEHOUSE_TENANT_ROLE_ARN": "arn:aws:iam::123456789012:role/gatehouse-bench-tenant-access",
        "GATEHOUSE_MAIN_TABLE": "gatehouse-bench-main",
        "GATEHOUSE_AUDIT_TABLE": "gatehouse-bench-audit",
        "GATEHOUSE_PROVIDER_MODE": "sandbox",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_NAMESPACE": "Gatehouse",
        "POWERTOOLS_SERVICE_NAME": "gatehouse",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ[ENDPOINT_ENV] = DYNAMODB.url  # every table is in DynamoDB Local, the rest of AWS in moto

TABLE_ENV = {"MainTable": "GATEHOUSE_MAIN_TABLE", "AuditTable": "GATEHOUSE_AUDIT_TABLE"}


def start_dynamodb_local() -> None:
    if not DYNAMODB.running:
        DYNAMODB.start()
        atexit.register(DYNAMODB.stop)


def create_tables_and_keys() -> None:
    import boto3  # noqa: PLC0415 - after the environment above

    from gatehouse.config import get_settings  # noqa: PLC0415
    from local.aws import create_table  # noqa: PLC0415
    from local.template import load_template  # noqa: PLC0415

    start_dynamodb_local()
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    for table in load_template().tables:
        if table.logical_id in TABLE_ENV:
            create_table(dynamodb, table, os.environ[TABLE_ENV[table.logical_id]])
    kms = boto3.client("kms", region_name="us-east-1")
    os.environ["GATEHOUSE_DATA_KEY_ID"] = kms.create_key()["KeyMetadata"]["Arn"]
    mac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["Arn"]
    os.environ["GATEHOUSE_SUPPRESSION_KEY_ID"] = mac
    get_settings.cache_clear()
