"""The local runtime, started once per e2e module on free loopback ports, with its own DynamoDB Local.

Module scope (with pytest-xdist's loadfile distribution) because moto's in-process
mocks used by other test modules reset every backend, the runtime's included. Its own
DynamoDB Local rather than the worker's: DynamoDB Local keeps every stream record it was
written (deleted tables' too) and each write slows with their number, so a worker's one
shared by every runtime module got several times slower through the session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.runtime import LocalRuntime


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime() as running:
        yield running
