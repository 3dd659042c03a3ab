"""Lambda's event filter rules, as an event source mapping applies them before invoking a function.

The syntax is Lambda's "filter rule syntax"
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-syntax):
a pattern mirrors the event's structure, each leaf is a list of rules any one of which
may match, the leaves of one pattern must all match, and the filters of a mapping are
alternatives (a record passes when any filter matches it). Rules: exact values (strings,
numbers, ``null``, ``""``), ``prefix``, ``suffix``, ``equals-ignore-case``,
``anything-but`` (a value, a list, or a ``prefix``/``suffix``), ``numeric`` comparisons
and ``exists``. Only ``exists: false`` matches a missing field. Anything else (``$or``,
``wildcard``, ...) raises FilterSyntaxError: a pattern the local runtime cannot read must
not pass or drop records silently.
"""

from __future__ import annotations

import contextlib
import json
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

_COMPARE: Final[dict[str, Callable[[float, float], bool]]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class FilterSyntaxError(ValueError):
    """A pattern outside the syntax this matcher implements."""


def passes(filters: Iterable[Mapping[str, Any]], event: Mapping[str, Any]) -> bool:
    """Whether a mapping with these filters hands ``event`` to its function (no filters: every event)."""
    patterns = list(filters)
    return not patterns or any(matches(pattern, event) for pattern in patterns)


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether ``event`` matches one filter pattern."""
    for key, rule in pattern.items():
        if key.startswith("$"):
            raise FilterSyntaxError(f"{key} is not supported here")
        present = isinstance(event, Mapping) and key in event
        value = event[key] if present else None
        if isinstance(rule, Mapping):
            if not (present and isinstance(value, Mapping) and matches(rule, value)):
                return False
        elif isinstance(rule, list):
            if not _leaf(rule, present, value):
                return False
        else:
            raise FilterSyntaxError(f"the rule for {key!r} must be an object or a list")
    return True


def sqs_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """An SQS record as Lambda filters it: ``body`` read as JSON when it is JSON, as text otherwise."""
    view = dict(record)
    with contextlib.suppress(ValueError):
        view["body"] = json.loads(record.get("body") or "")
    return view


def _leaf(rules: list[Any], present: bool, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, Mapping) and "exists" in rule:
            if bool(rule["exists"]) is present:
                return True
        elif present and any(_one(rule, item) for item in values):
            return True
    return False


def _one(rule: Any, value: Any) -> bool:
    if not isinstance(rule, Mapping):
        return _same(rule, value)
    if len(rule) != 1:
        raise FilterSyntaxError("a rule object holds one operator")
    ((name, argument),) = rule.items()
    if name == "prefix":
        return isinstance(value, str) and value.startswith(_text(argument))
    if name == "suffix":
        return isinstance(value, str) and value.endswith(_text(argument))
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == _text(argument).casefold()
    if name == "anything-but":
        return _anything_but(argument, value)
    if name == "numeric":
        return _numeric(argument, value)
    raise FilterSyntaxError(f"{name!r} is not supported here")


def _anything_but(argument: Any, value: Any) -> bool:
    if isinstance(argument, Mapping):
        if set(argument) - {"prefix", "suffix", "equals-ignore-case"}:
            raise FilterSyntaxError("anything-but takes a value, a list, a prefix or a suffix")
        return isinstance(value, str) and not _one(argument, value)
    excluded = argument if isinstance(argument, list) else [argument]
    return not any(_same(item, value) for item in excluded)


def _numeric(argument: Any, value: Any) -> bool:
    if not isinstance(argument, list) or not argument or len(argument) % 2:
        raise FilterSyntaxError("numeric takes operator and number pairs")
    if not _number(value):
        return False
    for position in range(0, len(argument), 2):
        name, bound = argument[position], argument[position + 1]
        if name not in _COMPARE or not _number(bound):
            raise FilterSyntaxError(f"numeric: {name!r} {bound!r}")
        if not _COMPARE[name](value, bound):
            return False
    return True


def _same(rule: Any, value: Any) -> bool:
    # JSON equality: 1 and true differ, as do "1" and 1; 100 and 100.0 do not.
    if rule is None:
        return value is None
    if _number(rule) and _number(value):
        return bool(rule == value)
    return type(rule) is type(value) and rule == value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(argument: Any) -> str:
    if not isinstance(argument, str):
        raise FilterSyntaxError("prefix, suffix and equals-ignore-case take a string")
    return argument
