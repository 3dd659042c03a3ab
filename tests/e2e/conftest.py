"""The local runtime, started once per e2e module on free loopback ports, on this worker's DynamoDB Local.

Module scope (with pytest-xdist's loadfile distribution) because moto's in-process
mocks used by other test modules reset every backend, the runtime's included. Its
tables carry its own stack name, so they never meet another module's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.runtime import LocalRuntime


@pytest.fixture(scope="module")
def runtime(dynamodb_local: str) -> Iterator[LocalRuntime]:
    with LocalRuntime(dynamodb_url=dynamodb_local) as running:
        yield running
