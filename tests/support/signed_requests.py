"""Who signed each DynamoDB request, which keys it named and which items came back; what IAM would say.

Neither moto nor DynamoDB Local enforces IAM, so the tenant wall is checked here instead:
while a ``SignedRequests`` block runs, botocore event hooks on every client created in it
(``BUILTIN_HANDLERS``, as ``gatehouse.aws_calls`` does) note each AssumeRole's session
tags and the access key it issued, and each DynamoDB request's signing access key (from
its Authorization header), operation, tables, index, partition keys and projected
attributes, with the keys of the items its answer carried. The hooks only read: they
change no request, response or retry.

``Policies`` reads template.yaml's statements and answers, like IAM's evaluation of
``dynamodb:LeadingKeys`` and ``dynamodb:Attributes``, whether a request was allowed to
the role that signed it: a tenant session (TenantAccessRole with its tag substituted) or
the function's own credentials (any function role).
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs

import botocore.handlers

from tests.infra.conftest import Statement, as_list, policy_statements, references

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_EQUALS = re.compile(r"(#?\w+)\s*=\s*(:\w+)")
_HASH_KEYS = {None: "pk", "gsi1": "gsi1pk", "gsi2": "gsi2pk"}
# What the runtime itself does to the emulated account when it starts (not a function's request).
PROVISIONING = frozenset({"CreateTable", "UpdateTimeToLive", "DescribeTable", "DescribeTimeToLive"})
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@dataclass(frozen=True)
class Access:
    """One authorization IAM makes for a request (a transaction makes one per item)."""

    action: str  # e.g. "dynamodb:PutItem"
    table: str  # the physical table name
    index: str | None
    leading_keys: tuple[str, ...]
    attributes: tuple[str, ...] | None  # projected attribute names, when the request names them


@dataclass
class DynamoRequest:
    operation: str
    access_key: str
    accesses: list[Access]
    returned: list[dict[str, Any]] = field(default_factory=list)  # items of the answer, as sent

    def items_named(self) -> Iterator[str]:
        """Every partition key the request wrote or read, and every item key it got back."""
        for access in self.accesses:
            yield from access.leading_keys
        for item in self.returned:
            pk = item.get("pk", {}).get("S")
            if isinstance(pk, str):
                yield pk


class SignedRequests:
    """Records AssumeRole answers and DynamoDB requests made by clients created in the block."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, str]] = {}  # access key id -> session tags
        self.assume_calls: list[dict[str, str]] = []
        self.requests: list[DynamoRequest] = []
        self.unreadable: list[str] = []
        self._lock = threading.Lock()
        self._local = threading.local()
        self._handlers = [
            ("before-call.sts.AssumeRole", self._before_assume),
            ("after-call.sts.AssumeRole", self._after_assume),
            ("before-send.dynamodb", self._before_send),
            ("after-call.dynamodb", self._after_call),
        ]

    def __enter__(self) -> Self:
        botocore.handlers.BUILTIN_HANDLERS.extend(self._handlers)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for handler in self._handlers:
            botocore.handlers.BUILTIN_HANDLERS.remove(handler)

    def tenant_of(self, access_key: str) -> str | None:
        return self.sessions.get(access_key, {}).get("tenant")

    # ------------------------------------------------------------------ hooks (read only)
    def _before_assume(self, params: dict[str, Any], **_: Any) -> None:
        body = params.get("body")
        if isinstance(body, dict):
            tags = {k: v for k, v in body.items() if k.startswith("Tags.member.")}
        else:
            form = parse_qs(body.decode() if isinstance(body, bytes) else str(body or ""))
            tags = {k: v[0] for k, v in form.items() if k.startswith("Tags.member.")}
        keys = {k.rsplit(".", 1)[0]: v for k, v in tags.items() if k.endswith(".Key")}
        values = {k.rsplit(".", 1)[0]: v for k, v in tags.items() if k.endswith(".Value")}
        self._local.tags = {str(keys[n]): str(values.get(n, "")) for n in keys}

    def _after_assume(self, parsed: dict[str, Any], **_: Any) -> None:
        key = parsed.get("Credentials", {}).get("AccessKeyId")
        tags = getattr(self._local, "tags", {})
        if key:
            with self._lock:
                self.sessions[key] = tags
                self.assume_calls.append(tags)

    def _before_send(self, request: Any, event_name: str = "", **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        authorization = request.headers.get("Authorization", "")
        if isinstance(authorization, bytes):
            authorization = authorization.decode()
        found = _CREDENTIAL.search(str(authorization))
        try:
            parsed = list(accesses(operation, json.loads(request.body or b"{}")))
        except (KeyError, ValueError, AssertionError) as error:
            # Never break the request being recorded; the test reads ``unreadable`` instead.
            with self._lock:
                self.unreadable.append(f"{operation}: {error!r}")
            parsed = []
        recorded = DynamoRequest(operation, found.group(1) if found else "", parsed)
        self._local.last = recorded
        with self._lock:
            self.requests.append(recorded)

    def _after_call(self, parsed: dict[str, Any], **_: Any) -> None:
        recorded: DynamoRequest | None = getattr(self._local, "last", None)
        if recorded is None or not isinstance(parsed, dict):
            return
        items: list[dict[str, Any]] = []
        items += [parsed["Item"]] if isinstance(parsed.get("Item"), dict) else []
        items += list(parsed.get("Items", []))
        for table_items in parsed.get("Responses", {}).values():
            items += list(table_items)
        recorded.returned = items
        self._local.last = None


def accesses(operation: str, body: Mapping[str, Any]) -> Iterator[Access]:  # noqa: C901 - one branch per operation
    """The authorizations IAM makes for one DynamoDB request, with the partition keys each names."""
    action = f"dynamodb:{operation}"
    if operation in {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}:
        key = body.get("Key") or body.get("Item") or {}
        yield Access(action, body["TableName"], None, (_pk(key),), _projection(body))
    elif operation == "BatchGetItem":
        for table, wanted in body["RequestItems"].items():
            keys = tuple(_pk(k) for k in wanted["Keys"])
            yield Access(action, table, None, keys, _projection(wanted))
    elif operation == "BatchWriteItem":
        for table, writes in body["RequestItems"].items():
            keys = tuple(
                _pk(w["PutRequest"]["Item"] if "PutRequest" in w else w["DeleteRequest"]["Key"])
                for w in writes
            )
            yield Access(action, table, None, keys, None)
    elif operation == "TransactWriteItems":
        for entry in body["TransactItems"]:
            ((kind, item),) = entry.items()
            key = item.get("Key") or item.get("Item") or {}
            yield Access(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", item["TableName"], None, (_pk(key),), None)
    elif operation == "Query":
        index = body.get("IndexName")
        yield Access(action, body["TableName"], index, (_query_hash_key(body, index),), _projection(body))
    elif operation == "BatchExecuteStatement":
        for statement in body["Statements"]:
            yield _statement_access(statement)
    elif operation not in PROVISIONING:
        # Anything else (Scan, a lone ExecuteStatement) names no partition: no policy here allows it.
        yield Access(action, str(body.get("TableName", "")), None, (), None)


_STATEMENT = re.compile(
    r"""^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|SELECT\b.*?\bFROM)\s+"([^"]+)"\s""", re.I | re.S
)
_PARTIQL_ACTIONS = {"INSERT": "PartiQLInsert", "UPDATE": "PartiQLUpdate", "DELETE": "PartiQLDelete"}


def _statement_access(statement: Mapping[str, Any]) -> Access:
    """A PartiQL statement of a batch: its own action, and the partition key its ``pk`` parameter gives."""
    text = str(statement["Statement"])
    found = _STATEMENT.match(text)
    if found is None:
        raise AssertionError(f"a statement IAM could not place: {text[:40]!r}")
    verb = found.group(1).split()[0].upper()
    action = f"dynamodb:{_PARTIQL_ACTIONS.get(verb, 'PartiQLSelect')}"
    key = re.search(r"""['"]pk['"]\s*[:=]\s*\?""", text)
    if key is None:
        return Access(action, found.group(2), None, (), None)
    position = text[: key.end()].count("?") - 1
    value = statement.get("Parameters", [])[position]
    return Access(action, found.group(2), None, (str(value.get("S", "")),), None)


def _pk(key: Mapping[str, Any]) -> str:
    # The idempotency table's key is "id"; every other table's partition key is "pk".
    part = key.get("pk") or key.get("id") or {}
    return str(part.get("S", ""))


def _projection(body: Mapping[str, Any]) -> tuple[str, ...] | None:
    expression = body.get("ProjectionExpression")
    if not expression:
        return None
    names = body.get("ExpressionAttributeNames", {})
    return tuple(names.get(part.strip(), part.strip()) for part in str(expression).split(","))


def _query_hash_key(body: Mapping[str, Any], index: str | None) -> str:
    names = body.get("ExpressionAttributeNames", {})
    values = body.get("ExpressionAttributeValues", {})
    wanted = _HASH_KEYS.get(index)
    for name, value in _EQUALS.findall(str(body.get("KeyConditionExpression", ""))):
        if names.get(name, name) == wanted:
            return str(values[value]["S"])
    raise AssertionError(f"no hash key condition in {body.get('KeyConditionExpression')!r}")


# ---------------------------------------------------------------- the template's answer
class Policies:
    """The template's identity statements, asked as IAM would ask them for one DynamoDB access."""

    def __init__(
        self, resources: Mapping[str, Any], function_roles: set[str], tables: Mapping[str, str]
    ) -> None:
        statements = [s for s in policy_statements(resources) if s.kind == "identity"]
        self._tenant = [s for s in statements if s.owner == "TenantAccessRole"]
        self._functions = {role: [s for s in statements if s.owner == role] for role in function_roles}
        self._logical = {name: logical for logical, name in tables.items()}

    def tenant_allows(self, tenant_id: str, access: Access) -> bool:
        return _decide(self._tenant, access, self._logical, {"aws:PrincipalTag/tenant": tenant_id})

    def some_function_allows(self, access: Access) -> bool:
        return any(_decide(own, access, self._logical, {}) for own in self._functions.values())


def _decide(
    statements: list[Statement], access: Access, logical: Mapping[str, str], tags: Mapping[str, str]
) -> bool:
    table = logical.get(access.table)
    if table is None:
        return False
    relevant = [s for s in statements if s.covers(access.action) and _on(s, table, access.index)]
    if any(not s.allows for s in relevant):
        return False
    return any(s.allows and _conditions_hold(s.condition, access, tags) for s in relevant)


def _on(statement: Statement, table: str, index: str | None) -> bool:
    """Whether a statement's Resource names the table (index None) or the index of the access."""
    for resource in as_list(statement.resource):
        if table not in references(resource):
            continue
        sub = resource.get("Fn::Sub") if isinstance(resource, Mapping) else None
        suffix = str(sub).split(".Arn}", 1)[1] if sub else ""
        if index is None and suffix == "":
            return True
        if index is not None and suffix in ("/*", "/index/*", f"/index/{index}"):
            return True
    return False


def _substitute(pattern: str, tags: Mapping[str, str]) -> str | None:
    for name, value in tags.items():
        pattern = pattern.replace("${" + name + "}", value)
    return None if "${" in pattern else pattern


def _conditions_hold(condition: Mapping[str, Any], access: Access, tags: Mapping[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            if not _holds(operator, key, as_list(expected), access, tags):
                return False
    return True


def _holds(operator: str, key: str, expected: list[Any], access: Access, tags: Mapping[str, str]) -> bool:
    if key == "dynamodb:LeadingKeys" and operator == "ForAllValues:StringLike":
        patterns = [p for p in (_substitute(str(e), tags) for e in expected) if p is not None]
        return all(any(fnmatch.fnmatchcase(k, p) for p in patterns) for k in access.leading_keys)
    if key == "dynamodb:Attributes" and operator == "ForAllValues:StringEquals":
        return all(a in expected for a in access.attributes or ())
    if key == "dynamodb:Attributes" and operator == "Null":
        return (access.attributes is None) == (str(expected[0]).lower() == "true")
    if key == "dynamodb:Select" and operator == "StringEqualsIfExists":
        return True  # PynamoDB sends no Select: the condition holds when the key is absent
    raise AssertionError(f"the evaluator does not know {operator} {key}: teach it before relying on it")
