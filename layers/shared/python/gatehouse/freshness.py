"""What a restored Lambda SnapStart environment must not share with the snapshot it came from.

SnapStart runs a function's init once, snapshots its memory, and starts every later
environment from that copy: a random state, a data key, a derived HMAC key, a credential
or an open connection made before the snapshot would be the same in each of them. Every
module that caches such a thing registers a function here that forgets it
(``@forgotten_on_restore``); ``restore`` reseeds ``random`` and runs them all, and the
Lambda runtime calls it after each restore (``register_with_runtime``, at init).
The other way round, ``load_before_snapshot`` names modules (and loaders of data) a handler
leaves to the request that uses them, so that under SnapStart they are in the snapshot all the same.
This module imports nothing of Gatehouse, so any module, the data door included, may use it.
"""

from __future__ import annotations

import importlib
import random
import threading
from collections.abc import Callable
from typing import TypeVar

Forget = TypeVar("Forget", bound=Callable[[], object])

_lock = threading.Lock()
_forgetters: list[Callable[[], object]] = []
_registered = False


def forgotten_on_restore(forget: Forget) -> Forget:
    """Run ``forget`` after every restore; returns it, so it serves as a decorator."""
    with _lock:
        if forget not in _forgetters:
            _forgetters.append(forget)
    return forget


def restore() -> None:
    """Make this environment its own: a fresh random state, and nothing cached before the snapshot."""
    random.seed()  # from os.urandom, which the kernel keeps unique per restored microVM
    with _lock:
        forgetters = list(_forgetters)
    for forget in forgetters:
        forget()


def register_with_runtime() -> bool:
    """Have the Lambda runtime call ``restore`` after each SnapStart restore; False off Lambda.

    ``snapshot_restore_py`` ships with Lambda's Python runtime only, so elsewhere (tests, the
    local runtime) there is nothing to register with; tests call ``restore`` themselves.
    """
    global _registered  # noqa: PLW0603 - one registration per process, like the runtime's hook list
    try:
        from snapshot_restore_py import register_after_restore  # noqa: PLC0415 - present on Lambda only
    except ImportError:
        return False
    with _lock:
        if not _registered:
            register_after_restore(restore)
            _registered = True
    return True


def load_before_snapshot(*modules: str | Callable[[], object]) -> bool:
    """Have the Lambda runtime import ``modules`` just before it takes the snapshot; False off Lambda.

    A handler imports at init what every first request needs and leaves the rest to the request
    that uses it, which keeps a cold start without SnapStart short. With SnapStart, init runs once
    per version: loading the rest then puts it in the snapshot, so no restored environment pays.
    Each item is a module's name, or a function that loads something on first use (a data file).
    """
    try:
        from snapshot_restore_py import register_before_snapshot  # noqa: PLC0415 - present on Lambda only
    except ImportError:
        return False

    def load() -> None:
        for module in modules:
            if callable(module):
                module()
            else:
                importlib.import_module(module)

    register_before_snapshot(load)
    return True
