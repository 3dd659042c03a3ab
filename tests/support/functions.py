"""Load a function's handler module in-process, by file path, under a unique module name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_function_module(directory: str, module: str = "app") -> ModuleType:
    code_dir = ROOT / "functions" / directory
    name = f"gatehouse_fn_{directory}_{module}"
    sys.path.insert(0, str(code_dir))
    try:
        spec = importlib.util.spec_from_file_location(name, code_dir / f"{module}.py")
        assert spec
        assert spec.loader
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        spec.loader.exec_module(loaded)
        return loaded
    finally:
        sys.path.remove(str(code_dir))
