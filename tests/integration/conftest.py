"""The webhooks function as provider callbacks reach it: loaded once per module, invoked per test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.events import Reply, invoke
from tests.support.functions import load_function_module


@pytest.fixture(scope="module")
def hooks_module():  # type: ignore[no-untyped-def]
    return load_function_module("WebhooksFunction")


@pytest.fixture
def hooks(hooks_module, aws: None) -> Callable[[dict[str, Any]], Reply]:  # type: ignore[no-untyped-def]
    def call(event: dict[str, Any]) -> Reply:
        return invoke(hooks_module.lambda_handler, event)

    return call
