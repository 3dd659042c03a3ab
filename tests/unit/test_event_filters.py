"""Lambda's filter rule syntax as the local runtime's event source mappings apply it.

Each case is one row of the "Filter rule syntax" table in the Lambda developer guide
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-syntax)
or one example of "Using event filtering with a DynamoDB event source"
(https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html), with an event
that must match and one that must not.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.filters import FilterSyntaxError, matches, passes, sqs_view
from local.template import TEMPLATE_PATH, load_document

# (rule name, pattern, an event it matches, an event it does not)
SYNTAX_TABLE: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("null", {"UserID": [None]}, {"UserID": None}, {"UserID": "u1"}),
    ("empty", {"LastName": [""]}, {"LastName": ""}, {"LastName": "Doe"}),
    ("equals", {"Name": ["Alice"]}, {"Name": "Alice"}, {"Name": "alice"}),
    (
        "equals-ignore-case",
        {"Name": [{"equals-ignore-case": "alice"}]},
        {"Name": "ALICE"},
        {"Name": "Alicia"},
    ),
    (
        "and",
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Monday"},
        {"Location": "New York", "Day": "Tuesday"},
    ),
    ("or", {"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Debit"}, {"PaymentType": "Cash"}),
    ("not", {"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Sunny"}, {"Weather": "Raining"}),
    ("numeric equals", {"Price": [{"numeric": ["=", 100]}]}, {"Price": 100.0}, {"Price": 101}),
    (
        "numeric range",
        {"Price": [{"numeric": [">", 10, "<=", 20]}]},
        {"Price": 20},
        {"Price": 10},
    ),
    ("exists", {"ProductName": [{"exists": True}]}, {"ProductName": "x"}, {"Other": "x"}),
    ("does not exist", {"ProductName": [{"exists": False}]}, {"Other": "x"}, {"ProductName": "x"}),
    ("begins with", {"Region": [{"prefix": "us-"}]}, {"Region": "us-east-1"}, {"Region": "eu-west-1"}),
    ("ends with", {"FileName": [{"suffix": ".png"}]}, {"FileName": "cat.png"}, {"FileName": "cat.jpg"}),
    (
        "anything-but prefix",
        {"Region": [{"anything-but": {"prefix": "us-"}}]},
        {"Region": "eu-west-1"},
        {"Region": "us-west-2"},
    ),
]

# The DynamoDB guide's sample stream record.
DDB_RECORD = {
    "eventID": "1",
    "eventVersion": "1.0",
    "dynamodb": {
        "ApproximateCreationDateTime": "1678831218.0",
        "Keys": {"CustomerName": {"S": "AnyCompany Industries"}},
        "NewImage": {
            "AccountManager": {"S": "Pat Candella"},
            "PaymentTerms": {"S": "60 days"},
            "CustomerName": {"S": "AnyCompany Industries"},
        },
        "SequenceNumber": "111",
        "SizeBytes": 26,
        "StreamViewType": "NEW_IMAGE",
    },
}


@pytest.mark.parametrize(
    ("name", "pattern", "hit", "miss"), SYNTAX_TABLE, ids=[row[0] for row in SYNTAX_TABLE]
)
def test_each_rule_of_the_syntax_table_matches_its_example_and_refuses_a_near_miss(
    name: str, pattern: dict[str, Any], hit: dict[str, Any], miss: dict[str, Any]
) -> None:
    assert matches(pattern, hit), name
    assert not matches(pattern, miss), name


def test_a_missing_field_matches_only_exists_false() -> None:
    for pattern in ({"a": [None]}, {"a": [""]}, {"a": [{"anything-but": "x"}]}, {"a": [{"prefix": ""}]}):
        assert not matches(pattern, {"b": 1}), pattern


def test_a_list_value_matches_when_any_of_its_items_does() -> None:
    assert matches({"tags": ["red"]}, {"tags": ["blue", "red"]})
    assert not matches({"tags": ["red"]}, {"tags": ["blue"]})


def test_values_match_only_their_own_json_type() -> None:
    assert not matches({"n": ["1"]}, {"n": 1})
    assert not matches({"b": [1]}, {"b": True})


def test_the_dynamodb_guides_examples_on_its_sample_record() -> None:
    by_key = {"dynamodb": {"Keys": {"CustomerName": {"S": ["AnyCompany Industries"]}}}}
    by_attribute = {"dynamodb": {"NewImage": {"AccountManager": {"S": ["Pat Candella"]}}}}
    by_exists = {"dynamodb": {"NewImage": {"AccountManager": {"S": [{"exists": True}]}}}}
    other = {"dynamodb": {"NewImage": {"PaymentTerms": {"S": ["30 days"]}}}}
    assert all(matches(p, DDB_RECORD) for p in (by_key, by_attribute, by_exists))
    assert not matches(other, DDB_RECORD)


def test_filters_are_alternatives_and_no_filter_passes_everything() -> None:
    assert passes([], DDB_RECORD)
    assert passes([{"eventID": ["2"]}, {"eventID": ["1"]}], DDB_RECORD)
    assert not passes([{"eventID": ["2"]}], DDB_RECORD)


def test_an_sqs_body_is_matched_as_json_when_it_is_json() -> None:
    record = {"messageId": "m1", "body": json.dumps({"kind": "message.sent"})}
    assert matches({"body": {"kind": ["message.sent"]}}, sqs_view(record))
    assert matches({"body": ["plain"]}, sqs_view({"body": "plain"}))


@pytest.mark.parametrize(
    "pattern",
    [{"$or": [{"a": ["x"]}]}, {"a": [{"wildcard": "x*"}]}, {"a": "x"}, {"a": [{"numeric": [">"]}]}],
)
def test_syntax_this_matcher_does_not_know_is_refused_not_guessed(pattern: dict[str, Any]) -> None:
    with pytest.raises(FilterSyntaxError):
        matches(pattern, {"a": "x"})


def test_the_templates_filters_pass_what_the_events_function_reads_and_nothing_else() -> None:
    events = load_document(TEMPLATE_PATH)["Resources"]["EventsFunction"]["Properties"]["Events"]
    audit = [
        json.loads(f["Pattern"]) for f in events["AuditEntries"]["Properties"]["FilterCriteria"]["Filters"]
    ]
    main = [
        json.loads(f["Pattern"]) for f in events["MessageOutcomes"]["Properties"]["FilterCriteria"]["Filters"]
    ]

    def record(name: str, pk: str, **image: str) -> dict[str, Any]:
        keys = {"pk": {"S": pk}, "sk": {"S": "x"}}
        return {
            "eventName": name,
            "dynamodb": {"Keys": keys, "NewImage": {**keys, **{k: {"S": v} for k, v in image.items()}}},
        }

    tenant = "tnt_" + "a" * 26
    assert passes(audit, record("INSERT", f"{tenant}#AUDIT", action="campaign.paused"))
    assert not passes(audit, record("INSERT", f"{tenant}#AUDIT", action="contact.updated"))
    assert not passes(audit, record("MODIFY", f"{tenant}#AUDIT", action="campaign.paused"))
    assert passes(main, record("INSERT", f"{tenant}#OUTCOME"))
    assert passes(main, record("MODIFY", f"{tenant}#DELIVERY"))
    assert not passes(main, record("REMOVE", f"{tenant}#OUTCOME"))
    assert not passes(main, record("INSERT", f"{tenant}#CONTACT"))
