"""The tenant data door against DynamoDB Local: isolation, pagination, optimistic writes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from gatehouse.errors import Conflict, Invalid
from gatehouse.identity.members import Membership
from gatehouse.identity.permissions import Role
from gatehouse.ids import new_id, new_tenant_id
from gatehouse.tenancy import TenantScope

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_a_tenant_never_sees_another_tenants_records(aws: None) -> None:
    a, b = TenantScope(new_tenant_id()), TenantScope(new_tenant_id())
    saved = a.save(Membership(user_id=new_id("usr"), email="x@a.test", role=Role.ADMIN, joined_at=NOW))

    assert a.get(Membership, saved.user_id) == saved
    assert b.get(Membership, saved.user_id) is None
    assert b.query(Membership).items == []


def test_pages_follow_cursors_and_cost_one_page(aws: None) -> None:
    scope = TenantScope(new_tenant_id())
    ids = sorted(
        scope.save(
            Membership(user_id=new_id("usr"), email="m@x.test", role=Role.VIEWER, joined_at=NOW)
        ).user_id
        for _ in range(7)
    )

    first = scope.query(Membership, limit=3)
    second = scope.query(Membership, limit=3, cursor=first.cursor)
    third = scope.query(Membership, limit=3, cursor=second.cursor)

    assert [m.user_id for m in first.items + second.items + third.items] == ids
    assert third.cursor is None


def test_a_cursor_from_one_tenant_is_refused_by_another(aws: None) -> None:
    a, b = TenantScope(new_tenant_id()), TenantScope(new_tenant_id())
    for _ in range(3):
        a.save(Membership(user_id=new_id("usr"), email="m@x.test", role=Role.VIEWER, joined_at=NOW))
    cursor = a.query(Membership, limit=1).cursor
    with pytest.raises(Invalid):
        b.query(Membership, limit=1, cursor=cursor)


def test_writes_are_optimistic(aws: None) -> None:
    scope = TenantScope(new_tenant_id())
    created = scope.save(Membership(user_id=new_id("usr"), email="m@x.test", role=Role.VIEWER, joined_at=NOW))
    with pytest.raises(Conflict):
        scope.save(created.model_copy(update={"version": 0}))  # create again: already exists

    first = scope.save(created.model_copy(update={"role": Role.MEMBER}))
    with pytest.raises(Conflict):
        scope.save(created.model_copy(update={"role": Role.ADMIN}))  # stale version
    assert scope.require(Membership, created.user_id) == first


def test_a_failed_transaction_writes_nothing(aws: None) -> None:
    scope = TenantScope(new_tenant_id())
    existing = scope.save(
        Membership(user_id=new_id("usr"), email="m@x.test", role=Role.VIEWER, joined_at=NOW)
    )
    newcomer = Membership(user_id=new_id("usr"), email="n@x.test", role=Role.VIEWER, joined_at=NOW)
    with pytest.raises(Conflict), scope.transaction() as txn:  # noqa: PT012 - the commit on exit raises
        txn.save(newcomer)
        txn.save(existing.model_copy(update={"version": 0}))  # conflicts: already exists
    assert scope.get(Membership, newcomer.user_id) is None


def test_batch_get_returns_only_the_scope_tenants_items(aws: None) -> None:
    a, b = TenantScope(new_tenant_id()), TenantScope(new_tenant_id())
    mine = a.save(Membership(user_id=new_id("usr"), email="m@x.test", role=Role.VIEWER, joined_at=NOW))
    theirs = b.save(Membership(user_id=new_id("usr"), email="t@x.test", role=Role.VIEWER, joined_at=NOW))
    found = a.batch_get(Membership, [mine.user_id, theirs.user_id])
    assert list(found) == [mine.user_id]


def test_batch_writes_stay_in_the_scope_and_cost_one_call_per_25(aws: None) -> None:
    from gatehouse.aws_calls import AwsCall, AwsCallCounter

    a, b = TenantScope(new_tenant_id()), TenantScope(new_tenant_id())
    members = (
        Membership(user_id=new_id("usr"), email=f"m{n}@x.test", role=Role.VIEWER, joined_at=NOW)
        for n in range(60)
    )
    with AwsCallCounter() as calls:
        written = a.batch_save(members)
    assert written == 60
    assert calls.counts()[AwsCall("dynamodb", "BatchWriteItem")] == 3
    listed = a.query(Membership, limit=100).items
    assert len(listed) == 60
    assert b.query(Membership).items == []

    assert a.batch_delete(Membership, [m.user_id for m in listed[:50]]) == 50
    assert len(a.query(Membership, limit=100).items) == 10


def test_a_transaction_with_nothing_to_write_commits_without_asking_dynamodb(aws: None) -> None:
    # DynamoDB refuses a TransactWriteItems of no items (a re-import whose contacts are all unchanged).
    from gatehouse.aws_calls import AwsCallCounter

    scope = TenantScope(new_tenant_id())
    with AwsCallCounter() as calls, scope.transaction():
        pass
    assert calls.total("dynamodb") == 0


def test_a_key_repeated_within_one_batch_is_written_not_refused(aws: None) -> None:
    scope = TenantScope(new_tenant_id())
    user = new_id("usr")
    with scope.batch_writer() as batch:
        batch.save(Membership(user_id=user, email="a@x.test", role=Role.VIEWER, joined_at=NOW))
        batch.save(Membership(user_id=user, email="b@x.test", role=Role.VIEWER, joined_at=NOW))
        batch.delete(Membership, new_id("usr"))
    assert batch.sent == 3
    stored = scope.get(Membership, user)
    assert stored is not None
    assert stored.email == "b@x.test"


def test_concurrent_creates_of_one_record_have_one_winner(aws: None) -> None:
    # Version 0 creates only if absent: DynamoDB evaluates that condition and writes atomically,
    # so of eight writers released together exactly one creates the record.
    scope = TenantScope(new_tenant_id())
    user_id = new_id("usr")
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def create(n: int) -> None:
        start.wait()
        try:
            scope.save(Membership(user_id=user_id, email=f"{n}@x.test", role=Role.VIEWER, joined_at=NOW))
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")

    for _ in range(5):
        user_id = new_id("usr")
        outcomes.clear()
        threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["conflict"] * 7 + ["created"]


def test_prefetched_items_answer_one_get_each_and_a_write_forgets_them(aws: None) -> None:
    from gatehouse.aws_calls import AwsCall, AwsCallCounter

    scope = TenantScope(new_tenant_id())
    kept = scope.save(Membership(user_id=new_id("usr"), email="p@x.test", role=Role.VIEWER, joined_at=NOW))
    absent = new_id("usr")
    with (
        AwsCallCounter() as calls,
        scope.prefetch([scope.key(Membership, kept.user_id), scope.key(Membership, absent)]),
    ):
        assert scope.get(Membership, kept.user_id) == kept
        assert scope.get(Membership, absent) is None
        assert calls.counts().get(AwsCall("dynamodb", "GetItem"), 0) == 0  # both from the one BatchGetItem
        scope.save(kept.model_copy(update={"role": Role.ADMIN}))
        assert scope.require(Membership, kept.user_id).role is Role.ADMIN  # read live, never the old copy
    assert calls.counts()[AwsCall("dynamodb", "BatchGetItem")] == 1
