"""The API loads a route module with the first request for its paths (issue 22, cold starts).

A cold import registers no route module; a request registers those serving the first
segment of its path, and the OpenAPI document and SnapStart's snapshot all of them. The
index that maps a segment to its modules is checked here against the routes each module
declares, so a route can never be missed by the request that asks for it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.support.events import invoke, proxy_event
from tests.support.functions import cold_environment, load_function_module

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared" / "python"
API_DIR = ROOT / "functions" / "api"

SERVE = """
import importlib.util, json, sys
function_dir, layer_dir, requests = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = [function_dir, layer_dir]
spec = importlib.util.spec_from_file_location("app", function_dir + "/app.py")
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)

def route_modules():
    return sorted(name.split(".", 1)[1] for name in sys.modules if name.startswith("routes."))

class Context:
    function_name, memory_limit_in_mb = "api", 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
    aws_request_id = "cold"

seen = [{"status": None, "routes": route_modules(), "served": len(module.ROUTE_PERMISSIONS)}]
for event in requests:
    reply = module.lambda_handler(event, Context())
    served = len(module.ROUTE_PERMISSIONS)
    seen.append({"status": reply["statusCode"], "routes": route_modules(), "served": served})
print(json.dumps(seen))
"""


def serve_cold(*events: dict[str, Any]) -> list[dict[str, Any]]:
    """A fresh process imports the API as Lambda does, then handles ``events`` in turn."""
    env = cold_environment("ApiFunction") | {"POWERTOOLS_METRICS_NAMESPACE": "Gatehouse"}
    result = subprocess.run(
        [sys.executable, "-I", "-c", SERVE, str(API_DIR), str(LAYER), json.dumps(list(events))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen: list[dict[str, Any]] = json.loads(result.stdout.splitlines()[-1])
    return seen


@pytest.fixture(scope="module")
def api_module():  # type: ignore[no-untyped-def]
    module = load_function_module("ApiFunction")
    module.include_all_routes()
    return module


def test_the_index_names_every_module_serving_each_first_segment(api_module) -> None:  # type: ignore[no-untyped-def]
    serving: dict[str, set[str]] = defaultdict(set)
    for route in api_module.app._static_routes + api_module.app._dynamic_routes:
        owner = route.func.__module__
        if owner.startswith("routes."):
            serving[route.path.split("/")[1]].add(owner.removeprefix("routes."))
    assert {segment: set(names) for segment, names in api_module.ROUTES_BY_SEGMENT.items()} == dict(serving)


def test_every_route_module_is_listed_once() -> None:
    files = {path.stem for path in (API_DIR / "routes").glob("*.py")} - {"__init__", "schemas"}
    module = load_function_module("ApiFunction")
    assert sorted(module.ROUTE_MODULES) == sorted(files)
    assert len(set(module.ROUTE_MODULES)) == len(module.ROUTE_MODULES)


def test_a_cold_start_registers_no_route_and_a_request_only_those_of_its_path() -> None:
    seen = serve_cold(
        proxy_event("GET", "/health"),
        proxy_event("GET", "/campaigns"),  # no credentials: refused by the guards, after loading
        proxy_event("GET", "/no-such-resource/1"),
        proxy_event("GET", "/health"),
    )
    assert [s["status"] for s in seen] == [None, 200, 401, 404, 200]
    assert seen[0]["routes"] == []
    assert seen[0]["served"] == 2  # /docs and /openapi.json, which load the rest when asked
    assert seen[1]["routes"] == ["health", "schemas"]
    assert seen[2]["routes"] == ["access", "calls", "campaigns", "health", "schemas"]
    assert seen[3]["routes"] == seen[2]["routes"] == seen[4]["routes"]


def test_the_document_and_the_snapshot_hold_every_route(api_module) -> None:  # type: ignore[no-untyped-def]
    seen = serve_cold(proxy_event("GET", "/openapi.json"))
    assert seen[1]["status"] == 200
    assert seen[1]["served"] == len(api_module.route_permissions())
    assert len(seen[1]["routes"]) == len(api_module.ROUTE_MODULES) + 1  # with routes.schemas


def test_route_modules_load_on_request_where_the_local_runtime_keeps_them_private() -> None:
    """The local runtime loads each function's own modules privately, outside ``sys.modules``."""
    module = load_function_module("ApiFunction")
    assert "guards" not in sys.modules
    assert "routes" not in sys.modules
    replies = [invoke(module.lambda_handler, proxy_event("GET", path)) for path in ("/health", "/members")]
    assert [reply.status for reply in replies] == [200, 401]
    assert "guards" not in sys.modules
    assert "routes" not in sys.modules
    assert {"health", "members"} <= {name.removeprefix("routes.") for name in module._own}
