"""Create the DynamoDB tables that template.yaml declares (keys, GSIs, TTL) in moto."""

from __future__ import annotations

from gatehouse.config import Settings
from local.aws import create_table
from tests.support import clients
from tests.support.template import template

TABLE_SETTING = {
    "MainTable": "main_table",
    "AuditTable": "audit_table",
    "IdempotencyTable": "idempotency_table",
}


def create_tables(settings: Settings) -> None:
    client = clients.client("dynamodb", settings.region)
    for table in template().tables:
        create_table(client, table, getattr(settings, TABLE_SETTING[table.logical_id]))
