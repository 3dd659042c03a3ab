"""Counting the DynamoDB items the data door reads (Query, GetItem, BatchGetItem), for tests and benches.

Hooks botocore's ``after-call`` event on the client PynamoDB uses for the main table and
adds up what each read returned; it never changes a request or a reply.
"""

from __future__ import annotations

from collections import Counter
from types import TracebackType
from typing import Any, Self

from gatehouse.tenancy import store

_HOOK = "after-call.dynamodb"


class ItemsRead:
    def __init__(self) -> None:
        self.by_operation: Counter[str] = Counter()
        self._events: Any = None

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())

    def __enter__(self) -> Self:
        client = store.bind()._get_connection().connection.client
        self._events = client.meta.events
        self._events.register(_HOOK, self._count, unique_id="tests.dynamo_reads")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._events.unregister(_HOOK, unique_id="tests.dynamo_reads")

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        if name in {"Query", "Scan"}:
            self.by_operation[name] += int(parsed.get("Count", 0))
        elif name == "GetItem":
            self.by_operation[name] += 1 if parsed.get("Item") else 0
        elif name == "BatchGetItem":
            self.by_operation[name] += sum(len(items) for items in parsed.get("Responses", {}).values())
