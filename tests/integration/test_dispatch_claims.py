"""Gate 7 against DynamoDB (moto): the same batch claimed twice, or by racing runs, sends once.

The claim is what stands between a retry and a second message, so these tests count
claims held across every claimer: each (campaign, contact, attempt) is held exactly once.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from gatehouse.aws_calls import AwsCall, AwsCallCounter
from gatehouse.dispatch.claims import Attempt, AttemptStatus, attempt_key, claim
from gatehouse.tenancy import TenantScope
from tests.conftest import TenantFixture

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
CAMPAIGN = "cmp_" + "c" * 26


def test_a_batch_is_claimed_once_and_a_redelivery_claims_nothing(tenant_a: TenantFixture) -> None:
    wanted = [(f"con_{chr(97 + n % 26) * 26}", 1 + n // 26) for n in range(150)]
    with AwsCallCounter() as calls:
        first = claim(tenant_a.scope, CAMPAIGN, "run-1", wanted, NOW)
    assert len(first) == 150
    assert {a.status for a in first} == {AttemptStatus.CLAIMED}
    assert calls.counts()[AwsCall("dynamodb", "TransactWriteItems")] == 2  # 100 + 50, one transaction each
    again = claim(tenant_a.scope, CAMPAIGN, "run-1", wanted, NOW)
    other_run = claim(tenant_a.scope, CAMPAIGN, "run-2", wanted, NOW)
    assert (again, other_run) == ([], [])
    stored = tenant_a.scope.get(Attempt, attempt_key(CAMPAIGN, wanted[0][0], wanted[0][1]))
    assert stored is not None
    assert stored.run_id == "run-1"


def test_a_new_attempt_number_is_a_new_claim(tenant_a: TenantFixture) -> None:
    contact = "con_" + "d" * 26
    assert len(claim(tenant_a.scope, CAMPAIGN, "run-1", [(contact, 1)], NOW)) == 1
    assert claim(tenant_a.scope, CAMPAIGN, "run-1", [(contact, 1)], NOW) == []
    assert len(claim(tenant_a.scope, CAMPAIGN, "run-2", [(contact, 2)], NOW)) == 1
    assert (
        len(claim(tenant_a.scope, "cmp_" + "e" * 26, "run-3", [(contact, 1)], NOW)) == 1
    )  # another campaign


def test_a_claimer_that_loses_part_of_its_batch_holds_only_the_rest(tenant_a: TenantFixture) -> None:
    """Run 2 claims half of the batch between run 1's read and run 1's transaction."""
    wanted = [(f"con_{chr(97 + n % 26) * 25}{chr(97 + n // 26)}", 1) for n in range(60)]
    scope = tenant_a.scope
    read = scope.batch_get
    raced: list[Attempt] = []

    def read_then_lose_the_race(record_type, keys):  # type: ignore[no-untyped-def]
        found = read(record_type, keys)
        if not raced:
            raced.extend(claim(TenantScope(scope.tenant_id), CAMPAIGN, "run-2", wanted[::2], NOW))
        return found

    scope.batch_get = read_then_lose_the_race  # type: ignore[method-assign]
    with AwsCallCounter() as calls:
        held = claim(scope, CAMPAIGN, "run-1", wanted, NOW)
    assert len(raced) == 30
    assert (
        calls.counts()[AwsCall("dynamodb", "TransactWriteItems")] >= 2
    )  # the lost transaction, then singles
    per_attempt = Counter((a.contact_id, a.attempt) for a in [*held, *raced])
    assert set(per_attempt) == set(wanted)
    assert set(per_attempt.values()) == {1}  # every attempt held exactly once across both runs
    assert {(a.contact_id, a.attempt) for a in held} == set(wanted[1::2])
