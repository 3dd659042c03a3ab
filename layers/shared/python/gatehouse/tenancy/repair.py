"""Mending stored items that no longer read as their record type (an operator's task).

The data door refuses to write an invalid record, but an item written before it did (or
edited in the table) can still fail to read: lists skip it and report its key. Here such
an item is read raw, a field that holds null where the record type has a non-null default
goes back to that default, a field the type no longer knows is dropped, and the result is
written back only while the item is still at the version read. Anything still invalid is
reported by key, never by content. It reads one tenant's one collection, page by page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from gatehouse.errors import Conflict
from gatehouse.tenancy import store
from gatehouse.tenancy.records import TenantRecord
from gatehouse.tenancy.scope import TenantScope


@dataclass
class RepairReport:
    checked: int = 0
    repaired: list[str] = field(default_factory=list)
    unrepairable: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "repaired": self.repaired, "unrepairable": self.unrepairable}


def repair_records(
    scope: TenantScope, record_type: type[TenantRecord], *, dry_run: bool = False
) -> RepairReport:
    """Rewrite every item of ``record_type`` in the scope's partition that fails to read, where it can."""
    model = scope.model()
    report = RepairReport()
    for item in model.query(scope.partition(record_type), consistent_read=True):
        if item.kind != record_type.__name__:
            continue
        report.checked += 1
        try:
            store.from_item(record_type, item)
            continue
        except ValidationError:
            pass
        mended = _mended(record_type, item)
        if mended is None:
            report.unrepairable.append(item.sk)
            continue
        if not dry_run:
            try:
                store.put(model, mended, item.pk)
            except Conflict:
                report.unrepairable.append(item.sk)  # changed meanwhile: run again
                continue
        report.repaired.append(item.sk)
    return report


def _mended(record_type: type[TenantRecord], item: store.Item) -> TenantRecord | None:
    fields = record_type.model_fields
    body = {
        name: value
        for name, value in item.body.items()
        if name in fields and not (value is None and fields[name].default is not None)
    }
    try:
        return record_type.model_validate({**body, "version": item.version})
    except ValidationError:
        return None
