"""Faults on the wire: an AWS service answering chosen requests with its error, for tests.

A ``before-send`` handler (botocore's hook for answering a request instead of sending
it, the one moto's mock uses) answers each request a fault matches with the error
document the service would send, so botocore parses and retries it as it would the
service's own: DynamoDB Local and moto stay unpatched. ``install`` runs once per test
process, before any client is built (tests/conftest.py); a fault acts only inside its
``with`` block, on requests from every thread.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

# The request's operation and its JSON body (DynamoDB, KMS: JSON protocols).
Matcher = Callable[[str, dict[str, Any]], bool]
_HANDLER_ID = "tests.aws_faults"


@dataclass
class Fault:
    service: str  # botocore's service id in event names: "dynamodb", "kms"
    code: str
    message: str
    status: int
    matches: Matcher
    answered: list[str] = field(default_factory=list)  # the operations refused, in order


_lock = threading.Lock()
_active: tuple[Fault, ...] = ()
_installed = False


class _Body(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def install() -> None:
    """First among botocore's built-in ``before-send`` handlers, so it answers before moto's mock."""
    global _installed  # noqa: PLW0603 - botocore's handler list is process-wide, and so is this flag
    with _lock:
        if not _installed:
            botocore.handlers.BUILTIN_HANDLERS.insert(0, ("before-send", _answer))
            _installed = True


@contextmanager
def failing(
    service: str, code: str, message: str, *, status: int = 400, when: Matcher = lambda op, body: True
) -> Iterator[Fault]:
    """``service`` answers the requests ``when`` matches with error ``code`` while the block runs."""
    global _active  # noqa: PLW0603 - read without the lock by the handler: replaced, never mutated
    if not _installed:
        raise RuntimeError("tests.support.aws_faults.install() must run before clients are built")
    fault = Fault(service, code, message, status, when)
    with _lock:
        _active = (*_active, fault)
    try:
        yield fault
    finally:
        with _lock:
            _active = tuple(f for f in _active if f is not fault)


def _answer(request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
    faults = _active
    if not faults:
        return None
    _event, service, operation = event_name.split(".", 2)
    for fault in faults:
        if fault.service != service:
            continue
        body = json.loads(request.body or b"{}")
        if fault.matches(operation, body):
            with _lock:
                fault.answered.append(operation)
            return _error(request.url, fault)
    return None


def _error(url: str, fault: Fault) -> AWSResponse:
    headers = HTTPHeaders()
    headers["Content-Type"] = "application/x-amz-json-1.0"
    headers["x-amzn-RequestId"] = "tests-aws-faults"
    document = {"__type": f"com.amazonaws.{fault.service}#{fault.code}", "message": fault.message}
    return AWSResponse(url, fault.status, headers, _Body(json.dumps(document).encode()))  # type: ignore[arg-type]


def tables_written(operation: str, body: dict[str, Any]) -> set[str]:
    """The tables a DynamoDB write request names (for matchers)."""
    if operation == "TransactWriteItems":
        return {next(iter(item.values()))["TableName"] for item in body.get("TransactItems", [])}
    if operation == "BatchWriteItem":
        return set(body.get("RequestItems", {}))
    if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
        return {body["TableName"]}
    return set()
