"""CloudFormation intrinsic functions, evaluated against the resources the local runtime created.

Owns: Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If and the
condition functions, pseudo parameters and template parameters (defaults plus
overrides). Resources are known only through the attributes the runtime
``provide``s after creating them, so a value that points at something the local
runtime does not create fails loudly instead of becoming a made-up string.
Never talks to AWS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class NoValue:
    """AWS::NoValue: the property it stands for is removed."""


NO_VALUE = NoValue()


class UnresolvableError(ValueError):
    """A template value names something the local runtime does not provide."""


class Resolver:
    def __init__(
        self,
        stack_name: str,
        parameters: Mapping[str, Any],
        conditions: Mapping[str, Any] | None = None,
    ) -> None:
        self.pseudo: dict[str, Any] = {
            "AWS::StackName": stack_name,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/local",
            "AWS::NoValue": NO_VALUE,
        }
        self.parameters = dict(parameters)
        self.conditions = dict(conditions or {})
        self._attributes: dict[str, dict[str, Any]] = {}

    def provide(self, logical_id: str, ref: Any, **attributes: Any) -> None:
        """Record what a created resource answers to ``Ref`` and ``Fn::GetAtt``."""
        self._attributes[logical_id] = {"Ref": ref, **attributes}

    def attribute(self, logical_id: str, name: str = "Ref") -> Any:
        try:
            return self._attributes[logical_id][name]
        except KeyError:
            raise UnresolvableError(f"{logical_id}.{name} is not provided by the local runtime") from None

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise UnresolvableError(f"unknown condition {name!r}")
        return bool(self._condition_value(self.conditions[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref" or key.startswith("Fn::"):
                    return self._function(key, argument)
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not NO_VALUE]
        return value

    def _function(self, key: str, argument: Any) -> Any:
        handlers: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": lambda a: self._condition_value(a[0]) == self._condition_value(a[1]),
            "Fn::Not": lambda a: not self._condition_value(a[0]),
            "Fn::And": lambda a: all(self._condition_value(v) for v in a),
            "Fn::Or": lambda a: any(self._condition_value(v) for v in a),
        }
        if key not in handlers:
            raise UnresolvableError(f"intrinsic function {key} is not supported by the local runtime")
        return handlers[key](argument)

    def _ref(self, name: Any) -> Any:
        name = str(name)
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if "." in name:  # SAM's `!Ref Function.Alias`: the alias AutoPublishAlias creates
            logical_id, _, attribute = name.partition(".")
            return self.attribute(logical_id, attribute)
        return self.attribute(name)

    def _get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            logical_id, _, name = argument.partition(".")
        else:
            logical_id, name = str(argument[0]), str(self.resolve(argument[1]))
        return self.attribute(logical_id, name)

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = str(argument[0]), self.resolve(argument[1])
        else:
            text, variables = str(argument), {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return str(self._get_att(name))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def _join(self, argument: Any) -> str:
        delimiter, items = argument
        return str(delimiter).join(str(v) for v in self.resolve(items))

    def _select(self, argument: Any) -> Any:
        index, items = argument
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, argument: Any) -> list[str]:
        delimiter, text = argument
        return str(self.resolve(text)).split(str(delimiter))

    def _if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(str(name)) else when_false)

    def _condition_value(self, value: Any) -> Any:
        """A condition operand: a condition reference, or any value intrinsics can resolve."""
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.condition(str(value["Condition"]))
        return self.resolve(value)
