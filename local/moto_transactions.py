"""DynamoDB transactions on the local runtime: all-or-nothing without copying whole tables.

moto's ``transact_write_items`` backs up every table a transaction touches with a deep
copy, once per item, before it writes. That costs O(table x items) per transaction (a
100-item claim against a table of 40,000 items copies it a hundred times) and, under the
threaded server, fails with "dictionary changed size during iteration" when another
request writes to the table during the copy. Neither happens in DynamoDB.

Single-item conditional writes have the same gap: moto evaluates the condition and then
writes, so two threads can both pass a "create if absent" check. Under the same lock
they cannot, as in DynamoDB.

This replacement keeps DynamoDB's contract: it checks every item's condition first,
under one lock that every transaction takes, and cancels the whole transaction with
moto's own ``TransactionCanceledException`` (one reason per item) when any condition
fails; only then does it write, with the same moto methods. A write that moto rejects
while applying (a malformed update expression) restores the items already written from
their snapshots. Installed by ``local.aws.MotoServer`` for the local runtime and by the
tests' fixtures for ``mock_aws``, so concurrent tests see DynamoDB's behaviour too.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend

_ORIGINAL = DynamoDBBackend.transact_write_items
# Single-item writes whose condition moto checks and applies in two steps: under the lock
# a conditional put, update or delete is atomic, as DynamoDB makes it.
_SINGLE_WRITES = ("put_item", "update_item", "delete_item")
_ORIGINAL_SINGLE = {name: getattr(DynamoDBBackend, name) for name in _SINGLE_WRITES}
_LOCK = threading.RLock()
_OPERATIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})
CONDITION_FAILED = "The conditional request failed"


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _check(backend: DynamoDBBackend, op: dict[str, Any], key: dict[str, Any]) -> tuple[Any, Any]:
    """(error tuple or Nones, the current item) for one item of the transaction."""
    current = backend.get_item(op["TableName"], key)
    expression = op.get("ConditionExpression")
    if expression is None:
        return (None, None, None), current
    condition = get_filter_expression(
        expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    )
    if condition.expr(current):
        return (None, None, None), current
    old = None
    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
        old = current.to_json()["Attributes"]
    return ("ConditionalCheckFailed", CONDITION_FAILED, old), current


def _apply(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(
            op["TableName"], op["Item"], expression_attribute_names=names, expression_attribute_values=values
        )
    elif op_type == "Delete":
        backend.delete_item(
            op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values
        )
    elif op_type == "Update":
        backend.update_item(
            op["TableName"],
            key,
            update_expression=op["UpdateExpression"],
            expression_attribute_names=names or {},
            expression_attribute_values=values or {},
        )


def _restore(backend: DynamoDBBackend, table_name: str, key: dict[str, Any], before: Any) -> None:
    if before is None:
        backend.delete_item(table_name, key)
    else:
        backend.put_item(table_name, before.to_json()["Attributes"])


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    with _LOCK:
        planned: list[tuple[str, dict[str, Any], dict[str, Any], Any]] = []
        errors: list[Any] = []
        seen: set[tuple[str, str]] = set()
        for item in transact_items:
            if len(item) > 1:
                raise TransactWriteSingleOpException
            op_type, op = next(iter(item.items()))
            if op_type not in _OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            key = _key_of(self, op_type, op)
            identity = (str(op["TableName"]), str(dict(sorted(key.items()))))
            if identity in seen:
                raise MultipleTransactionsException()
            seen.add(identity)
            error, current = _check(self, op, key)
            errors.append(error)
            planned.append((op_type, op, key, copy.deepcopy(current)))
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        done: list[tuple[dict[str, Any], dict[str, Any], Any]] = []
        try:
            for op_type, op, key, before in planned:
                _apply(self, op_type, op, key)
                done.append((op, key, before))
        except Exception:
            for op, key, before in reversed(done):
                _restore(self, op["TableName"], key, before)
            raise


def _atomic(name: str) -> Any:
    original = _ORIGINAL_SINGLE[name]

    def write(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return original(self, *args, **kwargs)

    write.__name__ = name
    return write


_installed = 0


def install() -> None:
    """Use the replacement (counted: it stays until every installer has removed it)."""
    global _installed  # noqa: PLW0603 - the patched class is process-wide, and so is the count
    with _LOCK:
        _installed += 1
        setattr(DynamoDBBackend, "transact_write_items", transact_write_items)  # noqa: B010
        for name in _SINGLE_WRITES:
            setattr(DynamoDBBackend, name, _atomic(name))


def remove() -> None:
    global _installed  # noqa: PLW0603
    with _LOCK:
        _installed = max(0, _installed - 1)
        if _installed == 0:
            setattr(DynamoDBBackend, "transact_write_items", _ORIGINAL)  # noqa: B010
            for name, original in _ORIGINAL_SINGLE.items():
                setattr(DynamoDBBackend, name, original)
