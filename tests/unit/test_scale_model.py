"""The partition-heat model's arithmetic, fed by the counter the dispatch bench runs with."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from bench import scale_model
from bench.scale_model import Scenario
from gatehouse.aws_calls import AwsCall
from local.capacity import PartitionCapacity

TENANT = "tnt_ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAIN = "gatehouse-local-0-MainTable"


def _send(capacity: PartitionCapacity, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    context: dict[str, Any] = {}
    capacity(AwsCall("dynamodb", operation), SimpleNamespace(body=json.dumps(body), context=context))
    return context


def _put(pk: str, sk: str, **extra: Any) -> dict[str, Any]:
    return {"Put": {"TableName": MAIN, "Item": {"pk": {"S": pk}, "sk": {"S": sk}, **extra}}}


def _run(contacts: int) -> dict[str, Any]:
    """What a run of ``contacts`` records: per contact a transactional claim and a suppression read."""
    capacity = PartitionCapacity()
    for n in range(contacts):
        _send(capacity, "TransactWriteItems", {"TransactItems": [_put(f"{TENANT}#LEDGER", f"con_{n}")]})
    keys = [{"pk": {"S": f"{TENANT}#SUPPRESSION"}, "sk": {"S": f"h{n}"}} for n in range(contacts)]
    _send(capacity, "BatchGetItem", {"RequestItems": {MAIN: {"Keys": keys, "ConsistentRead": True}}})
    settings = {"pk": {"S": "SYSTEM#SETTINGS"}, "sk": {"S": "x"}}
    _send(capacity, "GetItem", {"TableName": MAIN, "Key": settings, "ConsistentRead": True})
    return {
        "contacts": contacts,
        "state_transitions": 6,
        "express_executions": 2,
        "cost_usd": 0.004,
        "lambda": {"DispatchBatchFunction": {"invocations": 2, "seconds": 5.0, "memory_gb": 1.0}},
        "partitions": capacity.records(TENANT),
    }


def _figures(counts: dict[str, Any], scenario: Scenario) -> dict[str, float]:
    return {
        name: float(value)
        for name, value in (line.split(": ") for line in scale_model.project(counts, scenario))
    }


def test_a_transactional_put_is_charged_two_units_per_kb_to_its_key_and_its_index_key() -> None:
    capacity = PartitionCapacity()
    big = {"body": {"S": "x" * 1500}, "gsi2pk": {"S": f"{TENANT}#DUE"}}
    _send(capacity, "TransactWriteItems", {"TransactItems": [_put(f"{TENANT}#LEDGER", "con_1", **big)]})

    rows = {row["label"]: row for row in capacity.records(TENANT)}

    assert rows["<tenant>#LEDGER"]["write_units"] == 4  # 2 KB, twice in a transaction
    assert rows["gsi2:<tenant>#DUE"]["write_units"] == 4
    assert capacity.writes == 8


def _query(consistent: bool) -> dict[str, Any]:
    return {
        "TableName": MAIN,
        "KeyConditionExpression": "#0 = :0 AND begins_with(#1, :1)",
        "ExpressionAttributeNames": {"#0": "pk", "#1": "sk"},
        "ExpressionAttributeValues": {":0": {"S": f"{TENANT}#CONTACT"}, ":1": {"S": "a"}},
        "Limit": 1000,
        "ConsistentRead": consistent,
    }


def test_a_query_is_charged_to_its_key_for_the_items_it_returned_not_its_limit() -> None:
    capacity = PartitionCapacity()
    context = _send(capacity, "Query", _query(consistent=True))
    assert capacity.records(TENANT) == []  # nothing known until the answer
    items = [{"pk": {"S": f"{TENANT}#CONTACT"}, "body": {"S": "x" * 1500}} for _ in range(8)]

    capacity.answered(AwsCall("dynamodb", "Query"), context, {"Items": items})

    (row,) = capacity.records(TENANT)
    # 8 items of a little over 1.5 KB: 12.5 KB read, 4 units of 4 KB strongly consistent.
    assert (row["label"], row["read_units"]) == ("<tenant>#CONTACT", 4)


def test_an_eventually_consistent_query_that_finds_nothing_costs_half_a_unit() -> None:
    capacity = PartitionCapacity()
    context = _send(capacity, "Query", _query(consistent=False))

    capacity.answered(AwsCall("dynamodb", "Query"), context, {"Items": []})

    assert capacity.reads == 0.5


def test_a_batch_of_statements_is_charged_one_write_per_kb_for_each_statement() -> None:
    capacity = PartitionCapacity()
    insert = {
        "Statement": f"INSERT INTO \"{MAIN}\" VALUE {{'pk': ?, 'sk': ?, 'body': ?}}",
        "Parameters": [{"S": f"{TENANT}#LEDGER"}, {"S": "con_1"}, {"S": "x" * 300}],
    }
    update = {
        "Statement": f'UPDATE "{MAIN}" SET "body" = ? WHERE "pk" = ? AND "sk" = ? AND "version" = ?',
        "Parameters": [{"S": "y" * 1500}, {"S": f"{TENANT}#LEDGER"}, {"S": "con_2"}, {"N": "3"}],
    }
    _send(capacity, "BatchExecuteStatement", {"Statements": [insert, update]})

    (row,) = capacity.records(TENANT)

    assert (row["label"], row["write_units"], row["operations"]) == ("<tenant>#LEDGER", 3, 2)


def test_units_per_second_are_units_per_contact_times_messages_per_second() -> None:
    counts = _run(contacts=50)

    figures = _figures(counts, Scenario("large_tenant", 1, 100))

    assert figures["scale_large_tenant_ledger_write_units_per_second"] == 200.0  # 2 per contact x 100/s
    assert figures["scale_large_tenant_suppression_read_units_per_second"] == 100.0
    assert figures["scale_large_tenant_state_transitions_per_second"] == pytest.approx(6 / 50 * 100)
    assert figures["scale_large_tenant_lambda_concurrency"] == pytest.approx(5.0 / 50 * 100)
    assert figures["scale_large_tenant_cost_per_day_usd"] == pytest.approx(
        0.004 / 50 * 100 * 86_400, abs=0.01
    )


def test_a_tenants_key_runs_at_its_tenants_rate_and_a_shared_key_at_the_tables() -> None:
    counts = _run(contacts=50)

    figures = _figures(counts, Scenario("full_table", 1000, 10))

    assert figures["scale_full_table_ledger_write_units_per_second"] == 20.0  # 2 x 10/s, one tenant's key
    assert figures["scale_full_table_system_settings_read_units_per_second"] == pytest.approx(1 / 50 * 10_000)
    assert figures["scale_full_table_table_write_units_per_second"] == 20_000  # 2 x 10,000/s over all keys


def test_a_key_over_the_write_limit_is_flagged_with_the_shards_that_bring_it_under(
    capsys: pytest.CaptureFixture[str],
) -> None:
    counts = _run(contacts=50)

    figures = _figures(counts, Scenario("large_tenant", 1, 600))

    assert figures["scale_large_tenant_ledger_write_units_per_second"] == 1200.0
    assert figures["scale_large_tenant_ledger_write_shards_needed"] == 2  # 1,200 / (0.8 x 1,000)
    assert "scale_large_tenant_suppression_read_shards_needed" not in figures
    assert "write sharding: <tenant>#LEDGER#<n>" in capsys.readouterr().err


def test_each_per_contact_collection_says_the_rate_at_which_it_reaches_a_limit() -> None:
    counts = _run(contacts=50)

    lines = dict(line.split(": ") for line in scale_model.crossings(counts))

    assert lines["scale_limit_reached_ledger_messages_per_second"] == "500"  # 1,000 / 2
    assert lines["scale_limit_reached_suppression_messages_per_second"] == "3000"  # 3,000 / 1
    assert "scale_limit_reached_system_settings_messages_per_second" not in lines  # touched per run
