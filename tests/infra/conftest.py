"""template.yaml and the dispatch ASL parsed once, with a flat view of every IAM statement.

The view reads policies where the template declares them (role policies and trust
policies, KMS key policies, queue and topic policies, inline SAM ``Policies``) so a
test can ask "who may do X on Y" without knowing which resource carries the answer.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.cfn_yaml import load

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")
RESOURCE_POLICIES = {"AWS::SQS::QueuePolicy": "PolicyDocument", "AWS::SNS::TopicPolicy": "PolicyDocument"}


def references(value: Any) -> set[str]:
    """Logical ids a value points at through Ref, GetAtt or Sub (pseudo parameters excluded)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found.update(SUB_NAME.findall(text))
                if isinstance(inner, list):
                    found.update(references(inner[1]))
            else:
                found.update(references(inner))
    elif isinstance(value, list):
        for inner in value:
            found.update(references(inner))
    return {name for name in found if not name.startswith("AWS")}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    owner: str
    kind: str  # identity | trust | key | resource
    effect: str
    actions: tuple[str, ...]
    uses_not_action: bool
    resource: Any
    principal: Any
    condition: Mapping[str, Any]

    @classmethod
    def parse(cls, owner: str, kind: str, raw: Mapping[str, Any]) -> Statement:
        actions = raw.get("Action", raw.get("NotAction", []))
        return cls(
            owner=owner,
            kind=kind,
            effect=raw["Effect"],
            actions=tuple(str(a).lower() for a in as_list(actions)),
            uses_not_action="NotAction" in raw,
            resource=raw.get("Resource"),
            principal=raw.get("Principal"),
            condition=raw.get("Condition", {}),
        )

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def covers(self, action: str) -> bool:
        """True when one of the statement's action patterns matches the action (wildcards included)."""
        return any(fnmatch.fnmatchcase(action.lower(), pattern) for pattern in self.actions)

    def on(self, logical_id: str) -> bool:
        return logical_id in references(self.resource)

    def on_everything(self) -> bool:
        return "*" in as_list(self.resource)

    def principals(self) -> set[str]:
        return references(self.principal)


def allowed(statements: list[Statement], action: str, on: str) -> list[Statement]:
    """Allow statements that grant the action on the resource (or on every resource)."""
    return [s for s in statements if s.allows and s.covers(action) and (s.on(on) or s.on_everything())]


def identity_of(statements: list[Statement], role: str) -> list[Statement]:
    return [s for s in statements if s.kind == "identity" and s.owner == role]


def key_policy(statements: list[Statement], key: str) -> list[Statement]:
    return [s for s in statements if s.kind == "key" and s.owner == key]


def _role_documents(props: Mapping[str, Any], resources: Mapping[str, Any]) -> Iterator[Any]:
    """A role's inline policies, and the template's managed policies it attaches (they speak for it too)."""
    for policy in props.get("Policies", []):
        yield policy["PolicyDocument"]
    for attached in props.get("ManagedPolicyArns", []):
        for name in references(attached):
            if resources.get(name, {}).get("Type") == "AWS::IAM::ManagedPolicy":
                yield resources[name]["Properties"]["PolicyDocument"]


def _documents(
    logical_id: str, resource: Mapping[str, Any], resources: Mapping[str, Any]
) -> Iterator[tuple[str, str, Any]]:
    kind = resource["Type"]
    props = resource.get("Properties", {})
    if kind == "AWS::IAM::Role":
        yield logical_id, "trust", props["AssumeRolePolicyDocument"]
        for document in _role_documents(props, resources):
            yield logical_id, "identity", document
    elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for role in props.get("Roles", []):
            yield next(iter(references(role)), logical_id), "identity", props["PolicyDocument"]
    elif kind == "AWS::KMS::Key":
        yield logical_id, "key", props["KeyPolicy"]
    elif kind in RESOURCE_POLICIES:
        yield logical_id, "resource", props[RESOURCE_POLICIES[kind]]
    elif kind.startswith("AWS::Serverless::"):
        for policy in as_list(props.get("Policies", [])):
            if isinstance(policy, Mapping) and "Statement" in policy:
                yield logical_id, "identity", policy


def policy_statements(resources: Mapping[str, Any]) -> list[Statement]:
    return [
        Statement.parse(owner, kind, raw)
        for logical_id, resource in resources.items()
        for owner, kind, document in _documents(logical_id, resource, resources)
        for raw in as_list(document["Statement"])
    ]


def sam_policy_templates(resources: Mapping[str, Any]) -> dict[str, list[str]]:
    """SAM policy templates and managed policy names per resource (everything that is not a document)."""
    found: dict[str, list[str]] = {}
    for logical_id, resource in resources.items():
        for policy in as_list(resource.get("Properties", {}).get("Policies", [])):
            if isinstance(policy, str):
                found.setdefault(logical_id, []).append(policy)
            elif isinstance(policy, Mapping) and "Statement" not in policy and "PolicyDocument" not in policy:
                found.setdefault(logical_id, []).extend(policy.keys())
    return found


def successors(state: Mapping[str, Any]) -> list[str]:
    """The states an ASL state can hand over to: Next, Catch targets, Choice branches, Default."""
    targets = [state["Next"]] if "Next" in state else []
    targets += [c["Next"] for c in [*state.get("Catch", []), *state.get("Choices", [])]]
    return targets + ([state["Default"]] if "Default" in state else [])


def reachable(states: Mapping[str, Any], start: str) -> set[str]:
    seen: set[str] = set()
    pending = [start]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(successors(states[name]))
    return seen


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    parsed: dict[str, Any] = load(str(TEMPLATE_PATH))
    return parsed


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"])


@pytest.fixture(scope="session")
def statements(resources: dict[str, Any]) -> list[Statement]:
    return policy_statements(resources)


@pytest.fixture(scope="session")
def policy_templates(resources: dict[str, Any]) -> dict[str, list[str]]:
    return sam_policy_templates(resources)


@pytest.fixture(scope="session")
def functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Lambda function's properties, by logical id."""
    return {
        name: res["Properties"]
        for name, res in resources.items()
        if res["Type"] == "AWS::Serverless::Function"
    }


@pytest.fixture(scope="session")
def function_roles(functions: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Function logical id -> the logical id of the role it runs as."""
    return {name: next(iter(references(props["Role"]))) for name, props in functions.items()}


@pytest.fixture(scope="session")
def dispatch_machine(resources: dict[str, Any]) -> dict[str, Any]:
    return dict(resources["DispatchStateMachine"]["Properties"])


@pytest.fixture(scope="session")
def asl_text(dispatch_machine: dict[str, Any]) -> str:
    return (ROOT / str(dispatch_machine["DefinitionUri"])).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def asl(asl_text: str) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(asl_text)
    return definition
