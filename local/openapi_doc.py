"""The committed OpenAPI document (openapi.json) and its drift check.

``python -m local.openapi_doc write`` regenerates it from the API code;
``check`` exits non-zero when the committed file differs, so an API change
cannot land without its document.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import sys
from pathlib import Path

from local.functions import settings_declared
from local.template import load_template

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "openapi.json"


def current_document() -> str:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    api_dir = ROOT / "functions" / "api"
    sys.path.insert(0, str(api_dir))
    try:
        spec = importlib.util.spec_from_file_location("gatehouse_openapi_app", api_dir / "app.py")
        if spec is None or spec.loader is None:
            raise RuntimeError("cannot load functions/api/app.py")
        module = importlib.util.module_from_spec(spec)
        with settings_declared(load_template().function("ApiFunction")):
            spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(api_dir))
    return json.dumps(json.loads(module.openapi_json()), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    fresh = current_document()
    if command == "write":
        DOCUMENT.write_text(fresh, encoding="utf-8")
        print(f"wrote {DOCUMENT.relative_to(ROOT)}")
        return 0
    committed = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    if committed == fresh:
        print("openapi.json matches the code")
        return 0
    diff = difflib.unified_diff(
        committed.splitlines(), fresh.splitlines(), "openapi.json", "code", lineterm=""
    )
    print("\n".join(list(diff)[:80]))
    print("openapi.json drifted from the code: run `make openapi` and commit it", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
