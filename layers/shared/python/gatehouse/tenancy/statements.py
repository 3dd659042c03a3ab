"""Conditional writes of single items, 25 per round trip, as PartiQL statements.

For many writes that must each be conditional but need no atomicity across items (a
batch's claims): each statement is its own write and costs what a ``PutItem`` costs (one
write unit per KB), where the same writes inside a transaction cost twice that; 25 go in
one ``BatchExecuteStatement``, up to ``CONCURRENCY`` of them in flight at once. The
condition is ``store.put``'s optimistic lock: a record
at version 0 is an ``INSERT``, which DynamoDB refuses when an item has the key; a record
at version n is an ``UPDATE ... WHERE version = n`` that replaces every attribute, and
DynamoDB refuses it when the item is at another version or gone. A refusal carries the
item as it stands when DynamoDB returns it (``ReturnValuesOnConditionCheckFailure``), so
the writer can decide again without a read.

A statement that fails for another reason (throttled, a conflicting transaction) is sent
again, up to ``_ATTEMPTS`` times in all; one that still fails raises, and the statements
that went through stand. Only ``tenancy`` imports this module.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from gatehouse.errors import GatehouseError
from gatehouse.tenancy.records import Record
from gatehouse.tenancy.store import Item, forget, to_item

R = TypeVar("R", bound=Record)
STATEMENT_LIMIT: Final = 25  # DynamoDB's limit per BatchExecuteStatement
CONCURRENCY: Final = 4  # chunks in flight at once
KEYS: Final = ("pk", "sk")
# Attributes an item may lack; a replacing UPDATE removes the ones the new item lacks.
OPTIONAL: Final = ("gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "expires_at")
REFUSALS: Final = frozenset({"ConditionalCheckFailed", "DuplicateItem"})
_ATTEMPTS: Final = 4


@dataclass(frozen=True)
class Refused:
    """A write DynamoDB refused: the item as the refusal returned it, when it returned one."""

    current: Item | None
    returned: bool  # False: the refusal carried no item (an INSERT's DuplicateItem, a gone item): read it


class StatementsFailed(GatehouseError):
    """Some statements kept failing for a reason other than their condition; the rest stand."""

    status = 503
    code = "temporarily_unavailable"


def put_each(model: type[Item], staged: Sequence[tuple[R, str]]) -> list[R | Refused]:
    """Write each (record, partition key) on its own condition; per record: the record as written, or Refused.

    Keys must be distinct (DynamoDB refuses a batch that names one key twice).
    """
    results: list[R | Refused | None] = [None] * len(staged)
    client: Any = model._get_connection().connection.client  # botocore's client: operations are dynamic
    table = str(model.Meta.table_name)
    statements = []
    for record, pk in staged:
        forget(pk, record.sort_key())  # here: a prefetch belongs to this thread's context
        statements.append(_statement(model, table, record, pk))
    chunks = [
        list(range(start, min(start + STATEMENT_LIMIT, len(staged))))
        for start in range(0, len(staged), STATEMENT_LIMIT)
    ]
    if not chunks:
        return []
    if len(chunks) == 1:
        _send(client, model, staged, statements, chunks[0], results)
    else:  # independent writes: in flight together, so the round trips do not add up to latency
        with ThreadPoolExecutor(max_workers=min(CONCURRENCY, len(chunks))) as pool:
            sent = [pool.submit(_send, client, model, staged, statements, c, results) for c in chunks]
            for future in sent:
                future.result()
    return [result for result in results if result is not None]


def _send(  # noqa: PLR0917 - one chunk of put_each's statements
    client: Any,
    model: type[Item],
    staged: Sequence[tuple[R, str]],
    statements: list[dict[str, Any]],
    positions: list[int],
    results: list[R | Refused | None],
) -> None:
    """Send one chunk (each worker writes only its own positions of ``results``)."""
    pending = positions
    for attempt in range(_ATTEMPTS):
        if attempt:
            time.sleep(0.05 * 2**attempt)
        answer = client.batch_execute_statement(Statements=[statements[p] for p in pending])
        again: list[int] = []
        for position, response in zip(pending, answer["Responses"], strict=True):
            record = staged[position][0]
            error = response.get("Error")
            if error is None:
                results[position] = record.model_copy(update={"version": record.version + 1})
            elif error.get("Code") in REFUSALS:
                returned = error.get("Item")
                current = model.from_raw_data(returned) if returned else None
                results[position] = Refused(current, current is not None)
            else:
                again.append(position)
        if not again:
            return
        pending = again
    raise StatementsFailed("some writes could not be made; retry")


def _statement(model: type[Item], table: str, record: Record, pk: str) -> dict[str, Any]:
    item = to_item(record, pk, model)
    item.version = record.version + 1
    attributes: dict[str, Any] = item.serialize()
    if record.version == 0:
        names = list(attributes)
        fields = ", ".join(f"'{name}': ?" for name in names)
        return {
            "Statement": f'INSERT INTO "{table}" VALUE {{{fields}}}',
            "Parameters": [attributes[name] for name in names],
        }
    changed = [name for name in attributes if name not in KEYS]
    removed = [name for name in OPTIONAL if name not in attributes]
    text = " ".join(
        [f'UPDATE "{table}"', *(f'SET "{n}" = ?' for n in changed), *(f'REMOVE "{n}"' for n in removed)]
    )
    return {
        "Statement": f'{text} WHERE "pk" = ? AND "sk" = ? AND "version" = ?',
        "Parameters": [
            *(attributes[name] for name in changed),
            attributes["pk"],
            attributes["sk"],
            {"N": str(record.version)},
        ],
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
