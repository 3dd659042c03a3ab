"""The hourly audit checkpoint job against DynamoDB and KMS (moto), with a clock the test sets."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from gatehouse import audit
from gatehouse.audit.store import AuditStore
from gatehouse.config import get_settings
from gatehouse.identity.tenants import TenantEntry
from gatehouse.ids import new_tenant_id
from gatehouse.jobs.audit_checkpoints import (
    AuditCheckpointsFailed,
    JobReport,
    checkpoint_all_tenants,
    run_audit_checkpoints,
)
from gatehouse.observability import logger, metrics
from gatehouse.ops.bootstrap import bootstrap_tenant
from gatehouse.tenancy import get_directory
from tests.support.events import FakeLambdaContext
from tests.support.functions import load_function_module

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SYSTEM = audit.Actor(type=audit.ActorType.SYSTEM, id="test")


class Clock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class JsonLines(logging.Handler):
    """Keeps what the job logs, formatted exactly as the function's logs are."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logger.registered_formatter)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def signing_key(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An asymmetric KMS key like the template's AuditSigningKey, configured for the process."""
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    monkeypatch.setenv("GATEHOUSE_SIGNING_KEY_ID", key_id)
    get_settings.cache_clear()
    metrics.clear_metrics()
    yield key_id
    metrics.clear_metrics()
    get_settings.cache_clear()


@pytest.fixture
def job_logs() -> Iterator[JsonLines]:
    handler = JsonLines()
    logging.getLogger(logger.service).addHandler(handler)
    yield handler
    logging.getLogger(logger.service).removeHandler(handler)


@pytest.fixture
def tenants(signing_key: str) -> list[str]:
    """Three tenants bootstrapped by an operator, each with a few more entries of its own."""
    ids = [bootstrap_tenant(f"Tenant {n}", f"owner@t{n}.test").tenant_id for n in range(3)]
    for tenant_id in ids:
        _append(tenant_id, 3)
    return ids


def _append(tenant_id: str, count: int) -> None:
    for n in range(count):
        audit.append(
            tenant_id,
            actor=SYSTEM,
            action="contact.imported",
            target=audit.Target(type="contact", id=f"con_{n}"),
            request_id=f"req-{n}",
            clock=lambda: NOON - timedelta(minutes=5),
        )


def _head_seq(tenant_id: str) -> int:
    head = AuditStore(tenant_id).head()
    assert head is not None
    return head.seq


def _checkpoints(tenant_id: str) -> list[tuple[int, int, str]]:
    """(from_seq, seq, signed time) of every checkpoint, oldest first."""
    return [(c.from_seq, c.seq, json.loads(c.body)["at"]) for c in AuditStore(tenant_id).iter_checkpoints()]


def _metrics() -> dict[str, list[float]]:
    return {name: list(metric["Value"]) for name, metric in metrics.metric_set.items()}


def _statuses(report: JobReport) -> dict[str, str]:
    return {o.tenant_id: o.status for o in report.outcomes}


def _tamper(tenant_id: str, seq: int) -> None:
    """Edit one field of a stored entry, as someone with raw table access could."""
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(get_settings().audit_table)
    key = {"pk": f"{tenant_id}#AUDIT", "sk": f"E#{seq:012d}"}
    item = table.get_item(Key=key)["Item"]
    body = json.loads(str(item["body"]))
    table.put_item(Item={**item, "body": json.dumps({**body, "action": "nothing.happened"})})


def test_the_job_signs_every_tenant_up_to_its_head_at_the_clocks_time(tenants: list[str]) -> None:
    report = run_audit_checkpoints(Clock(NOON))

    assert _statuses(report) == dict.fromkeys(tenants, "signed")
    for tenant_id in tenants:
        assert _checkpoints(tenant_id) == [(1, _head_seq(tenant_id), "2026-11-23T12:00:00.000000Z")]
        verified = audit.verify(tenant_id)
        assert (verified.ok, verified.signed_seq) == (True, _head_seq(tenant_id))
    assert _metrics() == {
        "AuditCheckpointsSigned": [3.0],
        "AuditChainBroken": [0.0],
        "AuditCheckpointFailed": [0.0],
    }


def test_a_second_run_at_the_same_instant_signs_nothing_new(tenants: list[str]) -> None:
    clock = Clock(NOON)
    run_audit_checkpoints(clock)
    before = {t: _checkpoints(t) for t in tenants}
    metrics.clear_metrics()

    again = run_audit_checkpoints(clock)

    assert _statuses(again) == dict.fromkeys(tenants, "unchanged")
    assert {t: _checkpoints(t) for t in tenants} == before
    assert _metrics()["AuditCheckpointsSigned"] == [0.0]


def test_a_later_run_signs_only_what_was_appended_since(tenants: list[str]) -> None:
    clock = Clock(NOON)
    run_audit_checkpoints(clock)
    signed_to = _head_seq(tenants[1])
    _append(tenants[1], 2)
    clock.now = NOON + timedelta(hours=1)

    report = run_audit_checkpoints(clock)

    assert _statuses(report) == {tenants[0]: "unchanged", tenants[1]: "signed", tenants[2]: "unchanged"}
    assert _checkpoints(tenants[1])[-1] == (signed_to + 1, signed_to + 2, "2026-11-23T13:00:00.000000Z")


def test_tenants_without_entries_are_listed_as_empty_and_cost_no_signature(signing_key: str) -> None:
    quiet = new_tenant_id()
    get_directory().save(TenantEntry(tenant_id=quiet, name="Quiet", created_at=NOON))

    report = run_audit_checkpoints(Clock(NOON))

    assert _statuses(report) == {quiet: "empty"}
    assert _checkpoints(quiet) == []
    assert _metrics()["AuditCheckpointsSigned"] == [0.0]


def test_a_broken_chain_fails_the_run_only_after_every_other_tenant_is_signed(
    tenants: list[str], job_logs: JsonLines
) -> None:
    broken = tenants[1]
    _tamper(broken, 2)

    with pytest.raises(AuditCheckpointsFailed) as failed:
        run_audit_checkpoints(Clock(NOON))

    assert broken in str(failed.value)
    report = failed.value.report
    assert _statuses(report) == {tenants[0]: "signed", broken: "broken", tenants[2]: "signed"}
    assert _checkpoints(broken) == []
    for tenant_id in (tenants[0], tenants[2]):
        assert audit.verify(tenant_id).ok
    (outcome,) = report.failures
    assert outcome.as_dict()["first_bad_seq"] == 2
    assert outcome.as_dict()["reason"] == "edited"
    assert _metrics() == {
        "AuditCheckpointsSigned": [2.0],
        "AuditChainBroken": [1.0],
        "AuditCheckpointFailed": [0.0],
    }
    logged = {line["tenant_id"]: line for line in job_logs.lines if line["message"] == "audit checkpoint"}
    assert set(logged) == set(tenants)
    assert (logged[broken]["level"], logged[broken]["status"], logged[broken]["first_bad_seq"]) == (
        "ERROR",
        "broken",
        2,
    )
    assert {logged[t]["status"] for t in (tenants[0], tenants[2])} == {"signed"}


def test_tenants_are_read_from_the_directory_in_pages(tenants: list[str]) -> None:
    report = checkpoint_all_tenants(Clock(NOON), page_size=1)

    assert sorted(_statuses(report)) == sorted(tenants)
    assert set(_statuses(report).values()) == {"signed"}


def test_signing_that_cannot_happen_is_reported_per_tenant_and_fails_the_run(
    tenants: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEHOUSE_SIGNING_KEY_ID", "")
    get_settings.cache_clear()

    with pytest.raises(AuditCheckpointsFailed) as failed:
        run_audit_checkpoints(Clock(NOON))

    assert _statuses(failed.value.report) == dict.fromkeys(tenants, "failed")
    assert "SigningNotConfigured" in failed.value.report.outcomes[0].as_dict()["detail"]
    assert _metrics()["AuditCheckpointFailed"] == [3.0]


def test_the_scheduler_function_runs_the_job_and_fails_the_invocation_on_a_broken_chain(
    tenants: list[str],
) -> None:
    scheduler = load_function_module("SchedulerFunction")

    done = scheduler.lambda_handler({"job": "audit_checkpoints"}, FakeLambdaContext())
    assert done == {"job": "audit_checkpoints", "status": "done"}
    assert all(_checkpoints(t) for t in tenants)

    _append(tenants[0], 1)
    _tamper(tenants[0], _head_seq(tenants[0]))
    with pytest.raises(AuditCheckpointsFailed):
        scheduler.lambda_handler({"job": "audit_checkpoints"}, FakeLambdaContext())
