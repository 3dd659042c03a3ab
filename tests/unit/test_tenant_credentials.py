"""The per-container cache of tenant credentials: one AssumeRole per tenant, renewed before expiry."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.errors import CrossTenantAccess
from gatehouse.ids import new_tenant_id
from gatehouse.tenancy import credentials
from gatehouse.tenancy.credentials import REFRESH_BEFORE, CredentialCache, TenantCredentials

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AssumeRole the cache makes (answered here, valid one hour from START)."""
    calls: list[str] = []
    lock = threading.Lock()

    def assume(tenant_id: str) -> TenantCredentials:
        time.sleep(0.01)  # long enough for waiting threads to pile up behind the first one
        with lock:
            calls.append(tenant_id)
            n = len(calls)
        return TenantCredentials(tenant_id, f"ASIA{n}", "secret", "token", START + timedelta(hours=1))

    monkeypatch.setattr(credentials, "assume", assume)
    return calls


def test_threads_that_need_one_tenant_at_once_share_one_assume_role(issued: list[str]) -> None:
    cache, tenant = CredentialCache(Clock()), new_tenant_id()
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(tenant).access_key_id)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert issued == [tenant]
    assert set(got) == {"ASIA1"}


def test_credentials_are_reused_until_shortly_before_they_expire(issued: list[str]) -> None:
    clock, tenant, other = Clock(), new_tenant_id(), new_tenant_id()
    cache = CredentialCache(clock)
    first = cache.get(tenant)
    cache.get(other)
    clock.now = first.expires_at - REFRESH_BEFORE - timedelta(seconds=1)
    assert cache.get(tenant) is first
    clock.now = first.expires_at - REFRESH_BEFORE
    assert cache.get(tenant) is not first
    assert issued == [tenant, other, tenant]


def test_only_a_tenant_id_gets_credentials(issued: list[str]) -> None:
    with pytest.raises(CrossTenantAccess):
        CredentialCache(Clock()).get("TENANT#tnt_x")
    assert issued == []


def test_without_a_tenant_role_nothing_falls_back_to_the_functions_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gatehouse.config import get_settings

    monkeypatch.setenv("GATEHOUSE_TENANT_ROLE_ARN", "")
    get_settings.cache_clear()
    try:
        with pytest.raises(credentials.TenantRoleUnavailable):
            credentials.assume(new_tenant_id())
    finally:
        get_settings.cache_clear()


def test_a_container_that_served_many_tenants_keeps_only_the_newest_tenants_clients() -> None:
    """Each tenant's signed classes hold botocore clients: past the bound, the oldest are forgotten."""
    from gatehouse.tenancy import store

    tenants = [new_tenant_id() for _ in range(store.SIGNED_TENANTS_HELD + 5)]
    for tenant in tenants:
        scoped = TenantCredentials(
            tenant, f"ASIA{tenant[-8:]}", "secret", "token", START + timedelta(hours=1)
        )
        store.signed_as(store.Item, scoped)
    held = {tenant for _, tenant in store._signed}
    assert len(held) <= store.SIGNED_TENANTS_HELD
    assert set(tenants[-store.SIGNED_TENANTS_HELD :]) <= held
    assert not held & set(tenants[:5])
