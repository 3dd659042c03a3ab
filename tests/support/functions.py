"""Load a function's handler module in-process, exactly as the local runtime does."""

from __future__ import annotations

import functools
import io
import json
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from local.functions import LocalFunction, load_handler, load_module, settings_declared
from local.moto_patches import install_lambda_shim, remove_lambda_shim
from tests.support import clients
from tests.support.template import template


def cold_environment(logical_id: str) -> dict[str, str]:
    """The variables a fresh ``python -I`` child needs to import the function as Lambda would.

    The function's ``GATEHOUSE_`` settings (placeholders where this process has none), test
    credentials and no instance metadata, so nothing the child does can reach a real account.
    """
    spec = template().function(logical_id)
    with settings_declared(spec):
        env = {name: value for name, value in os.environ.items() if name.startswith("GATEHOUSE_")}
    env.update(
        PATH=os.environ.get("PATH", "/usr/bin:/bin"),
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_EC2_METADATA_DISABLED="true",
        POWERTOOLS_TRACE_DISABLED="true",
    )
    return env


def load_function_module(logical_id: str) -> ModuleType:
    spec = template().function(logical_id)
    with settings_declared(spec):
        return load_module(spec)


@contextmanager
def served_in_moto(logical_id: str) -> Iterator[str]:
    """Create the template function in moto's (mocked) Lambda and serve its invocations with its real handler.

    Inside ``mock_aws(config={"lambda": {"use_docker": False}})``: a ``lambda.invoke`` of
    the returned name runs the handler in this process, as the local runtime does.
    """
    spec = template().function(logical_id)
    iam = clients.client("iam")
    role = iam.create_role(
        RoleName=f"{logical_id}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    name = f"test-{logical_id}"
    created = clients.client("lambda").create_function(
        FunctionName=name,
        Runtime=spec.runtime,
        Role=role,
        Handler=spec.handler,
        Code={"ZipFile": _empty_zip()},
    )
    function = LocalFunction(spec, name, created["FunctionArn"], _handler(logical_id))
    in_flight = _track(function)
    install_lambda_shim([function])
    try:
        yield name
    finally:
        # An asynchronous invocation still running would write into the next test's moto.
        in_flight.wait_idle(timeout=30)
        remove_lambda_shim([function])


@functools.cache
def _handler(logical_id: str) -> Any:
    """One import of each function per test process, like a warm Lambda container."""
    spec = template().function(logical_id)
    with settings_declared(spec):
        return load_handler(spec)


class _InFlight:
    """Invocations of one served function under way, including asynchronous ones not yet started."""

    def __init__(self) -> None:
        self.entry: Any = None
        self._count = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self._count += 1

    def leave(self) -> None:
        with self._lock:
            self._count -= 1

    def busy(self) -> bool:
        with self._lock:
            if self._count:
                return True
        # An Event invocation's thread exists before it runs; CPython keeps its target until then.
        return any(getattr(t, "_target", None) is self.entry for t in threading.enumerate())

    def wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.busy() and time.monotonic() < deadline:
            time.sleep(0.01)


def _track(function: LocalFunction) -> _InFlight:
    in_flight = _InFlight()
    invoke = function.invoke

    def counted_invoke(event: Any) -> Any:
        in_flight.enter()
        try:
            return invoke(event)
        finally:
            in_flight.leave()

    function.invoke = counted_invoke  # type: ignore[method-assign]
    in_flight.entry = function.invoke
    return in_flight


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("SERVED.txt", "served in-process by tests.support.functions\n")
    return buffer.getvalue()
