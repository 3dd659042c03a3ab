"""The emulated AWS account: an in-process moto server and DynamoDB Local holding what template.yaml declares.

Owns starting and stopping moto's threaded server on 127.0.0.1, switching it to
the non-Docker Lambda backend and to Step Functions that really execute their
definitions, and creating the template's KMS keys and aliases, IAM roles, queues,
EventBridge Scheduler groups, state machines, Lambda functions and EventBridge schedule rules there, and its
tables in DynamoDB Local (``local.dynamodb_local``), in dependency order. Every
name, key spec, index and substitution comes from the template description.
Never runs handler code (``local.functions`` does).
"""

from __future__ import annotations

import io
import json
import re
import socket
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer

from local.intrinsics import ACCOUNT_ID, REGION, Resolver
from local.template import Function, Schedule, StateMachine, Table, Template

FAKE_ACCESS_KEY = "local"  # moto accepts any credentials; these never match a real account
MOTO_CONFIG = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
    "RedrivePolicy",
)


class MotoServer:
    """moto's threaded server on 127.0.0.1, configured for the local runtime."""

    def __init__(self, port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._requested_port = port
        self._previous_config: dict[str, Any] = {}
        self._clients: dict[str, Any] = {}
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self._requested_port:
            _require_free(self._requested_port)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        # The server shares this process, so the current values can be read here and put back on stop.
        self._previous_config = {name: dict(default_user_config[name]) for name in MOTO_CONFIG}  # type: ignore[literal-required]
        self._post_config(MOTO_CONFIG)

    def stop(self) -> None:
        if self.port:
            self._post_config(self._previous_config)
            self._server.stop()
            self.port = 0
            self._clients.clear()

    def client(self, service: str) -> Any:
        """A boto3 client for this server (one per service: building clients is not cheap)."""
        if service not in self._clients:
            self._clients[service] = local_client(service, self.url)
        return self._clients[service]

    def _post_config(self, config: dict[str, Any]) -> None:
        request = urllib.request.Request(  # noqa: S310 - a fixed http://127.0.0.1 URL
            f"{self.url}/moto-api/config",
            data=json.dumps(config).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310  # nosec B310 # fixed loopback URL
            pass


def local_client(service: str, endpoint_url: str) -> Any:
    """A boto3 client for an emulated service on this machine, with credentials that match no account."""
    return boto3.client(
        service,  # type: ignore[call-overload]  # the service name is a plain str here
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=FAKE_ACCESS_KEY,
        aws_secret_access_key=FAKE_ACCESS_KEY,
    )


def _require_free(port: int) -> None:
    # moto's server thread would die on a taken port while start() waits for it forever.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise OSError(f"127.0.0.1:{port} is in use; choose another port (0 picks a free one)") from error


@dataclass
class DeployedFunction:
    logical_id: str
    name: str
    arn: str
    environment: dict[str, str]


@dataclass
class Deployment:
    """What the template became in moto and DynamoDB Local: physical names and ARNs by logical id."""

    resolver: Resolver
    tables: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    functions: dict[str, DeployedFunction] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)
    rules: dict[tuple[str, str], str] = field(default_factory=dict)
    schedule_groups: dict[str, str] = field(default_factory=dict)
    streams: dict[str, str] = field(default_factory=dict)  # table logical id -> its stream's ARN


def physical_name(resolver: Resolver, declared: Any, logical_id: str) -> str:
    """The template's name for a resource, or one derived from the stack name as CloudFormation would."""
    if declared is None:
        return f"{resolver.pseudo['AWS::StackName']}-{logical_id}"
    return str(resolver.resolve(declared))


def deploy(template: Template, resolver: Resolver, moto: MotoServer, dynamodb: Any) -> Deployment:
    """Create every supported resource of the template, referenced ones first: tables with ``dynamodb``
    (a DynamoDB Local client), everything else in moto."""
    deployment = Deployment(resolver)
    active = [r for r in _all_specs(template) if r.condition is None or resolver.condition(r.condition)]
    ids = {r.logical_id for r in active}
    _create_keys(template, deployment, moto.client("kms"), ids)
    _create_roles(template, deployment, moto.client("iam"), ids)
    _create_queues(template, deployment, moto.client("sqs"), ids)
    _create_buckets(template, deployment, moto.client("s3"), ids)
    _create_schedule_groups(template, deployment, moto.client("scheduler"), ids)
    for table in template.tables:
        if table.logical_id in ids:
            _create_table(table, deployment, dynamodb)
    _declare_functions_and_machines(template, deployment, ids)
    for machine in template.state_machines:
        if machine.logical_id in ids:
            _create_state_machine(machine, deployment, moto.client("stepfunctions"))
    for fn in template.functions:
        if fn.logical_id in ids:
            _create_function(fn, deployment, moto.client("lambda"))
            _create_schedule_rules(fn, deployment, moto.client("events"))
    return deployment


def _all_specs(template: Template) -> list[Any]:
    return [
        *template.keys,
        *template.aliases,
        *template.roles,
        *template.queues,
        *template.buckets,
        *template.schedule_groups,
        *template.tables,
        *template.functions,
        *template.state_machines,
    ]


def _create_keys(template: Template, deployment: Deployment, kms: Any, ids: set[str]) -> None:
    resolver = deployment.resolver
    for key in (k for k in template.keys if k.logical_id in ids):
        meta = kms.create_key(Description=key.description, KeySpec=key.key_spec, KeyUsage=key.key_usage)
        key_id, arn = meta["KeyMetadata"]["KeyId"], meta["KeyMetadata"]["Arn"]
        resolver.provide(key.logical_id, key_id, Arn=arn, KeyId=key_id)
        deployment.keys[key.logical_id] = key_id
    for alias in (a for a in template.aliases if a.logical_id in ids):
        name = str(resolver.resolve(alias.alias_name))
        kms.create_alias(AliasName=name, TargetKeyId=str(resolver.resolve(alias.target_key)))
        resolver.provide(alias.logical_id, name)


def _create_roles(template: Template, deployment: Deployment, iam: Any, ids: set[str]) -> None:
    # moto does not enforce IAM; the roles exist so functions and state machines can name them.
    resolver = deployment.resolver
    for role in (r for r in template.roles if r.logical_id in ids):
        name = physical_name(resolver, role.name, role.logical_id)
        trust = json.dumps(resolver.resolve(role.assume_role_policy))
        created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]
        resolver.provide(role.logical_id, name, Arn=created["Arn"], RoleId=created["RoleId"])
        deployment.roles[role.logical_id] = created["Arn"]


def _create_queues(template: Template, deployment: Deployment, sqs: Any, ids: set[str]) -> None:
    resolver = deployment.resolver
    for queue in (q for q in template.queues if q.logical_id in ids):
        name = physical_name(resolver, queue.name, queue.logical_id)
        props = resolver.resolve(queue.properties)
        attributes = {
            k: json.dumps(v) if isinstance(v, dict) else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in props.items()
            if k in _QUEUE_ATTRIBUTES
        }
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        resolver.provide(queue.logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)
        deployment.queues[queue.logical_id] = url


def _create_buckets(template: Template, deployment: Deployment, s3: Any, ids: set[str]) -> None:
    resolver = deployment.resolver
    for bucket in (b for b in template.buckets if b.logical_id in ids):
        # Bucket names are global and lower-case: derive one from the stack as CloudFormation does.
        name = physical_name(resolver, bucket.name, bucket.logical_id).lower()
        s3.create_bucket(Bucket=name)
        rules = bucket_cors_rules(resolver.resolve(bucket.cors))
        if rules:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        resolver.provide(
            bucket.logical_id, name, Arn=f"arn:aws:s3:::{name}", DomainName=f"{name}.s3.amazonaws.com"
        )
        deployment.buckets[bucket.logical_id] = name


def bucket_cors_rules(declared: Any) -> list[dict[str, Any]]:
    """A template bucket's resolved CorsConfiguration as S3's PutBucketCors rules ([] for none)."""
    if not isinstance(declared, dict):
        return []  # absent, or AWS::NoValue
    names = {"Id": "ID", "ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}
    return [{names.get(k, k): v for k, v in rule.items()} for rule in declared["CorsRules"]]


def _create_schedule_groups(
    template: Template, deployment: Deployment, scheduler: Any, ids: set[str]
) -> None:
    resolver = deployment.resolver
    for group in (g for g in template.schedule_groups if g.logical_id in ids):
        name = physical_name(resolver, group.name, group.logical_id)
        arn = scheduler.create_schedule_group(Name=name)["ScheduleGroupArn"]
        resolver.provide(group.logical_id, name, Arn=arn)
        deployment.schedule_groups[group.logical_id] = name


def _create_table(table: Table, deployment: Deployment, dynamodb: Any) -> None:
    resolver = deployment.resolver
    name = physical_name(resolver, table.name, table.logical_id)
    sse_key = str(resolver.resolve(table.sse_kms_key)) if table.sse_kms_key is not None else None
    arn = create_table(dynamodb, table, name, resolve=resolver.resolve, sse_key=sse_key)
    stream = stream_arn(dynamodb, name) if table.stream_view_type else None
    resolver.provide(table.logical_id, name, Arn=arn, **({"StreamArn": stream} if stream else {}))
    deployment.tables[table.logical_id] = name
    if stream:
        deployment.streams[table.logical_id] = stream


def create_table(
    dynamodb: Any,
    table: Table,
    name: str,
    *,
    resolve: Callable[[Any], Any] = lambda v: v,
    sse_key: str | None = None,
    stream: bool = True,
) -> str:
    """Create one template table (keys, GSIs, TTL, SSE, stream) under ``name``; returns its ARN.

    ``stream=False`` leaves the stream off where nothing reads it: DynamoDB Local keeps every
    stream record it was written, deleted tables' too, and each write slows with their number.
    """
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": resolve(table.key_schema),
        "AttributeDefinitions": resolve(table.attribute_definitions),
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table.global_secondary_indexes:
        args["GlobalSecondaryIndexes"] = resolve(table.global_secondary_indexes)
    if table.stream_view_type and stream:
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream_view_type}
    if sse_key:
        args["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": sse_key}
    arn = str(dynamodb.create_table(**args)["TableDescription"]["TableArn"])
    if table.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
        )
    return arn


def stream_arn(dynamodb: Any, name: str) -> str:
    """The table's current stream (DynamoDB Local serves the streams API at the table's endpoint)."""
    return str(dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"])


def _declare_functions_and_machines(template: Template, deployment: Deployment, ids: set[str]) -> None:
    """Names and ARNs are known before creation, so functions and machines may refer to each other."""
    resolver = deployment.resolver
    for fn in (f for f in template.functions if f.logical_id in ids):
        name = physical_name(resolver, fn.name, fn.logical_id)
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
        aliases = {"Alias": f"{arn}:{fn.alias}"} if fn.alias else {}
        resolver.provide(fn.logical_id, name, Arn=arn, **aliases)
    for machine in (m for m in template.state_machines if m.logical_id in ids):
        name = physical_name(resolver, machine.name, machine.logical_id)
        arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}"
        resolver.provide(machine.logical_id, arn, Name=name, Arn=arn)


def state_machine_definition(machine: StateMachine, resolver: Resolver) -> str:
    """The definition file with its DefinitionSubstitutions applied, as SAM applies them."""
    values = {key: str(resolver.resolve(value)) for key, value in machine.substitutions.items()}
    text = machine.definition_path.read_text(encoding="utf-8")
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def for_moto(definition: str) -> str:
    """The definition as moto's Step Functions can run it: Distributed Map children as Standard executions.

    moto's ASL parser accepts only ``STANDARD`` for a Distributed Map's ``ExecutionType``;
    in AWS the children are Express. The states, their order, retries and catches are the
    file's own; only the billing model of the child executions differs here.
    """
    parsed = json.loads(definition)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            config = node.get("ProcessorConfig")
            if isinstance(config, dict) and config.get("ExecutionType") == "EXPRESS":
                config["ExecutionType"] = "STANDARD"
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(parsed)
    return json.dumps(parsed)


def _create_state_machine(machine: StateMachine, deployment: Deployment, sfn: Any) -> None:
    resolver = deployment.resolver
    created = sfn.create_state_machine(
        name=resolver.attribute(machine.logical_id, "Name"),
        definition=for_moto(state_machine_definition(machine, resolver)),
        roleArn=str(resolver.resolve(machine.role_reference)),
        type=machine.type,
    )
    deployment.state_machines[machine.logical_id] = created["stateMachineArn"]


def _create_function(fn: Function, deployment: Deployment, lambda_client: Any) -> None:
    resolver = deployment.resolver
    environment = {key: str(value) for key, value in resolver.resolve(fn.environment).items()}
    name = resolver.attribute(fn.logical_id)
    created = lambda_client.create_function(
        FunctionName=name,
        Runtime=fn.runtime,
        Role=str(resolver.resolve(fn.role_reference)),
        Handler=fn.handler,
        Code={"ZipFile": _placeholder_package(fn)},
        Timeout=fn.timeout,
        MemorySize=fn.memory_size,
        Environment={"Variables": environment},
    )
    if fn.alias:  # as SAM's AutoPublishAlias: version 1 and the alias callers invoke
        version = lambda_client.publish_version(FunctionName=name)["Version"]
        lambda_client.create_alias(FunctionName=name, Name=fn.alias, FunctionVersion=version)
    deployment.functions[fn.logical_id] = DeployedFunction(
        fn.logical_id, name, created["FunctionArn"], environment
    )


def _placeholder_package(fn: Function) -> bytes:
    # moto wants a package; invocations never run it because local.functions serves them in-process.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("LOCAL.txt", f"{fn.logical_id} runs in-process from {fn.handler_file}\n")
    return buffer.getvalue()


def rule_name(fn: Function, schedule: Schedule, resolver: Resolver) -> str:
    return physical_name(resolver, schedule.name, f"{fn.logical_id}{schedule.event_id}")


def _create_schedule_rules(fn: Function, deployment: Deployment, events: Any) -> None:
    resolver = deployment.resolver
    arn = resolver.attribute(fn.logical_id, "Arn")
    for schedule in fn.schedules:
        name = rule_name(fn, schedule, resolver)
        events.put_rule(
            Name=name,
            ScheduleExpression=schedule.expression,
            State="ENABLED" if schedule.enabled else "DISABLED",
        )
        target: dict[str, Any] = {"Id": fn.logical_id, "Arn": arn}
        if schedule.input is not None:
            target["Input"] = str(resolver.resolve(schedule.input))
        events.put_targets(Rule=name, Targets=[target])
        deployment.rules[(fn.logical_id, schedule.event_id)] = name
