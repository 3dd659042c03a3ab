"""Faults in the audit table, answered on the wire as DynamoDB would answer them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gatehouse.config import get_settings
from tests.support import aws_faults


@contextmanager
def audit_writes_refused() -> Iterator[list[str]]:
    """DynamoDB refuses every write to the audit table (a missing grant, an outage).

    A transaction naming the audit table is refused whole, as DynamoDB refuses one item
    it may not write. Yields the operations refused, so a test can tell an audit write
    was attempted.
    """
    audit_table = get_settings().audit_table

    def writes_audit(operation: str, body: dict[str, Any]) -> bool:
        return audit_table in aws_faults.tables_written(operation, body)

    with aws_faults.failing(
        "dynamodb", "AccessDeniedException", "not authorized to write the audit table", when=writes_audit
    ) as fault:
        yield fault.answered
