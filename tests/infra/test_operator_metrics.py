"""The operators' dashboard and alarms watch metrics the code actually emits.

A CloudWatch alarm on a metric nobody publishes never fires and a dashboard graph of
one stays empty, silently. These tests read every metric the template's dashboard and
alarms use, and check each one in the application's namespace against the names the
source passes to ``metrics.add_metric`` (or ``single_metric``), found by parsing the
code, not by running it.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.conftest import ROOT, references

SOURCES = (ROOT / "layers/shared/python/gatehouse", ROOT / "functions")
OBSERVABILITY = ROOT / "layers/shared/python/gatehouse/observability.py"
SEARCH_METRIC = re.compile(r"\{(?P<namespace>[^,}]+)[^}]*\}\s*MetricName=\"(?P<name>[^\"]+)\"")
EMITTERS = {"add_metric", "single_metric"}
# Per-tenant jobs count outcomes as f"{metric_prefix}{Outcome}" (gatehouse/jobs/tenants.py): such a
# name is checked by the job's prefix literal instead.
PREFIXED = {"DncRescrubSourceFailed": "DncRescrub"}


# ---------------------------------------------------------------- what the code emits


def app_namespace() -> tuple[str, str]:
    """(namespace, service) of the shared ``Metrics`` instance in gatehouse/observability.py."""
    tree = ast.parse(OBSERVABILITY.read_text(encoding="utf-8"))
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Metrics":
            args = {k.arg: k.value for k in node.keywords}
            namespace, service = args["namespace"], args["service"]
            assert isinstance(namespace, ast.Constant | ast.Name)
            assert isinstance(service, ast.Name)
            named = namespace.value if isinstance(namespace, ast.Constant) else constants[namespace.id]
            return str(named), str(constants[service.id])
    raise AssertionError("observability.py builds no Metrics instance")


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else None


def _dict_keys_bound_to(function: ast.AST, variable: str) -> set[str]:
    """Keys of dict literals that ``variable`` ranges over in ``for variable, _ in d.items()``."""
    dicts = {
        node.targets[0].id: node.value
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Dict)
    }
    keys: set[str] = set()
    for loop in (n for n in ast.walk(function) if isinstance(n, ast.For)):
        target = loop.target.elts[0] if isinstance(loop.target, ast.Tuple) else loop.target
        source = loop.iter
        if isinstance(source, ast.Call) and isinstance(source.func, ast.Attribute):
            source = source.func.value  # d.items() -> d
        if isinstance(target, ast.Name) and target.id == variable and isinstance(source, ast.Name):
            literal = dicts.get(source.id)
            if literal is not None:
                keys |= {k.value for k in literal.keys if isinstance(k, ast.Constant)}
    return keys


def _pattern(value: ast.expr, scope: ast.AST) -> Iterator[str]:
    """Regular expressions for the names a ``name=`` argument can take."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        yield re.escape(value.value)
    elif isinstance(value, ast.JoinedStr):  # f"IntegrationCheck{status}" -> IntegrationCheck\w+
        yield "".join(
            re.escape(part.value) if isinstance(part, ast.Constant) else r"\w+" for part in value.values
        )
    elif isinstance(value, ast.Name):
        yield from (re.escape(key) for key in _dict_keys_bound_to(scope, value.id))


def emitted_in(source: str) -> list[str]:
    """The name patterns of every metric a module's source emits."""
    tree = ast.parse(source)
    found: list[str] = []
    scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for scope in [tree, *scopes]:
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and _callee(node) in EMITTERS:
                for keyword in node.keywords:
                    if keyword.arg == "name":
                        found.extend(_pattern(keyword.value, scope))
    return found


@pytest.fixture(scope="module")
def emitted() -> list[re.Pattern[str]]:
    patterns = {
        pattern
        for top in SOURCES
        for path in sorted(top.rglob("*.py"))
        for pattern in emitted_in(path.read_text(encoding="utf-8"))
    }
    return [re.compile(p) for p in sorted(patterns)]


def is_emitted(name: str, emitted: list[re.Pattern[str]]) -> bool:
    # A name with no literal part could be anything: it proves nothing about a given name.
    return any(p.fullmatch(name) for p in emitted if p.pattern.replace(r"\w+", ""))


# ---------------------------------------------------------------- what the template watches


def dashboard_body(resources: dict[str, Any]) -> dict[str, Any]:
    [dashboard] = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = dashboard["Properties"]["DashboardBody"]
    text = body["Fn::Sub"] if isinstance(body, dict) else body
    parsed: dict[str, Any] = json.loads(re.sub(r"\$\{([^}]+)\}", r"\1", text))
    return parsed


def dashboard_metrics(body: dict[str, Any]) -> set[tuple[str, str]]:
    """(namespace, metric name) of every graph on the dashboard, SEARCH expressions included."""
    found: set[tuple[str, str]] = set()
    for widget in body["widgets"]:
        previous: list[Any] = []
        for row in widget["properties"].get("metrics", []):
            plain = [cell for cell in row if not isinstance(cell, dict)]
            # "." repeats the cell of the row above, as the dashboard's own shorthand does.
            plain = [previous[i] if cell == "." else cell for i, cell in enumerate(plain)]
            if len(plain) >= 2:
                found.add((plain[0], plain[1]))
                previous = plain
            for options in (cell for cell in row if isinstance(cell, dict)):
                found |= {
                    (m["namespace"], m["name"]) for m in SEARCH_METRIC.finditer(options.get("expression", ""))
                }
    return found


def alarms(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def alarm_metrics(alarm: dict[str, Any]) -> set[tuple[str, str]]:
    if "MetricName" in alarm:
        return {(alarm["Namespace"], alarm["MetricName"])}
    stats = [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]
    return {(m["Namespace"], m["MetricName"]) for m in stats}


@pytest.fixture(scope="module")
def watched(resources: dict[str, Any]) -> set[tuple[str, str]]:
    found = dashboard_metrics(dashboard_body(resources))
    for alarm in alarms(resources).values():
        found |= alarm_metrics(alarm)
    return found


# ---------------------------------------------------------------- the checks


def test_every_application_metric_on_the_dashboard_or_an_alarm_is_emitted_by_the_code(
    watched: set[tuple[str, str]], emitted: list[re.Pattern[str]]
) -> None:
    namespace, _ = app_namespace()
    ours = {name for ns, name in watched if ns == namespace}
    assert ours, "the dashboard and alarms watch no application metric at all"
    missing = {name for name in ours if not is_emitted(name, emitted)}
    assert sorted(missing - PREFIXED.keys()) == []
    source = "".join(p.read_text(encoding="utf-8") for top in SOURCES for p in top.rglob("*.py"))
    for name in missing & PREFIXED.keys():
        assert f'"{PREFIXED[name]}"' in source, f"{name}: no job passes the prefix {PREFIXED[name]!r}"


def test_operators_watch_every_signal_the_design_names(
    resources: dict[str, Any], watched: set[tuple[str, str]]
) -> None:
    namespace, _ = app_namespace()
    alarmed = set().union(*(alarm_metrics(a) for a in alarms(resources).values()))
    for signal in [
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/States", "ExecutionsFailed"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        (namespace, "DncProviderErrors"),
        (namespace, "WebhookSignatureRejected"),
        (namespace, "AuditVerifyFailed"),
        (namespace, "AuditChainBroken"),
    ]:
        assert signal in alarmed, f"no alarm on {signal}"
    for graph in [
        (namespace, "DispatchSent"),
        (namespace, "DispatchBlocked"),
        (namespace, "DispatchBlockedByReason"),
    ]:
        assert graph in watched, f"the dashboard does not show {graph}"


def test_every_dead_letter_queue_has_a_depth_alarm(resources: dict[str, Any]) -> None:
    queues = {n for n, r in resources.items() if r["Type"] == "AWS::SQS::Queue" and "DLQ" in n}
    depth = {
        next(iter(references(d["Value"])))
        for a in alarms(resources).values()
        if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        for d in a["Dimensions"]
        if d["Name"] == "QueueName"
    }
    assert queues
    assert queues <= depth


def test_application_alarms_use_the_dimensions_the_code_publishes(resources: dict[str, Any]) -> None:
    """Powertools publishes every figure with the dimension service=<service>; an alarm that names
    other dimensions watches a metric that does not exist."""
    namespace, service = app_namespace()
    for name, alarm in alarms(resources).items():
        if alarm.get("Namespace") == namespace:
            assert alarm["Dimensions"] == [{"Name": "service", "Value": service}], name


def test_api_alarms_watch_the_api_the_template_deploys(resources: dict[str, Any]) -> None:
    api_name = resources["GatehouseApi"]["Properties"]["Name"]
    api_alarms = [a for a in alarms(resources).values() if a.get("Namespace") == "AWS/ApiGateway"]
    assert api_alarms
    for alarm in api_alarms:
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert dimensions == {"ApiName": api_name, "Stage": {"Ref": "Stage"}}


def test_every_alarm_notifies_the_topic_and_shows_on_the_dashboard(resources: dict[str, Any]) -> None:
    [alarm_widget] = [w for w in dashboard_body(resources)["widgets"] if w["type"] == "alarm"]
    shown = {arn.removesuffix(".Arn") for arn in alarm_widget["properties"]["alarms"]}
    for name, alarm in alarms(resources).items():
        assert references(alarm["AlarmActions"]) == {"AlarmTopic"}, name
        assert name in shown, f"{name} is missing from the dashboard's alarm widget"


# ---------------------------------------------------------------- the reader itself


def test_the_source_reader_finds_literal_looped_and_formatted_names_and_nothing_else() -> None:
    source = """
def one():
    metrics.add_metric(name="Literal", unit="Count", value=1)

def looped(report):
    figures = {"FromDictA": 1, "FromDictB": 2}
    for name, value in figures.items():
        metrics.add_metric(name=name, unit="Count", value=value)

def formatted(status):
    metrics.add_metric(name=f"Check{status.title()}", unit="Count", value=1)

def single(reason):
    with single_metric(name="Single", unit="Count", value=1) as m:
        m.add_dimension(name="reason", value=reason)
"""
    patterns = [re.compile(p) for p in emitted_in(source)]
    for name in ("Literal", "FromDictA", "FromDictB", "CheckFailed", "Single"):
        assert is_emitted(name, patterns), name
    for name in ("Literally", "FromDictC", "Check", "reason", "Count"):
        assert not is_emitted(name, patterns), name


def test_the_codebase_emits_the_names_it_is_known_to_emit(emitted: list[re.Pattern[str]]) -> None:
    for name in ("SignInFailed", "AuditChainBroken", "IntegrationCheckFailed", "DispatchBlockedByReason"):
        assert is_emitted(name, emitted), name
    assert not is_emitted("DispatchTeleported", emitted)


def test_the_dashboard_reader_sees_rows_shorthand_and_search_expressions() -> None:
    body = {
        "widgets": [
            {
                "type": "metric",
                "properties": {
                    "metrics": [
                        ["Gatehouse", "A", "service", "gatehouse"],
                        [".", "B", ".", "."],
                        [{"expression": "SEARCH('{Gatehouse,reason,service} MetricName=\"C\"', 'Sum', 300)"}],
                    ]
                },
            }
        ]
    }
    assert dashboard_metrics(body) == {("Gatehouse", "A"), ("Gatehouse", "B"), ("Gatehouse", "C")}
