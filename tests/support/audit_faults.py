"""Faults in the audit table, injected at moto's DynamoDB backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import DynamoDBBackend

from gatehouse.config import get_settings


@contextmanager
def audit_writes_refused() -> Iterator[list[str]]:
    """DynamoDB refuses every write to the audit table (a missing grant, an outage).

    A transaction naming the audit table is refused whole, as DynamoDB refuses one item
    it may not write. Yields the tables of the refused requests, so a test can tell an
    audit write was attempted.
    """
    audit_table = get_settings().audit_table
    refused: list[str] = []
    transact, put = DynamoDBBackend.transact_write_items, DynamoDBBackend.put_item

    def denied() -> JsonRESTError:
        refused.append(audit_table)
        return JsonRESTError("AccessDeniedException", "not authorized to write the audit table")

    def transact_refusing(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        if any(next(iter(item.values()))["TableName"] == audit_table for item in transact_items):
            raise denied()
        transact(self, transact_items)

    def put_refusing(self: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        if table_name == audit_table:
            raise denied()
        return put(self, table_name, *args, **kwargs)

    with (
        patch.object(DynamoDBBackend, "transact_write_items", transact_refusing),
        patch.object(DynamoDBBackend, "put_item", put_refusing),
    ):
        yield refused
