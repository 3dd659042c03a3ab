"""Counting the DynamoDB items the data door reads from the main table (Query, GetItem, BatchGetItem).

Hooks botocore's ``before-parameter-build`` (to learn each request's table) and ``after-call`` events
on every DynamoDB client: those that exist (the function's own and each tenant's, found
as ``gatehouse.aws_calls`` finds them) and those created inside the block
(``BUILTIN_HANDLERS``); adds up what each read of the main table returned. It never
changes a request or a reply.
"""

from __future__ import annotations

import gc
import threading
from collections import Counter
from types import TracebackType
from typing import Any, Self

import botocore.handlers
from botocore.client import BaseClient

from gatehouse.config import get_settings

_ID = "tests.dynamo_reads"


class ItemsRead:
    def __init__(self) -> None:
        self.by_operation: Counter[str] = Counter()
        self._table = ""
        self._local = threading.local()
        self._emitters: list[Any] = []
        self._builtin = [
            ("before-parameter-build.dynamodb", self._note_table),
            ("after-call.dynamodb", self._count),
        ]

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())

    def __enter__(self) -> Self:
        self._table = get_settings().main_table
        botocore.handlers.BUILTIN_HANDLERS.extend(self._builtin)
        for client in [o for o in gc.get_objects() if isinstance(o, BaseClient)]:
            if client.meta.service_model.service_name == "dynamodb":
                events = client.meta.events
                events.register(
                    "before-parameter-build.dynamodb", self._note_table, unique_id=f"{_ID}.before"
                )
                events.register("after-call.dynamodb", self._count, unique_id=f"{_ID}.after")
                self._emitters.append(events)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for handler in self._builtin:
            botocore.handlers.BUILTIN_HANDLERS.remove(handler)
        for events in self._emitters:
            events.unregister("before-parameter-build.dynamodb", unique_id=f"{_ID}.before")
            events.unregister("after-call.dynamodb", unique_id=f"{_ID}.after")

    def _note_table(self, params: dict[str, Any], **_: Any) -> None:
        self._local.main = self._table in {params.get("TableName"), *params.get("RequestItems", {})}

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if not getattr(self._local, "main", False):
            return
        name = model.name
        if name in {"Query", "Scan"}:
            self.by_operation[name] += int(parsed.get("Count", 0))
        elif name == "GetItem":
            self.by_operation[name] += 1 if parsed.get("Item") else 0
        elif name == "BatchGetItem":
            self.by_operation[name] += sum(len(items) for items in parsed.get("Responses", {}).values())
