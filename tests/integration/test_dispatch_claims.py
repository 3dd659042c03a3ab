"""Gate 7 against DynamoDB (moto): the same batch claimed twice, or by racing runs, sends once.

The claim is what stands between a retry and a second message, so these tests count
claims held across every claimer: each (campaign, contact, attempt) is held exactly once.
A claim is written on the contact's attempt ledger, conditional on the version the gates
read, so a ledger another campaign changed meanwhile comes back to be decided again.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from gatehouse.aws_calls import AwsCall, AwsCallCounter
from gatehouse.dispatch.claims import AttemptLedger, claim
from gatehouse.tenancy import TenantScope
from tests.conftest import TenantFixture

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
CAMPAIGN = "cmp_" + "c" * 26
OTHER_CAMPAIGN = "cmp_" + "e" * 26


def contact(n: int) -> str:
    return f"con_{chr(97 + n % 26) * 24}{chr(97 + n // 26 % 26)}{chr(97 + n // 676)}"


def test_a_batch_is_claimed_once_and_a_redelivery_claims_nothing(tenant_a: TenantFixture) -> None:
    wanted = [(contact(n), 1) for n in range(150)]
    with AwsCallCounter() as calls:
        first = claim(tenant_a.scope, CAMPAIGN, "run-1", wanted, NOW)
    assert first.held == [c for c, _ in wanted]
    assert (first.taken, first.contested) == ([], {})
    # One write each, 25 per round trip, no transaction (a transaction charges two units per item).
    assert calls.counts()[AwsCall("dynamodb", "BatchExecuteStatement")] == 6
    assert calls.counts()[AwsCall("dynamodb", "TransactWriteItems")] == 0
    again = claim(tenant_a.scope, CAMPAIGN, "run-1", wanted, NOW)
    other_run = claim(tenant_a.scope, CAMPAIGN, "run-2", wanted, NOW)
    assert (again.held, other_run.held) == ([], [])
    assert again.taken == other_run.taken == [c for c, _ in wanted]
    ledger = tenant_a.scope.require(AttemptLedger, wanted[0][0])
    mark = ledger.holder(CAMPAIGN, 1)
    assert mark is not None
    assert mark.run_id == "run-1"
    assert ledger.times == [NOW]  # the claim counts the attempt for the caps


def test_a_new_attempt_number_is_a_new_claim(tenant_a: TenantFixture) -> None:
    person = contact(3)
    assert claim(tenant_a.scope, CAMPAIGN, "run-1", [(person, 1)], NOW).held == [person]
    assert claim(tenant_a.scope, CAMPAIGN, "run-1", [(person, 1)], NOW).held == []
    assert claim(tenant_a.scope, CAMPAIGN, "run-2", [(person, 2)], NOW).held == [person]
    assert claim(tenant_a.scope, OTHER_CAMPAIGN, "run-3", [(person, 1)], NOW).held == [person]
    assert len(tenant_a.scope.require(AttemptLedger, person).times) == 3


def test_a_claimer_that_loses_part_of_its_batch_holds_only_the_rest(tenant_a: TenantFixture) -> None:
    """Run 2 claims half of the batch between run 1's read of the ledgers and run 1's transaction."""
    wanted = [(contact(n), 1) for n in range(60)]
    scope = tenant_a.scope
    read = scope.batch_get(AttemptLedger, [c for c, _ in wanted])
    raced = claim(TenantScope(scope.tenant_id), CAMPAIGN, "run-2", wanted[::2], NOW)
    with AwsCallCounter() as calls:
        held = claim(scope, CAMPAIGN, "run-1", wanted, NOW, ledgers=read)
    assert len(raced.held) == 30
    # 60 claims, 25 per round trip; the refused ones are read again at most once, together
    # (DynamoDB returns each refused ledger as it stands, ALL_OLD; DynamoDB Local returns none).
    assert calls.counts()[AwsCall("dynamodb", "BatchExecuteStatement")] == 3
    assert calls.counts()[AwsCall("dynamodb", "BatchGetItem")] <= 1
    per_attempt = Counter([*held.held, *raced.held])
    assert set(per_attempt) == {c for c, _ in wanted}
    assert set(per_attempt.values()) == {1}  # every attempt held exactly once across both runs
    assert held.held == [c for c, _ in wanted[1::2]]
    assert held.taken == [c for c, _ in wanted[::2]]


def test_a_contact_another_campaign_attempted_meanwhile_is_decided_again(tenant_a: TenantFixture) -> None:
    scope = tenant_a.scope
    person = contact(7)
    read = scope.batch_get(AttemptLedger, [person])
    claim(scope, OTHER_CAMPAIGN, "run-9", [(person, 1)], NOW)  # between our read and our claim
    with AwsCallCounter() as calls:
        result = claim(scope, CAMPAIGN, "run-1", [(person, 1)], NOW, ledgers=read)
    # The refusal's ledger is read only if the refusal carried none.
    assert calls.counts()[AwsCall("dynamodb", "BatchGetItem")] <= 1
    assert (result.held, result.taken) == ([], [])
    fresh = result.contested[person]
    assert fresh.times == [NOW]  # the other campaign's attempt, for the caps to count
    assert fresh.holder(OTHER_CAMPAIGN, 1) is not None
    # Decided again on the fresh ledger, the claim goes through and keeps both attempts.
    again = claim(scope, CAMPAIGN, "run-1", [(person, 1)], NOW, ledgers=result.contested)
    assert again.held == [person]
    assert len(scope.require(AttemptLedger, person).times) == 2
