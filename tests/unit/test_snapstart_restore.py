"""A restored SnapStart environment keeps nothing secret, random or connected from before the snapshot.

The snapshot is simulated: what a function's init would cache is made here (a random state,
AWS clients, an envelope with its data-key cache, derived HMAC keys, a bound table model, a
tenant's credentials), then the hook the Lambda runtime calls after a restore runs.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.stub import Stubber

from gatehouse import compliance, freshness
from gatehouse.clients import aws_client
from gatehouse.compliance import state_rules, zones
from gatehouse.config import get_settings
from gatehouse.suppression import keys as suppression_keys
from gatehouse.tenancy import cursors, store
from gatehouse.vault.envelope import get_envelope

KEY_ARN = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture
def keys_configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GATEHOUSE_DATA_KEY_ID", KEY_ARN)
    monkeypatch.setenv("GATEHOUSE_SUPPRESSION_KEY_ID", KEY_ARN)
    get_settings.cache_clear()
    freshness.restore()
    yield
    freshness.restore()
    get_settings.cache_clear()


@pytest.fixture
def runtime_hooks(monkeypatch: pytest.MonkeyPatch) -> list[Callable[[], object]]:
    """What Lambda's ``snapshot_restore_py`` keeps: the after-restore hooks registered at init."""
    hooks: list[Callable[[], object]] = []
    monkeypatch.setitem(
        sys.modules, "snapshot_restore_py", SimpleNamespace(register_after_restore=hooks.append)
    )
    monkeypatch.setattr(freshness, "_registered", False)
    return hooks


def snapshot_restored(hooks: list[Callable[[], object]]) -> None:
    for hook in hooks:
        hook()


def derived_mac(mac: bytes, call: Callable[[], Any]) -> Any:
    """Run ``call`` with KMS answering one GenerateMac with ``mac``; fails unless KMS was asked."""
    with Stubber(aws_client("kms")) as kms:
        kms.add_response("generate_mac", {"Mac": mac, "MacAlgorithm": "HMAC_SHA_256", "KeyId": KEY_ARN})
        result = call()
        kms.assert_no_pending_responses()
    return result


def test_the_restore_hook_is_registered_with_the_runtime_once(
    runtime_hooks: list[Callable[[], object]],
) -> None:
    assert freshness.register_with_runtime()
    assert freshness.register_with_runtime()
    assert runtime_hooks == [freshness.restore]


def test_off_lambda_there_is_no_runtime_to_register_with(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as off Lambda
    assert not freshness.register_with_runtime()


def test_a_restored_environment_draws_its_own_random_numbers(
    runtime_hooks: list[Callable[[], object]],
) -> None:
    freshness.register_with_runtime()
    random.seed(2024)  # init's state, identical in every environment restored from the snapshot
    in_snapshot = random.getstate()
    snapshot_restored(runtime_hooks)
    assert random.getstate() != in_snapshot


def test_no_client_envelope_or_data_key_cache_survives_a_restore(
    keys_configured: None, runtime_hooks: list[Callable[[], object]]
) -> None:
    freshness.register_with_runtime()
    client, envelope = aws_client("kms"), get_envelope()
    snapshot_restored(runtime_hooks)
    assert aws_client("kms") is not client  # new credentials, new connections
    assert get_envelope() is not envelope  # and with it the cache of KMS data keys


def test_derived_keys_made_before_the_snapshot_are_derived_again_after_it(
    keys_configured: None, runtime_hooks: list[Callable[[], object]]
) -> None:
    freshness.register_with_runtime()
    before = derived_mac(b"k" * 32, lambda: suppression_keys.tenant_key("tnt_" + "a" * 26))
    derived_mac(b"c" * 32, lambda: cursors.seal({"page": 1}))
    snapshot_restored(runtime_hooks)
    # KMS is asked again for each (the stub fails otherwise): nothing of the snapshot's key remains.
    after = derived_mac(b"n" * 32, lambda: suppression_keys.tenant_key("tnt_" + "a" * 26))
    derived_mac(b"d" * 32, lambda: cursors.seal({"page": 1}))
    assert (before, after) == (b"k" * 32, b"n" * 32)


def test_table_connections_are_made_again_after_a_restore(
    keys_configured: None, runtime_hooks: list[Callable[[], object]]
) -> None:
    freshness.register_with_runtime()
    model = store.bind()
    model._get_connection()
    snapshot_restored(runtime_hooks)
    assert model._connection is None


def test_tenant_credentials_and_their_signed_clients_are_gone_after_a_restore(
    runtime_hooks: list[Callable[[], object]],
) -> None:
    """STS sessions scoped to one tenant, and the clients signed with them, never outlive a snapshot."""
    from datetime import UTC, datetime, timedelta

    from gatehouse.tenancy import credentials, store

    tenant = "tnt_" + "a" * 26
    until = datetime.now(UTC) + timedelta(hours=1)
    scoped = credentials.TenantCredentials(tenant, "ASIABEFORE", "secret", "made-before-the-snapshot", until)
    credentials._cache._held[tenant] = scoped
    store.signed_as(store.Item, scoped)
    freshness.register_with_runtime()
    snapshot_restored(runtime_hooks)
    assert credentials._cache._held == {}
    assert not [key for key in store._signed if key[1] == tenant]


def test_modules_a_handler_leaves_to_their_first_request_are_in_the_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before_snapshot: list[Callable[[], object]] = []
    monkeypatch.setitem(
        sys.modules, "snapshot_restore_py", SimpleNamespace(register_before_snapshot=before_snapshot.append)
    )
    monkeypatch.delitem(sys.modules, "gatehouse.jobs.heartbeat", raising=False)
    assert freshness.load_before_snapshot("gatehouse.jobs.heartbeat")
    assert "gatehouse.jobs.heartbeat" not in sys.modules  # not at init: just before the snapshot
    for hook in before_snapshot:
        hook()
    assert "gatehouse.jobs.heartbeat" in sys.modules


def test_data_a_handler_reads_on_first_use_is_read_before_the_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before_snapshot: list[Callable[[], object]] = []
    monkeypatch.setitem(
        sys.modules, "snapshot_restore_py", SimpleNamespace(register_before_snapshot=before_snapshot.append)
    )
    state_rules.rulebook.cache_clear()
    zones.state_zones.cache_clear()
    zones.area_codes.cache_clear()
    assert freshness.load_before_snapshot(compliance.load_reference_data)
    assert state_rules.rulebook.cache_info().currsize == 0  # not at init: just before the snapshot
    for hook in before_snapshot:
        hook()
    assert state_rules.rulebook.cache_info().currsize == 1
    assert zones.state_zones.cache_info().currsize == zones.area_codes.cache_info().currsize == 1


def test_off_lambda_nothing_is_loaded_for_a_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
    assert not freshness.load_before_snapshot("gatehouse.jobs.heartbeat")
