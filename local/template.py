"""What template.yaml declares, as typed descriptions the local runtime builds from.

Owns reading the SAM template (short-form ``!Ref``/``!GetAtt``/``!Sub`` tags become
their long forms) and describing its tables, KMS keys and aliases, queues, IAM
roles (including the ones SAM adds for functions and state machines that name
none), EventBridge Scheduler groups, functions with their API, schedule, DynamoDB stream and
SQS events, state machines, parameters
and the Globals environment. Values that hold intrinsics stay unresolved here;
``local.intrinsics`` resolves them once resources exist. Never creates anything
and never keeps a second, hand-written list of resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from local.event_source_specs import QueueSource, StreamSource, queue_source, stream_source

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PATH = ROOT / "template.yaml"

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
STATES_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Any

    def value(self, override: Any = None) -> Any:
        raw = self.default if override is None else override
        if self.type == "CommaDelimitedList" and isinstance(raw, str):
            return [item.strip() for item in raw.split(",") if item.strip()]
        return raw


@dataclass(frozen=True)
class Table:
    logical_id: str
    name: Any  # None when the template lets CloudFormation name it
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]]
    ttl_attribute: str | None
    sse_kms_key: Any  # the KMSMasterKeyId value, when SSE with a customer key is declared
    condition: str | None = None
    stream_view_type: str | None = None  # StreamSpecification.StreamViewType, when the table has a stream


@dataclass(frozen=True)
class Key:
    logical_id: str
    key_spec: str
    key_usage: str
    description: str
    condition: str | None = None


@dataclass(frozen=True)
class Alias:
    logical_id: str
    alias_name: Any
    target_key: Any
    condition: str | None = None


@dataclass(frozen=True)
class Queue:
    logical_id: str
    name: Any
    properties: dict[str, Any]
    condition: str | None = None


@dataclass(frozen=True)
class Bucket:
    logical_id: str
    name: Any
    condition: str | None = None
    cors: Any = None  # CorsConfiguration, unresolved


@dataclass(frozen=True)
class ScheduleGroup:
    """An EventBridge Scheduler group: the code creates one-time schedules in it."""

    logical_id: str
    name: Any
    condition: str | None = None


@dataclass(frozen=True)
class Role:
    logical_id: str
    name: Any
    assume_role_policy: Any
    condition: str | None = None


@dataclass(frozen=True)
class ApiRoute:
    event_id: str
    path: str
    method: str  # upper case; "ANY" matches every method


@dataclass(frozen=True)
class Schedule:
    event_id: str
    name: Any
    expression: str
    input: str | None
    enabled: bool


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: Any
    code_dir: Path
    handler: str
    runtime: str
    role: Any  # the template's Role value; None when SAM adds one
    environment: dict[str, Any]
    timeout: int
    memory_size: int
    routes: tuple[ApiRoute, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    streams: tuple[StreamSource, ...] = ()
    queues: tuple[QueueSource, ...] = ()
    unsupported_events: tuple[str, ...] = ()
    condition: str | None = None
    # AutoPublishAlias: callers reach the function through it (SnapStart applies to versions only).
    alias: str | None = None

    @property
    def role_reference(self) -> Any:
        return _role_reference(self.logical_id, self.role)

    @property
    def handler_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def handler_attribute(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class StateMachine:
    logical_id: str
    name: Any
    definition_path: Path
    substitutions: dict[str, Any]
    type: str
    role: Any
    condition: str | None = None

    @property
    def role_reference(self) -> Any:
        return _role_reference(self.logical_id, self.role)


@dataclass(frozen=True)
class RestApi:
    logical_id: str
    stage_name: Any


@dataclass(frozen=True)
class Template:
    path: Path
    parameters: dict[str, Parameter]
    conditions: dict[str, Any]
    globals_environment: dict[str, Any]
    tables: tuple[Table, ...] = ()
    keys: tuple[Key, ...] = ()
    aliases: tuple[Alias, ...] = ()
    queues: tuple[Queue, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    roles: tuple[Role, ...] = ()
    schedule_groups: tuple[ScheduleGroup, ...] = ()
    functions: tuple[Function, ...] = ()
    state_machines: tuple[StateMachine, ...] = ()
    apis: tuple[RestApi, ...] = field(default=())

    def function(self, logical_id: str) -> Function:
        for fn in self.functions:
            if fn.logical_id == logical_id:
                return fn
        raise KeyError(logical_id)


def _role_reference(logical_id: str, role: Any) -> Any:
    return role if role is not None else {"Fn::GetAtt": [f"{logical_id}Role", "Arn"]}


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no type hints
    """SafeLoader that turns CloudFormation short-form tags into their long forms."""


def _construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_document(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506  # nosec B506 # a SafeLoader subclass
    if not isinstance(document, dict) or "Resources" not in document:
        raise ValueError(f"{path} is not a CloudFormation template")
    return document


def load_template(path: Path = TEMPLATE_PATH) -> Template:
    document = load_document(path)
    root = path.parent
    resources: dict[str, dict[str, Any]] = document["Resources"]
    function_globals = document.get("Globals", {}).get("Function", {})
    functions = tuple(
        _function(logical_id, resource, function_globals, root)
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    )
    machines = tuple(
        _state_machine(logical_id, resource, root)
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::StateMachine"
    )
    return Template(
        path=path,
        parameters={
            name: Parameter(name, spec.get("Type", "String"), spec.get("Default"))
            for name, spec in document.get("Parameters", {}).items()
        },
        conditions=document.get("Conditions", {}),
        globals_environment=function_globals.get("Environment", {}).get("Variables", {}),
        tables=_of_type(resources, "AWS::DynamoDB::Table", _table),
        keys=_of_type(resources, "AWS::KMS::Key", _key),
        aliases=_of_type(resources, "AWS::KMS::Alias", _alias),
        queues=_of_type(resources, "AWS::SQS::Queue", _queue),
        buckets=_of_type(resources, "AWS::S3::Bucket", _bucket),
        roles=_of_type(resources, "AWS::IAM::Role", _role) + _implicit_roles(functions, machines),
        schedule_groups=_of_type(
            resources,
            "AWS::Scheduler::ScheduleGroup",
            lambda logical_id, props, condition: ScheduleGroup(logical_id, props.get("Name"), condition),
        ),
        functions=functions,
        state_machines=machines,
        apis=_of_type(resources, "AWS::Serverless::Api", _api),
    )


def _of_type(resources: dict[str, dict[str, Any]], type_name: str, build: Any) -> tuple[Any, ...]:
    return tuple(
        build(logical_id, resource.get("Properties", {}), resource.get("Condition"))
        for logical_id, resource in resources.items()
        if resource["Type"] == type_name
    )


def _table(logical_id: str, props: dict[str, Any], condition: str | None) -> Table:
    ttl = props.get("TimeToLiveSpecification") or {}
    sse = props.get("SSESpecification") or {}
    return Table(
        logical_id=logical_id,
        name=props.get("TableName"),
        key_schema=props["KeySchema"],
        attribute_definitions=props["AttributeDefinitions"],
        global_secondary_indexes=props.get("GlobalSecondaryIndexes", []),
        ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
        sse_kms_key=sse.get("KMSMasterKeyId") if sse.get("SSEEnabled") else None,
        condition=condition,
        stream_view_type=(props.get("StreamSpecification") or {}).get("StreamViewType"),
    )


def _key(logical_id: str, props: dict[str, Any], condition: str | None) -> Key:
    return Key(
        logical_id=logical_id,
        key_spec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
        key_usage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        description=props.get("Description", ""),
        condition=condition,
    )


def _alias(logical_id: str, props: dict[str, Any], condition: str | None) -> Alias:
    return Alias(logical_id, props["AliasName"], props["TargetKeyId"], condition)


def _queue(logical_id: str, props: dict[str, Any], condition: str | None) -> Queue:
    rest = {k: v for k, v in props.items() if k not in ("QueueName", "Tags")}
    return Queue(logical_id, props.get("QueueName"), rest, condition)


def _bucket(logical_id: str, props: dict[str, Any], condition: str | None) -> Bucket:
    # Encryption, public access and lifecycle settings are AWS's to enforce; moto keeps objects.
    return Bucket(logical_id, props.get("BucketName"), condition, props.get("CorsConfiguration"))


def _role(logical_id: str, props: dict[str, Any], condition: str | None) -> Role:
    return Role(logical_id, props.get("RoleName"), props["AssumeRolePolicyDocument"], condition)


def _api(logical_id: str, props: dict[str, Any], _: str | None) -> RestApi:
    return RestApi(logical_id, props.get("StageName", "Prod"))


def _implicit_roles(functions: tuple[Function, ...], machines: tuple[StateMachine, ...]) -> tuple[Role, ...]:
    """SAM creates ``<LogicalId>Role`` for a function or state machine that names no Role."""
    implicit = [Role(f"{fn.logical_id}Role", None, LAMBDA_TRUST) for fn in functions if fn.role is None]
    implicit += [Role(f"{sm.logical_id}Role", None, STATES_TRUST) for sm in machines if sm.role is None]
    return tuple(implicit)


def _function(logical_id: str, resource: dict[str, Any], defaults: dict[str, Any], root: Path) -> Function:
    props = resource.get("Properties", {})
    merged = {**defaults, **props}
    environment = {
        **defaults.get("Environment", {}).get("Variables", {}),
        **props.get("Environment", {}).get("Variables", {}),
    }
    routes: list[ApiRoute] = []
    schedules: list[Schedule] = []
    streams: list[StreamSource] = []
    queues: list[QueueSource] = []
    unsupported: list[str] = []
    for event_id, event in (props.get("Events") or {}).items():
        event_props = event.get("Properties", {})
        if event["Type"] == "Api":
            routes.append(ApiRoute(event_id, event_props["Path"], str(event_props["Method"]).upper()))
        elif event["Type"] in ("Schedule", "ScheduleV2"):
            schedules.append(_schedule(event_id, event["Type"], event_props))
        elif event["Type"] == "DynamoDB":
            streams.append(stream_source(event_id, event_props))
        elif event["Type"] == "SQS":
            queues.append(queue_source(event_id, event_props))
        else:
            unsupported.append(f"{event_id} ({event['Type']})")
    return Function(
        logical_id=logical_id,
        name=props.get("FunctionName"),
        code_dir=(root / str(merged["CodeUri"])).resolve(),
        handler=str(merged["Handler"]),
        runtime=str(merged.get("Runtime", "python3.12")),
        role=props.get("Role"),
        environment=environment,
        timeout=int(merged.get("Timeout", 3)),
        memory_size=int(merged.get("MemorySize", 128)),
        routes=tuple(routes),
        schedules=tuple(schedules),
        streams=tuple(streams),
        queues=tuple(queues),
        unsupported_events=tuple(unsupported),
        condition=resource.get("Condition"),
        alias=merged.get("AutoPublishAlias"),
    )


def _schedule(event_id: str, event_type: str, props: dict[str, Any]) -> Schedule:
    expression = props["ScheduleExpression"] if event_type == "ScheduleV2" else props["Schedule"]
    enabled = props.get("State", "ENABLED") == "ENABLED" and props.get("Enabled", True) is not False
    return Schedule(event_id, props.get("Name"), str(expression), props.get("Input"), enabled)


def _state_machine(logical_id: str, resource: dict[str, Any], root: Path) -> StateMachine:
    props = resource.get("Properties", {})
    if "DefinitionUri" not in props or not isinstance(props["DefinitionUri"], str):
        raise ValueError(f"{logical_id}: the local runtime needs a DefinitionUri file path")
    return StateMachine(
        logical_id=logical_id,
        name=props.get("Name"),
        definition_path=(root / props["DefinitionUri"]).resolve(),
        substitutions=props.get("DefinitionSubstitutions", {}),
        type=str(props.get("Type", "STANDARD")),
        role=props.get("Role"),
        condition=resource.get("Condition"),
    )
