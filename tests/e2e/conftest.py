"""The local runtime, started once per e2e module on free loopback ports.

Module scope (with pytest-xdist's loadfile distribution) because moto's in-process
mocks used by other test modules reset every backend, the runtime's included.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.runtime import LocalRuntime


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime() as running:
        yield running
