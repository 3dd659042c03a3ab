"""The AWS call counter counts every round trip, by service and operation, from every thread."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from moto import mock_aws
from moto.core.models import patch_client
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from gatehouse.aws_calls import AwsCall, AwsCallCounter, install

TABLE = "aws-calls-test"
REPO = Path(__file__).resolve().parents[2]


class Visit(Model):
    class Meta:
        table_name = "aws-calls-test-visits"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    seen = NumberAttribute(default=0)


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # moto's DynamoDB stands in here as something to count calls to: no DynamoDB Local in the unit tier.
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        Visit.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        yield client


def put(client: Any, item_id: str) -> None:
    client.put_item(TableName=TABLE, Item={"id": {"S": item_id}})


def test_each_boto3_put_item_counts_once(dynamodb: Any) -> None:
    with AwsCallCounter() as counter:
        for n in range(7):
            put(dynamodb, f"item-{n}")

    assert counter.counts() == {AwsCall("dynamodb", "PutItem"): 7}
    assert counter.counts() == {("dynamodb", "PutItem"): 7}
    assert counter.total("dynamodb") == 7
    assert counter.total("kms") == 0


def test_kms_calls_count_under_kms(dynamodb: Any) -> None:
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]

    with AwsCallCounter() as counter:
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
        kms.decrypt(CiphertextBlob=blob)
        put(dynamodb, "one")

    assert counter.by_service() == {"kms": 2, "dynamodb": 1}
    assert counter.counts()[AwsCall("kms", "Encrypt")] == 1
    assert counter.counts()[AwsCall("kms", "Decrypt")] == 1
    assert counter.total() == 3


def test_pynamodb_model_operations_are_counted(dynamodb: Any) -> None:
    with AwsCallCounter() as counter:
        for n in range(3):
            Visit("home", f"v{n}").save()
        Visit.get("home", "v1")
        assert len(list(Visit.query("home"))) == 3
        Visit("home", "v2").delete()

    assert counter.counts() == {
        AwsCall("dynamodb", "PutItem"): 3,
        AwsCall("dynamodb", "GetItem"): 1,
        AwsCall("dynamodb", "Query"): 1,
        AwsCall("dynamodb", "DeleteItem"): 1,
    }


def test_counting_stops_when_the_block_exits(dynamodb: Any) -> None:
    with AwsCallCounter() as counter:
        put(dynamodb, "inside")
        Visit("home", "inside").save()

    put(dynamodb, "after")
    Visit("home", "after").save()
    Visit.get("home", "after")

    assert counter.total() == 2


def test_calls_from_every_thread_are_counted(dynamodb: Any) -> None:
    def work(thread: int) -> None:
        for n in range(5):
            put(dynamodb, f"t{thread}-{n}")
            Visit(f"t{thread}", str(n)).save()

    with AwsCallCounter() as counter, ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))

    assert counter.counts() == {AwsCall("dynamodb", "PutItem"): 80}


def test_nested_counters_each_see_their_own_window(dynamodb: Any) -> None:
    with AwsCallCounter() as outer:
        put(dynamodb, "a")
        with AwsCallCounter() as inner:
            put(dynamodb, "b")
        put(dynamodb, "c")

    assert (outer.total(), inner.total()) == (3, 1)


def test_a_counter_cannot_be_entered_twice_at_once(dynamodb: Any) -> None:
    counter = AwsCallCounter()
    with counter, pytest.raises(RuntimeError), counter:
        pass


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def test_a_retried_attempt_counts_as_another_round_trip(dynamodb: Any) -> None:
    throttled: list[str] = []

    def throttle_first_attempt(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        if throttled:
            return None
        throttled.append(request.url)
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        return AWSResponse(request.url, 400, HTTPHeaders(), _Body(body))

    dynamodb.meta.events.register_first("before-send.dynamodb.PutItem", throttle_first_attempt)
    try:
        with AwsCallCounter() as counter:
            put(dynamodb, "retried")
    finally:
        dynamodb.meta.events.unregister("before-send.dynamodb.PutItem", throttle_first_attempt)

    assert throttled
    assert dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "retried"}})["Item"]
    assert counter.counts() == {AwsCall("dynamodb", "PutItem"): 2}


def test_format_lines_prints_one_name_value_line_per_operation_then_the_total(dynamodb: Any) -> None:
    with AwsCallCounter() as counter:
        put(dynamodb, "x")
        put(dynamodb, "y")
        assert Visit.count("home") == 0

    assert list(counter.format_lines("aws_calls_demo")) == [
        "aws_calls_demo_dynamodb_put_item: 2",
        "aws_calls_demo_dynamodb_query: 1",
        "aws_calls_demo_total: 3",
    ]
    assert list(AwsCallCounter().format_lines("")) == ["total: 0"]


def test_sessions_and_clients_passed_in_are_counted(dynamodb: Any) -> None:
    install()
    # Built without botocore's builtin handlers, so nothing but the counter's sources reaches them.
    bare = botocore.session.Session(include_builtin_handlers=False)
    client: Any = bare.create_client("dynamodb", region_name="us-east-1")
    patch_client(client)

    with AwsCallCounter(client) as by_client:
        client.list_tables()
    with AwsCallCounter(bare) as by_session:
        late: Any = bare.create_client("dynamodb", region_name="us-east-1")
        patch_client(late)
        late.list_tables()

    assert by_client.counts() == {AwsCall("dynamodb", "ListTables"): 1}
    assert by_session.counts() == {AwsCall("dynamodb", "ListTables"): 1}


def test_a_client_reached_several_ways_counts_each_call_once(dynamodb: Any) -> None:
    install()
    session = boto3.session.Session(region_name="us-east-1")

    with AwsCallCounter(session) as via_session:
        client = session.client("dynamodb")
        with AwsCallCounter(client, session) as via_client:
            client.list_tables()

    assert via_session.counts() == {AwsCall("dynamodb", "ListTables"): 1}
    assert via_client.counts() == {AwsCall("dynamodb", "ListTables"): 1}


CLIENTS_BUILT_FIRST = textwrap.dedent(
    """
    import boto3
    from moto import mock_aws
    from pynamodb.attributes import UnicodeAttribute
    from pynamodb.models import Model

    class Early(Model):
        class Meta:
            table_name = "early"
            region = "us-east-1"
        pk = UnicodeAttribute(hash_key=True)

    with mock_aws():
        Early.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        Early("before").save()  # PynamoDB's connection builds its client now
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.list_tables()
        session = boto3.session.Session(region_name="us-east-1")  # its client comes later

        from gatehouse.aws_calls import AwsCallCounter

        with AwsCallCounter() as counter:
            Early("during").save()
            Early.get("during")
            client.list_tables()
            session.client("kms").list_keys()
        print("\\n".join(counter.format_lines("early")))
    """
)


def test_clients_and_sessions_built_before_the_first_counter_are_counted() -> None:
    # A fresh interpreter, so that no tap exists while these clients and sessions are built.
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'layers/shared/python'}"}
    env.pop("AWS_ENDPOINT_URL", None)
    env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    result = subprocess.run(
        [sys.executable, "-c", CLIENTS_BUILT_FIRST],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert result.stdout.splitlines() == [
        "early_dynamodb_get_item: 1",
        "early_dynamodb_list_tables: 1",
        "early_dynamodb_put_item: 1",
        "early_kms_list_keys: 1",
        "early_total: 4",
    ]
