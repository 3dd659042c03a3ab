"""The tables that template.yaml declares (keys, GSIs, TTL), created in and emptied from DynamoDB Local.

Emptying scans: a test helper may, product code never does.
"""

from __future__ import annotations

from typing import Any

from gatehouse.config import Settings
from local.aws import create_table
from tests.support import clients
from tests.support.template import template

TABLE_SETTING = {
    "MainTable": "main_table",
    "AuditTable": "audit_table",
    "IdempotencyTable": "idempotency_table",
}
_BATCH = 25  # BatchWriteItem's limit


def create_tables(settings: Settings) -> None:
    client = clients.client("dynamodb", settings.region)
    existing = set(client.list_tables()["TableNames"])
    for table in template().tables:
        name = getattr(settings, TABLE_SETTING[table.logical_id])
        if name not in existing:
            # No consumer reads these tables' streams (the local runtime's own tables have them).
            create_table(client, table, name, stream=False)


def empty_tables(settings: Settings) -> None:
    """Delete every item of the template's tables (the next test starts from nothing)."""
    client = clients.client("dynamodb", settings.region)
    for table in template().tables:
        name = getattr(settings, TABLE_SETTING[table.logical_id])
        keys = [k["AttributeName"] for k in table.key_schema]
        names = {f"#k{n}": key for n, key in enumerate(keys)}
        pending: list[dict[str, Any]] = []
        for page in client.get_paginator("scan").paginate(
            TableName=name, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names
        ):
            pending.extend(page["Items"])
        for start in range(0, len(pending), _BATCH):
            requests = [{"DeleteRequest": {"Key": key}} for key in pending[start : start + _BATCH]]
            while requests:
                unprocessed = client.batch_write_item(RequestItems={name: requests})["UnprocessedItems"]
                requests = unprocessed.get(name, [])
