"""Registry files against moto: full and change loads, streaming, freshness, batch lookups, the check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from gatehouse import audit
from gatehouse.aws_calls import AwsCall, AwsCallCounter
from gatehouse.config import get_settings
from gatehouse.dnc import LoadKind, ScrubReason, ScrubSource, ScrubStatus, load
from gatehouse.dnc.registry import DncRegistry, RegistryNumber, current, lookup
from gatehouse.errors import Forbidden, Invalid
from gatehouse.identity.caller import Caller, PrincipalType, operator
from gatehouse.identity.permissions import Role
from gatehouse.providers.base import CheckStatus
from gatehouse.providers.live import LiveAdapters
from gatehouse.suppression import number_key
from gatehouse.vault import DncCredentials
from tests.conftest import TenantFixture

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ops(t: TenantFixture) -> Caller:
    return operator(t.tenant_id, "ops", request_id="req-1")


def at(moment: datetime):  # type: ignore[no-untyped-def]
    return lambda: moment


def loaded_numbers(t: TenantFixture, area_code: str) -> set[str]:
    """The loaded numbers, as hashes turned back into the digits the tests used."""
    page = t.scope.query(RegistryNumber, prefix=f"{area_code}#", limit=1000)
    stored = {n.number_key for n in page.items}
    candidates = [f"{area_code}{n:07d}" for n in range(5550000, 5550200)] + ["2125550100"]
    found = {d for d in candidates if number_key(t.tenant_id, "+1" + d) in stored}
    assert len(found) == len(stored), "a stored hash matches none of the tests' numbers"
    return found


def test_a_full_file_loads_and_answers_listed_or_clear(tenant_a: TenantFixture) -> None:
    report = load(
        tenant_a.scope,
        ops(tenant_a),
        "202",
        ["2025550143\n", "202,5550144\n", "\n", "# comment\n", "3125550100\n", "garbage\n"],
        LoadKind.FULL,
        clock=at(NOW),
    )
    assert (report.added, report.deleted, report.rejected, report.version) == (2, 0, 2, 1)
    assert report.registry_ref.startswith("dnr_")
    stamps = lookup(tenant_a.scope, report.registry_ref, ["+12025550143", "+12025550199"], now=NOW)
    assert stamps["+12025550143"].status is ScrubStatus.LISTED
    assert stamps["+12025550199"].status is ScrubStatus.CLEAR
    assert stamps["+12025550199"].source is ScrubSource.REGISTRY


def test_a_full_file_replaces_the_area_codes_set(tenant_a: TenantFixture) -> None:
    load(tenant_a.scope, ops(tenant_a), "202", ["2025550143", "2025550144"], LoadKind.FULL, clock=at(NOW))
    load(tenant_a.scope, ops(tenant_a), "212", ["2125550100"], LoadKind.FULL, clock=at(NOW))
    again = load(
        tenant_a.scope, ops(tenant_a), "202", ["2025550144", "2025550145"], LoadKind.FULL, clock=at(NOW)
    )
    assert (again.added, again.deleted, again.version) == (2, 1, 2)
    assert loaded_numbers(tenant_a, "202") == {"2025550144", "2025550145"}
    assert loaded_numbers(tenant_a, "212") == {"2125550100"}


def test_change_files_add_and_delete(tenant_a: TenantFixture) -> None:
    load(tenant_a.scope, ops(tenant_a), "202", ["2025550143"], LoadKind.FULL, clock=at(NOW))
    report = load(
        tenant_a.scope,
        ops(tenant_a),
        "202",
        ["A,2025550150", "D,2025550143", "a,202,5550151", "X,2025550152", "A,2125550100"],
        LoadKind.CHANGE,
        clock=at(NOW + timedelta(days=3)),
    )
    assert (report.added, report.deleted, report.rejected) == (2, 1, 2)
    assert loaded_numbers(tenant_a, "202") == {"2025550150", "2025550151"}
    registry = current(tenant_a.scope)
    assert registry is not None
    assert registry.areas["202"].loaded_at == NOW + timedelta(days=3)


def test_a_change_file_needs_a_full_file_first(tenant_a: TenantFixture) -> None:
    with pytest.raises(Invalid, match="full file"):
        load(tenant_a.scope, ops(tenant_a), "202", ["A,2025550150"], LoadKind.CHANGE)


@pytest.mark.parametrize("area_code", ["02", "102", "2021", "abc"])
def test_an_area_code_must_be_a_nanp_area_code(tenant_a: TenantFixture, area_code: str) -> None:
    with pytest.raises(Invalid):
        load(tenant_a.scope, ops(tenant_a), area_code, ["2025550143"], LoadKind.FULL)


def test_a_file_with_no_usable_line_is_refused(tenant_a: TenantFixture) -> None:
    with pytest.raises(Invalid, match="no line"):
        load(tenant_a.scope, ops(tenant_a), "202", ["3125550100", "nope"], LoadKind.FULL)
    assert current(tenant_a.scope) is None


def test_loading_needs_integrations_manage(tenant_a: TenantFixture) -> None:
    member = Caller(tenant_a.tenant_id, Role.MEMBER, PrincipalType.USER, "usr_x")
    with pytest.raises(Forbidden):
        load(tenant_a.scope, member, "202", ["2025550143"], LoadKind.FULL)


def test_freshness_missing_and_coverage_fail_closed(tenant_a: TenantFixture) -> None:
    ref = load(
        tenant_a.scope, ops(tenant_a), "202", ["2025550143"], LoadKind.FULL, clock=at(NOW)
    ).registry_ref
    numbers = ["+12025550143", "+13125550100", "+447911123456"]
    fresh = lookup(tenant_a.scope, ref, numbers, now=NOW + timedelta(days=31))
    assert fresh["+12025550143"].status is ScrubStatus.LISTED
    assert fresh["+13125550100"].reason is ScrubReason.REGISTRY_MISSING
    assert fresh["+447911123456"].reason is ScrubReason.NOT_COVERED
    stale = lookup(tenant_a.scope, ref, numbers, now=NOW + timedelta(days=31, seconds=1))
    assert stale["+12025550143"].status is ScrubStatus.ERROR
    assert stale["+12025550143"].reason is ScrubReason.REGISTRY_STALE
    other_ref = lookup(tenant_a.scope, "dnr_" + "a" * 26, ["+12025550143"], now=NOW)
    assert other_ref["+12025550143"].reason is ScrubReason.REGISTRY_MISSING


def test_registries_are_tenant_scoped(tenant_a: TenantFixture, tenant_b: TenantFixture) -> None:
    ref = load(
        tenant_a.scope, ops(tenant_a), "202", ["2025550143"], LoadKind.FULL, clock=at(NOW)
    ).registry_ref
    stamps = lookup(tenant_b.scope, ref, ["+12025550143"], now=NOW)
    assert stamps["+12025550143"].reason is ScrubReason.REGISTRY_MISSING
    assert loaded_numbers(tenant_b, "202") == set()


def test_lookups_cost_one_read_plus_one_batch_per_hundred(tenant_a: TenantFixture) -> None:
    ref = load(
        tenant_a.scope, ops(tenant_a), "202", ["2025550143"], LoadKind.FULL, clock=at(NOW)
    ).registry_ref
    numbers = [f"+1202555{n:04d}" for n in range(250)]
    with AwsCallCounter() as calls:
        stamps = lookup(tenant_a.scope, ref, numbers, now=NOW)
    assert [n for n, s in stamps.items() if s.status is ScrubStatus.LISTED] == ["+12025550143"]
    counts = calls.counts()
    assert counts[AwsCall("dynamodb", "BatchGetItem")] == 3
    assert counts[AwsCall("dynamodb", "GetItem")] == 1


def lines(count: int) -> Iterator[str]:
    for n in range(count):
        yield f"202{2000000 + n:07d}\n"


def test_a_large_file_streams_in_batches_of_25(tenant_a: TenantFixture) -> None:
    with AwsCallCounter() as calls:
        report = load(tenant_a.scope, ops(tenant_a), "202", lines(2000), LoadKind.FULL, clock=at(NOW))
    assert report.added == 2000
    assert calls.counts()[AwsCall("dynamodb", "BatchWriteItem")] == 80


def test_a_load_is_audited_with_counts_and_no_table_holds_the_number(tenant_a: TenantFixture) -> None:
    report = load(tenant_a.scope, ops(tenant_a), "202", ["2025550143"], LoadKind.FULL, clock=at(NOW))
    entry = audit.list_entries(tenant_a.tenant_id, limit=1).items[0]
    assert entry.action == "dnc.registry_loaded"
    assert entry.target.id == f"{report.registry_ref}/202"
    assert entry.changes.after is not None
    assert entry.changes.after["added"] == 1
    for table in (get_settings().audit_table, get_settings().main_table):
        # A test may scan: it is the only way to prove the number is nowhere, registry included.
        items = boto3.client("dynamodb").scan(TableName=table)["Items"]
        assert "5550143" not in json.dumps(items), table


def test_the_registry_check_reads_the_manifest(tenant_a: TenantFixture) -> None:
    def check(ref: str) -> tuple[CheckStatus, str]:
        credentials = DncCredentials.model_validate({"provider_name": "ftc", "registry_ref": ref})
        return LiveAdapters().check(tenant_a.tenant_id, credentials)

    assert check("dnr_" + "a" * 26) == (
        CheckStatus.REJECTED,
        "no registry files are loaded under this reference",
    )
    ref = load(tenant_a.scope, ops(tenant_a), "202", ["2025550143"], LoadKind.FULL).registry_ref
    status, detail = check(ref)
    assert status is CheckStatus.VERIFIED, detail
    assert check("dnr_" + "a" * 26)[0] is CheckStatus.REJECTED
    old = current(tenant_a.scope)
    assert old is not None
    stale = {
        code: m.model_copy(update={"loaded_at": NOW - timedelta(days=60)}) for code, m in old.areas.items()
    }
    tenant_a.scope.save(old.model_copy(update={"areas": stale}))
    assert check(ref)[0] is CheckStatus.REJECTED
    assert isinstance(tenant_a.scope.get(DncRegistry, "registry"), DncRegistry)
