"""The local runtime builds what template.yaml declares and runs the real handlers behind it.

Expectations are read from the template description, so these tests follow the
template: a new table, key, function or schedule is checked without editing them.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gatehouse.ids import new_tenant_id
from gatehouse.jobs.heartbeat import last_heartbeat
from local.aws import for_moto, state_machine_definition
from local.http_bridge import MAX_BODY_BYTES, find_route
from local.intrinsics import Resolver, UnresolvableError
from local.runtime import LocalRuntime
from local.template import Template, load_template

SCHEDULE_SECONDS = 0.5


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    # Its own DynamoDB Local, as `make run` starts it (the e2e modules share their worker's).
    with LocalRuntime().start(seed=True, schedule_interval=SCHEDULE_SECONDS) as running:
        yield running


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


CAMPAIGN_ID = "cmp_" + "l" * 26  # no such campaign
RUN_ID = "run_" + "l" * 26


def run_dispatch(runtime: LocalRuntime, tenant_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = runtime.client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=runtime.state_machine_arn,
        name=f"test-{uuid.uuid4().hex[:12]}",
        input=json.dumps({"tenant_id": tenant_id, "campaign_id": CAMPAIGN_ID, "run_id": RUN_ID}),
    )
    deadline = time.monotonic() + 30
    while True:
        execution = sfn.describe_execution(executionArn=started["executionArn"])
        if execution["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    return execution, events


def entered_states(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def test_every_table_of_the_template_exists_with_its_keys_indexes_and_ttl(
    runtime: LocalRuntime, template: Template
) -> None:
    assert runtime.deployment is not None
    dynamodb = runtime.client("dynamodb")
    assert {t.logical_id for t in template.tables} == set(runtime.deployment.tables)
    for table in template.tables:
        name = runtime.deployment.tables[table.logical_id]
        described = dynamodb.describe_table(TableName=name)["Table"]
        assert described["KeySchema"] == table.key_schema
        assert sorted(described["AttributeDefinitions"], key=str) == sorted(
            table.attribute_definitions, key=str
        )
        indexes = {i["IndexName"]: i["KeySchema"] for i in described.get("GlobalSecondaryIndexes", [])}
        assert indexes == {i["IndexName"]: i["KeySchema"] for i in table.global_secondary_indexes}
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl.get("AttributeName") == table.ttl_attribute


def test_the_globals_environment_names_the_local_resources(runtime: LocalRuntime, template: Template) -> None:
    assert runtime.deployment is not None
    for variable, value in template.globals_environment.items():
        if isinstance(value, dict) and value.get("Ref") in runtime.deployment.tables:
            assert runtime.env[variable] == runtime.deployment.tables[value["Ref"]]
        if (
            isinstance(value, dict)
            and "Fn::GetAtt" in value
            and value["Fn::GetAtt"][0] in runtime.deployment.keys
        ):
            key_id = runtime.deployment.keys[value["Fn::GetAtt"][0]]
            assert runtime.env[variable].endswith(f":key/{key_id}")
    assert runtime.env["GATEHOUSE_STAGE"] == "local"
    assert runtime.env["GATEHOUSE_ALLOWED_ORIGINS"] == runtime.api_url
    assert runtime.env["AWS_ENDPOINT_URL"] == runtime.moto_url
    assert runtime.env["AWS_ENDPOINT_URL_DYNAMODB"] == runtime.dynamodb_endpoint


def test_every_kms_key_of_the_template_exists_with_its_spec_and_usage(
    runtime: LocalRuntime, template: Template
) -> None:
    assert runtime.deployment is not None
    kms = runtime.client("kms")
    assert template.keys
    for key in template.keys:
        meta = kms.describe_key(KeyId=runtime.deployment.keys[key.logical_id])["KeyMetadata"]
        assert (meta["KeySpec"], meta["KeyUsage"]) == (key.key_spec, key.key_usage)


def test_state_machines_carry_their_definition_with_substitutions_resolved(
    runtime: LocalRuntime, template: Template
) -> None:
    assert runtime.deployment is not None
    sfn = runtime.client("stepfunctions")
    lambda_client = runtime.client("lambda")
    for machine in template.state_machines:
        described = sfn.describe_state_machine(
            stateMachineArn=runtime.deployment.state_machines[machine.logical_id]
        )
        definition = json.loads(described["definition"])
        assert definition == json.loads(
            for_moto(state_machine_definition(machine, runtime.deployment.resolver))
        )
        assert "${" not in described["definition"]
        tasks = [s["Resource"] for s in definition["States"].values() if s["Type"] == "Task"]
        for resource in tasks:
            # Each task invokes its function's alias: SnapStart applies to published versions only.
            function_arn, _, alias = resource.rpartition(":")
            assert lambda_client.get_alias(FunctionName=function_arn, Name=alias)["AliasArn"] == resource


def test_functions_and_schedule_rules_follow_the_template(runtime: LocalRuntime, template: Template) -> None:
    assert runtime.deployment is not None
    names = {f["FunctionName"] for f in runtime.client("lambda").list_functions()["Functions"]}
    assert {runtime.deployment.functions[f.logical_id].name for f in template.functions} <= names
    events = runtime.client("events")
    for fn in template.functions:
        for schedule in fn.schedules:
            rule = runtime.deployment.rules[(fn.logical_id, schedule.event_id)]
            assert events.describe_rule(Name=rule)["ScheduleExpression"] == schedule.expression
            (target,) = events.list_targets_by_rule(Rule=rule)["Targets"]
            assert target["Arn"] == runtime.deployment.functions[fn.logical_id].arn
            assert target.get("Input") == schedule.input


def test_a_run_of_a_campaign_that_is_not_running_is_blocked_by_the_real_gate(runtime: LocalRuntime) -> None:
    assert runtime.demo is not None
    execution, events = run_dispatch(runtime, runtime.demo.tenant_id)
    assert execution["status"] == "FAILED"
    assert execution["error"] == "Blocked"
    assert entered_states(events) == ["CheckRun", "RecordBlocked", "RunBlocked"]
    failed = [e for e in events if e["type"] == "LambdaFunctionFailed"]
    assert failed[0]["lambdaFunctionFailedEventDetails"]["error"] == "Conflict"


def test_dispatch_for_an_unknown_tenant_is_caught_and_blocked(runtime: LocalRuntime) -> None:
    execution, events = run_dispatch(runtime, new_tenant_id())
    assert execution["status"] == "FAILED"
    assert execution["error"] == "Blocked"
    states = entered_states(events)
    assert states == ["CheckRun", "RecordBlocked", "RunBlocked"]
    failed = [e for e in events if e["type"] == "LambdaFunctionFailed"]
    assert failed[0]["lambdaFunctionFailedEventDetails"]["error"] == "TenantNotActive"


def test_a_handler_error_reaches_lambda_invoke_callers_as_an_unhandled_function_error(
    runtime: LocalRuntime,
) -> None:
    assert runtime.deployment is not None
    gate = runtime.deployment.functions["TenantGateFunction"]
    reply = runtime.client("lambda").invoke(
        FunctionName=gate.arn,
        Payload=json.dumps({"tenant_id": new_tenant_id(), "campaign_id": CAMPAIGN_ID, "run_id": RUN_ID}),
    )
    assert reply["FunctionError"] == "Unhandled"
    payload = json.loads(reply["Payload"].read())
    assert payload["errorType"] == "TenantNotActive"
    assert payload["errorMessage"]


def test_health_is_served_over_http_through_the_bridge(runtime: LocalRuntime) -> None:
    with urllib.request.urlopen(f"{runtime.api_url}/health", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "ok"}


def test_requests_reach_the_function_of_the_most_specific_template_path(runtime: LocalRuntime) -> None:
    assert runtime.api is not None
    routes = runtime.api.routes
    webhook = find_route(routes, "POST", "/webhooks/twilio/sms")
    api = find_route(routes, "GET", "/members")
    root = find_route(routes, "GET", "/")
    assert webhook is not None
    assert webhook[0].function.spec.logical_id == "WebhooksFunction"
    assert webhook[1] == {"proxy": "twilio/sms"}
    assert api is not None
    assert api[0].function.spec.logical_id == "ApiFunction"
    assert root is not None
    assert (root[0].function.spec.logical_id, root[0].resource) == ("ApiFunction", "/")
    connection = http.client.HTTPConnection("127.0.0.1", runtime.api.server_address[1], timeout=10)
    connection.request("POST", "/webhooks/unknown-provider", body=b"{}")
    response = connection.getresponse()
    assert response.status == 404
    assert json.loads(response.read())["error"]["message"] == "no such webhook"


def test_a_body_over_the_api_gateway_limit_is_refused_before_any_handler(runtime: LocalRuntime) -> None:
    assert runtime.api is not None
    connection = http.client.HTTPConnection("127.0.0.1", runtime.api.server_address[1], timeout=10)
    connection.putrequest("POST", "/members")
    connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    connection.endheaders()
    assert connection.getresponse().status == 413


def test_the_scheduler_runs_the_heartbeat_job_when_its_timer_fires(
    runtime: LocalRuntime, template: Template
) -> None:
    assert runtime.scheduler is not None
    assert runtime.deployment is not None
    scheduled = [(fn.logical_id, s) for fn in template.functions for s in fn.schedules]
    assert scheduled
    for logical_id, schedule in scheduled:
        rule = runtime.deployment.rules[(logical_id, schedule.event_id)]
        runs = runtime.scheduler.wait_for_runs(rule, count=2, timeout=15)
        assert len(runs) >= 2
        assert not runs[0].outcome.failed, runs[0].outcome.payload
    beat = last_heartbeat()
    assert beat is not None
    assert beat.runs >= 2


def test_template_values_resolve_against_created_resources_only() -> None:
    resolver = Resolver(
        "stack",
        {"Stage": "prod", "AllowedOrigins": ["https://a.test", "https://b.test"]},
        {
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        },
    )
    resolver.provide("MainTable", "stack-MainTable", Arn="arn:aws:dynamodb:us-east-1:123456789012:table/t")
    resolved = resolver.resolve(
        {
            "Retention": {"Fn::If": ["IsProd", 365, 30]},
            "Protection": {"Fn::If": ["IsDev", True, {"Ref": "AWS::NoValue"}]},
            "Index": {"Fn::Sub": "${MainTable.Arn}/index/*"},
            "Name": {"Fn::Sub": ["${AWS::StackName}-${Suffix}", {"Suffix": {"Ref": "MainTable"}}]},
            "Origins": {"Fn::Join": [",", {"Ref": "AllowedOrigins"}]},
        }
    )
    assert resolved == {
        "Retention": 365,
        "Index": "arn:aws:dynamodb:us-east-1:123456789012:table/t/index/*",
        "Name": "stack-stack-MainTable",
        "Origins": "https://a.test,https://b.test",
    }
    with pytest.raises(UnresolvableError):
        resolver.resolve({"Fn::GetAtt": ["AlarmTopic", "Arn"]})


def test_a_path_parameter_may_hold_any_encoded_character_as_on_api_gateway(runtime: LocalRuntime) -> None:
    assert runtime.api is not None
    found = find_route(runtime.api.routes, "GET", "/campaigns/a\nb\u00e9")
    assert found is not None
    assert (found[0].function.spec.logical_id, found[1]) == ("ApiFunction", {"proxy": "campaigns/a\nb\u00e9"})
