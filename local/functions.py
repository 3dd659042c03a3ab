"""The template's Lambda functions, served in this process by their real handlers.

Owns importing each handler by file path (unique module name, the function's
code directory first on ``sys.path`` while importing, because every function
directory has its own ``app.py``), invoking it the way the Lambda runtime does
(one invocation at a time per function, a context object, JSON results, an
``Unhandled`` function error with ``errorType``/``errorMessage`` when it raises),
and the error documents that ``local.moto_patches``' Lambda shim hands back when
moto's Lambda invokes them. Never decides anything about the functions' business.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from local.template import Function

log = logging.getLogger("local.functions")
Handler = Callable[[Any, Any], Any]


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as ``context``: the attributes handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@dataclass(frozen=True)
class Invocation:
    """One invocation's outcome: the JSON result, or Lambda's error document."""

    payload: Any
    function_error: str | None = None

    @property
    def failed(self) -> bool:
        return self.function_error is not None


def error_document(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


_HTTP_LOCK = threading.Lock()


class LocalFunction:
    """One template function: its handler and what Lambda knows it by."""

    def __init__(self, spec: Function, name: str, arn: str, handler: Handler) -> None:
        self.spec = spec
        self.name = name
        self.arn = arn
        self.handler = handler
        # One instance per function, like a single warm Lambda container: resolvers keep
        # the current event on shared state, so two requests must not interleave. That state
        # is Powertools' class attribute (BaseRouter.current_event), shared by every resolver
        # in the process: the functions behind the API (API and webhooks) share one lock.
        self._lock = _HTTP_LOCK if spec.routes else threading.Lock()

    def invoke(self, event: Any) -> Invocation:
        context = LambdaContext(self.name, self.arn, self.spec.memory_size, self.spec.timeout)
        with self._lock:
            try:
                result = self.handler(event, context)
            except Exception as error:  # noqa: BLE001 - reported as Lambda reports an unhandled error
                log.warning("%s raised %s: %s", self.spec.logical_id, type(error).__name__, error)
                return Invocation(error_document(error), "Unhandled")
        try:
            json.dumps(result)
        except (TypeError, ValueError) as error:
            return Invocation(error_document(error, "Runtime.MarshalError"), "Unhandled")
        return Invocation(result)


def load_module(spec: Function) -> ModuleType:
    """Import the handler's module from its file under a name unique to the function."""
    with _private_imports(spec.code_dir):
        return _import_file(f"gatehouse_fn_{spec.logical_id}", spec.handler_file)


def load_handler(spec: Function) -> Handler:
    module = load_module(spec)
    handler = getattr(module, spec.handler_attribute, None)
    if not callable(handler):
        raise AttributeError(f"{spec.logical_id}: {spec.handler} is not a callable in {spec.handler_file}")
    return handler  # type: ignore[no-any-return]


@contextmanager
def settings_declared(spec: Function) -> Iterator[None]:
    """The function's ``GATEHOUSE_`` variables present, as placeholders where this process has none.

    For importing a function outside a deployment of the template (tests, the OpenAPI
    document): a function checks at import that it was given every setting the template
    gives it, and only their presence matters there. The placeholders go when the block ends.
    """
    added = [name for name in spec.environment if name.startswith("GATEHOUSE_") and name not in os.environ]
    os.environ.update({name: f"unset-{name.lower().replace('_', '-')}" for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


@contextmanager
def _private_imports(code_dir: Path) -> Iterator[None]:
    """Import with ``code_dir`` first on the path, giving the function its own copies of its modules.

    On Lambda every function has its own process. Here, modules of the function's
    directory (``routes``, ``guards``, ...) must not be shared with another loader
    of the same directory: Powertools binds a Router to the last resolver that
    includes it, so a shared ``routes`` package would answer with another app's
    request context. The modules imported from ``code_dir`` stay referenced by the
    handler's module; ``sys.modules`` is put back as it was.
    """
    names = {p.stem for p in code_dir.glob("*.py")} | {p.parent.name for p in code_dir.glob("*/__init__.py")}

    def owned() -> dict[str, ModuleType]:
        return {n: m for n, m in sys.modules.items() if n.partition(".")[0] in names}

    saved = owned()
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(code_dir))
    try:
        yield
    finally:
        sys.path.remove(str(code_dir))
        for name in owned():
            del sys.modules[name]
        sys.modules.update(saved)


def _import_file(module_name: str, path: Path) -> ModuleType:
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    try:
        loader_spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module
