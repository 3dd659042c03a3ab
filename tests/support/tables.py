"""Create the DynamoDB tables that template.yaml declares (keys, GSIs, TTL) in moto."""

from __future__ import annotations

import boto3

from gatehouse.config import Settings
from local.aws import create_table
from local.template import load_template

TABLE_SETTING = {
    "MainTable": "main_table",
    "AuditTable": "audit_table",
    "IdempotencyTable": "idempotency_table",
}


def create_tables(settings: Settings) -> None:
    client = boto3.client("dynamodb", region_name=settings.region)
    for table in load_template().tables:
        create_table(client, table, getattr(settings, TABLE_SETTING[table.logical_id]))
