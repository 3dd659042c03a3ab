"""A change and its audit entry commit in one DynamoDB transaction, or neither does (moto)."""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.exceptions import TransactWriteError

from gatehouse import audit
from gatehouse.audit import log as log_module
from gatehouse.audit.log import AuditLog
from gatehouse.audit.store import MAX_CHANGE_ITEMS, AuditStore
from gatehouse.errors import Conflict, CrossTenantAccess
from gatehouse.identity.caller import Caller, operator
from gatehouse.suppression import (
    SuppressionEntry,
    SuppressionSource,
    number_key,
    remove,
    suppress,
    suppressed,
)
from gatehouse.tenancy import TenantScope
from gatehouse.tenancy.scope import TransactionConflict
from tests.conftest import TenantFixture
from tests.support.audit_faults import audit_writes_refused

NUMBER = "+12025550143"


def owner(t: TenantFixture) -> Caller:
    return operator(t.tenant_id, "ops", request_id="req-1")


def entries(t: TenantFixture) -> list[audit.AuditEntry]:
    return audit.list_entries(t.tenant_id, limit=500, newest_first=False).items


def another_process_appends(t: TenantFixture, times: int = 1) -> None:
    """Appends through a log with its own head memory (another Lambda container): the head moves."""
    elsewhere = AuditLog()
    for n in range(times):
        elsewhere.append(
            t.tenant_id,
            actor=audit.Actor.from_label("system:elsewhere"),
            action="contact.imported",
            target=audit.Target(type="contact", id=f"c{n}"),
            request_id="elsewhere",
        )


def save_audited(t: TenantFixture, *records: SuppressionEntry) -> None:
    with audit.recorded(t.scope, owner(t), "suppression.added", "suppression", "test") as change:
        for record in records:
            change.save(record)


def delete_audited(t: TenantFixture, record: SuppressionEntry) -> None:
    with audit.recorded(t.scope, owner(t), "suppression.removed", "suppression", "test") as change:
        change.delete(record)


# ---------------------------------------------------------------- the audit write fails: no change


def test_a_suppression_whose_audit_entry_cannot_be_written_is_not_added(tenant_a: TenantFixture) -> None:
    before = entries(tenant_a)
    with audit_writes_refused() as refused, pytest.raises(TransactWriteError):
        suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL, "asked us to stop")

    assert refused, "the audit write was never attempted"
    assert suppressed(tenant_a.scope, [NUMBER]) == set()
    assert entries(tenant_a) == before
    # Once the audit table takes writes again, the same request goes through, audited once.
    assert suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL).created
    assert [e.action for e in entries(tenant_a)[len(before) :]] == ["suppression.added"]


def test_a_removal_whose_audit_entry_cannot_be_written_leaves_the_number_suppressed(
    tenant_a: TenantFixture,
) -> None:
    suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL)
    before = entries(tenant_a)
    with audit_writes_refused(), pytest.raises(TransactWriteError):
        remove(tenant_a.scope, owner(tenant_a), NUMBER, "new written consent on file")

    assert suppressed(tenant_a.scope, [NUMBER]) == {NUMBER}
    assert entries(tenant_a) == before


def test_a_change_whose_chain_stays_busy_is_not_written(
    tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every attempt loses the head to another writer: the caller gets a Conflict, nothing stands."""
    busy = AuditLog(max_attempts=3, sleep=lambda _: None)
    monkeypatch.setattr(log_module, "_default_log", busy)
    original = AuditStore.append

    def losing(self: AuditStore, entry: Any, expected: Any, change: Any = None) -> Any:
        if change is not None:  # just before each attempt of the change, another writer wins
            another_process_appends(tenant_a)
        return original(self, entry, expected, change)

    monkeypatch.setattr(AuditStore, "append", losing)
    with pytest.raises(Conflict) as raised:
        suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL)

    assert not isinstance(raised.value, TransactionConflict)
    assert suppressed(tenant_a.scope, [NUMBER]) == set()
    assert "suppression.added" not in {e.action for e in entries(tenant_a)}
    assert audit.verify(tenant_a.tenant_id, from_checkpoint=False).ok


# ---------------------------------------------------------------- the change refuses: no entry


def test_a_stale_write_raises_a_conflict_and_writes_no_entry(tenant_a: TenantFixture) -> None:
    suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL)
    key = number_key(tenant_a.tenant_id, NUMBER)
    stale = tenant_a.scope.require(SuppressionEntry, key)
    suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.IMPORT)  # moves it to version 2
    head = AuditStore(tenant_a.tenant_id).head()
    before = entries(tenant_a)

    with pytest.raises(TransactionConflict) as raised:
        delete_audited(tenant_a, stale)

    assert raised.value.failed == frozenset({0})
    assert entries(tenant_a) == before
    assert AuditStore(tenant_a.tenant_id).head() == head
    assert suppressed(tenant_a.scope, [NUMBER]) == {NUMBER}


def test_the_refusing_write_is_named_by_its_position(tenant_a: TenantFixture) -> None:
    scope = tenant_a.scope
    suppress(scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL)
    standing = scope.require(SuppressionEntry, number_key(tenant_a.tenant_id, NUMBER))
    fresh = standing.model_copy(update={"number_key": "a" * 64, "version": 0})
    before = entries(tenant_a)

    # Position 0 is a new entry, free to write; position 1 "creates" one that exists.
    with pytest.raises(TransactionConflict) as raised:
        save_audited(tenant_a, fresh, standing.model_copy(update={"version": 0}))

    assert raised.value.failed == frozenset({1})
    assert entries(tenant_a) == before
    assert scope.get(SuppressionEntry, "a" * 64) is None


def test_an_exception_in_the_block_writes_neither_change_nor_entry(tenant_a: TenantFixture) -> None:
    before = entries(tenant_a)
    entry = SuppressionEntry(
        number_key="b" * 64,
        source=SuppressionSource.MANUAL,
        sources=[SuppressionSource.MANUAL],
        added_at=before[-1].at,
        added_by="operator:ops",
    )

    def change_of_mind() -> None:
        with audit.recorded(
            tenant_a.scope, owner(tenant_a), "suppression.added", "suppression", "b"
        ) as change:
            change.save(entry)
            raise RuntimeError("the caller changed its mind")

    with pytest.raises(RuntimeError):
        change_of_mind()

    assert tenant_a.scope.get(SuppressionEntry, "b" * 64) is None
    assert entries(tenant_a) == before


def test_a_change_too_large_for_one_transaction_is_refused_before_anything_is_written(
    tenant_a: TenantFixture,
) -> None:
    before = entries(tenant_a)
    template = SuppressionEntry(
        number_key="0" * 64,
        source=SuppressionSource.IMPORT,
        sources=[SuppressionSource.IMPORT],
        added_at=before[-1].at,
        added_by="operator:ops",
    )
    many = [template.model_copy(update={"number_key": f"{n:064x}"}) for n in range(MAX_CHANGE_ITEMS + 1)]
    with pytest.raises(ValueError, match=f"at most {MAX_CHANGE_ITEMS}"):
        save_audited(tenant_a, *many)

    assert tenant_a.scope.get(SuppressionEntry, f"{0:064x}") is None
    assert entries(tenant_a) == before


def test_a_change_is_audited_only_in_its_own_tenant(tenant_a: TenantFixture, tenant_b: TenantFixture) -> None:
    before_a, before_b = entries(tenant_a), entries(tenant_b)
    with (
        pytest.raises(CrossTenantAccess),
        audit.recorded(tenant_b.scope, owner(tenant_a), "suppression.added", "suppression", "c" * 16),
    ):
        pass
    assert (entries(tenant_a), entries(tenant_b)) == (before_a, before_b)


# ---------------------------------------------------------------- the head moved: retried, once


def test_a_change_racing_another_append_commits_once_with_one_entry(
    tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(log_module._default_log, "_sleep", waits.append)
    suppress(tenant_a.scope, owner(tenant_a), "+12125550199", SuppressionSource.MANUAL)  # head remembered
    another_process_appends(tenant_a, times=2)  # this process's memory of the head is now stale
    before = entries(tenant_a)

    added = suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL, "asked us to stop")

    assert len(waits) == 1, "the first attempt should have lost the head and been retried"
    assert added.created
    assert suppressed(tenant_a.scope, [NUMBER]) == {NUMBER}
    stored = tenant_a.scope.require(SuppressionEntry, number_key(tenant_a.tenant_id, NUMBER))
    assert stored.version == 1  # written once
    new = entries(tenant_a)[len(before) :]
    assert [(e.action, e.target.id, e.seq) for e in new] == [
        ("suppression.added", added.entry.ref, before[-1].seq + 1)
    ]
    assert new[0].prev_hash == before[-1].hash
    assert audit.verify(tenant_a.tenant_id, from_checkpoint=False).ok
    # The head this process remembers is the one it wrote: the next change needs no retry.
    suppress(tenant_a.scope, owner(tenant_a), "+13105550123", SuppressionSource.MANUAL)
    assert len(waits) == 1


def test_a_stale_change_on_a_moved_head_is_a_conflict_not_a_retry(
    tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(log_module._default_log, "_sleep", waits.append)
    suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL)
    stale = tenant_a.scope.require(SuppressionEntry, number_key(tenant_a.tenant_id, NUMBER))
    suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.IMPORT)
    another_process_appends(tenant_a)
    before = entries(tenant_a)

    with pytest.raises(TransactionConflict):
        delete_audited(tenant_a, stale)

    assert waits == []
    assert entries(tenant_a) == before
    assert suppressed(tenant_a.scope, [NUMBER]) == {NUMBER}
    assert audit.verify(tenant_a.tenant_id, from_checkpoint=False).ok


def test_scope_and_global_writes_commit_with_the_entry(tenant_a: TenantFixture) -> None:
    """An API key (a tenant record and a global credential) and its entry: one transaction."""
    from gatehouse.identity.api_keys import authenticate_api_key, create_api_key
    from gatehouse.identity.permissions import Role

    before = entries(tenant_a)
    with audit_writes_refused(), pytest.raises(TransactWriteError):
        create_api_key(tenant_a.scope, owner(tenant_a), name="ci", role=Role.VIEWER)
    assert entries(tenant_a) == before
    assert [k.name for k in _keys(tenant_a.scope)].count("ci") == 0

    issued = create_api_key(tenant_a.scope, owner(tenant_a), name="ci", role=Role.VIEWER)
    assert authenticate_api_key(issued.token).tenant_id == tenant_a.tenant_id
    assert [e.action for e in entries(tenant_a)[len(before) :]] == ["api_key.created"]


def _keys(scope: TenantScope) -> list[Any]:
    from gatehouse.identity.api_keys import list_api_keys

    return list_api_keys(scope, limit=100, cursor=None).items
