"""Load a function's handler module in-process, exactly as the local runtime does."""

from __future__ import annotations

from types import ModuleType

from local.functions import load_module
from local.template import load_template


def load_function_module(logical_id: str) -> ModuleType:
    return load_module(load_template().function(logical_id))
