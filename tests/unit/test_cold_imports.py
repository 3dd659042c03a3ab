"""Cold start: what each Lambda handler's import leaves for the request that needs it (issue 22).

Each handler is imported in a fresh ``python -I`` process, as Lambda would, with the
variables its template gives it, and the modules it loaded are read from ``sys.modules``.
No timing here: ``bench/bench_cold_import.py`` prints the figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.support.functions import cold_environment
from tests.support.template import template

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared" / "python"
FUNCTIONS = sorted(fn.logical_id for fn in template().functions)

IMPORT_HANDLER = """
import importlib.util, json, sys, types
function_dir, layer_dir, path, attribute = sys.argv[1:]
# Lambda's SnapStart hooks, as its runtime offers them: the handler registers, the test runs them.
before_snapshot = []
runtime = types.ModuleType("snapshot_restore_py")
runtime.register_before_snapshot = before_snapshot.append
runtime.register_after_restore = lambda hook: None
sys.modules["snapshot_restore_py"] = runtime
sys.path[:0] = [function_dir, layer_dir]
spec = importlib.util.spec_from_file_location("handler_module", path)
module = importlib.util.module_from_spec(spec)
sys.modules["handler_module"] = module
spec.loader.exec_module(module)
assert callable(getattr(module, attribute))
loaders = [("gatehouse.compliance.state_rules", "rulebook"), ("gatehouse.compliance.zones", "state_zones"),
           ("gatehouse.compliance.zones", "area_codes")]
read = [f"{name}.{loader}" for name, loader in loaders
        if name in sys.modules and getattr(sys.modules[name], loader).cache_info().currsize]
modules = sorted(sys.modules)
for hook in before_snapshot:
    hook()
print(json.dumps({"modules": modules, "data_read": read, "in_snapshot": sorted(sys.modules)}))
"""

# SDKs a handler loads on the call that uses them; X-Ray's recorder only where something traces.
PROVIDER_SDKS = ("twilio", "stripe", "aws_encryption_sdk", "aws_xray_sdk.core", "holidays")
# What a handler's request loads when it first signs, verifies or exports the audit log, opens a
# cursor, or reads a phone number: checkpoint signing, verification and export, cryptography's
# bindings, libphonenumber and its metadata. Under SnapStart they load before the snapshot.
ON_FIRST_USE = (
    "gatehouse.audit.checkpoints",
    "gatehouse.audit.export",
    "gatehouse.audit.verification",
    "cryptography",
    "phonenumbers",
)
SCHEDULED_JOBS = (
    "gatehouse.jobs.heartbeat",
    "gatehouse.jobs.audit_checkpoints",
    "gatehouse.jobs.dnc_rescrub",
    "gatehouse.jobs.dnc_staleness",
    "gatehouse.jobs.retention_purge",
    "gatehouse.jobs.dispatch_deferred",
    "gatehouse.jobs.conversation_reads",
)


@cache
def after_import(logical_id: str) -> dict[str, list[str]]:
    """The modules a fresh import of the handler loaded, and which compliance data files it read."""
    spec = template().function(logical_id)
    env = cold_environment(logical_id)
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            IMPORT_HANDLER,
            str(spec.code_dir),
            str(LAYER),
            str(spec.handler_file),
            spec.handler_attribute,
        ],
        env=env,
        cwd=spec.code_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report: dict[str, list[str]] = json.loads(result.stdout.splitlines()[-1])
    return report


def modules_after_import(logical_id: str) -> frozenset[str]:
    return frozenset(after_import(logical_id)["modules"])


def modules_in_snapshot(logical_id: str) -> frozenset[str]:
    """What SnapStart's snapshot holds: the import, then what the handler loads just before it."""
    return frozenset(after_import(logical_id)["in_snapshot"])


def loaded(modules: frozenset[str], package: str) -> bool:
    return package in modules or any(name.startswith(f"{package}.") for name in modules)


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_no_handler_loads_a_provider_sdk_at_import(logical_id: str) -> None:
    modules = modules_after_import(logical_id)
    assert [sdk for sdk in PROVIDER_SDKS if loaded(modules, sdk)] == []


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_no_handler_loads_an_http_client_at_import(logical_id: str) -> None:
    """requests goes with the call that fetches a recording or asks a provider."""
    assert not loaded(modules_after_import(logical_id), "requests")


def test_the_api_holds_the_http_client_in_its_snapshot() -> None:
    assert loaded(modules_in_snapshot("ApiFunction"), "requests")


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_no_handler_loads_audit_signing_cryptography_or_phone_metadata_at_import(logical_id: str) -> None:
    modules = modules_after_import(logical_id)
    assert [name for name in ON_FIRST_USE if loaded(modules, name)] == []


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_no_handler_reads_the_compliance_data_files_at_import(logical_id: str) -> None:
    assert after_import(logical_id)["data_read"] == []


def test_the_gates_load_at_the_first_request_and_before_the_snapshot() -> None:
    deciders = {"gatehouse.dispatch.gates", "gatehouse.compliance.state_rules", "gatehouse.compliance.zones"}
    assert not deciders & modules_after_import("TenantGateFunction")
    assert after_import("TenantGateFunction")["data_read"] == []
    assert deciders <= modules_in_snapshot("TenantGateFunction")


def test_the_api_loads_powertools_openapi_models_only_for_its_docs_routes() -> None:
    modules = modules_after_import("ApiFunction")
    assert not loaded(modules, "aws_lambda_powertools.event_handler.openapi.models")
    assert not loaded(modules, "aws_lambda_powertools.event_handler.openapi.swagger_ui")
    assert "aws_lambda_powertools.event_handler.middlewares.openapi_validation" in modules  # still validates


def test_the_scheduler_loads_no_job_before_its_rule_names_one() -> None:
    modules = modules_after_import("SchedulerFunction")
    assert [job for job in SCHEDULED_JOBS if job in modules] == []
    assert "gatehouse.jobs.tenants" in modules  # the tenant walk every job shares


# What a handler's first request needs and its import leaves to that request: the domain it
# calls, and with it the data door (PynamoDB, botocore's DynamoDB client). Under SnapStart each
# is loaded just before the snapshot, so no restored environment pays for it either.
FIRST_REQUEST = {
    "TenantGateFunction": ("gatehouse.dispatch.run", "gatehouse.tenancy.scope", "pynamodb"),
    "DispatchPlanFunction": ("gatehouse.dispatch.run", "gatehouse.tenancy.scope", "pynamodb"),
    "DispatchBatchFunction": ("gatehouse.dispatch.batch", "gatehouse.contacts.checks", "pynamodb"),
    "DispatchSettleFunction": ("gatehouse.dispatch.settle", "gatehouse.tenancy.scope", "pynamodb"),
    "ContactIntakeFunction": ("gatehouse.contacts.imports", "gatehouse.contacts.checks", "pynamodb"),
    "EventsFunction": (
        "gatehouse.events.stream",
        "gatehouse.notifications",
        "gatehouse.endpoints",
        "pynamodb",
    ),
    "EventDeliveriesFunction": ("gatehouse.endpoints.delivery", "gatehouse.endpoints.queue", "pynamodb"),
    "SchedulerFunction": ("gatehouse.tenancy.scope", "gatehouse.tenancy.directory", "pynamodb"),
    # Each route's records and the tenant's secrets, once its signature is to be checked.
    "WebhooksFunction": ("gatehouse.webhooks.refs", "gatehouse.vault", "gatehouse.billing", "pynamodb"),
}


@pytest.mark.parametrize("logical_id", sorted(FIRST_REQUEST))
def test_the_first_requests_domain_loads_after_the_import_and_before_the_snapshot(logical_id: str) -> None:
    expected = FIRST_REQUEST[logical_id]
    assert [name for name in expected if loaded(modules_after_import(logical_id), name)] == []
    assert [name for name in expected if not loaded(modules_in_snapshot(logical_id), name)] == []


def test_declaring_records_does_not_open_the_data_door() -> None:
    """``TenantRecord`` is light; ``TenantScope`` and the store load when first named."""
    code = (
        "import sys; from gatehouse.tenancy import TenantRecord; "
        "light = 'pynamodb' not in sys.modules and 'gatehouse.tenancy.scope' not in sys.modules; "
        "from gatehouse.tenancy import TenantScope; "
        "print(light, TenantScope.__module__, 'pynamodb' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(LAYER), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == ["True", "gatehouse.tenancy.scope", "True"], result.stderr[-2000:]


def test_the_api_loads_its_route_modules_per_request_and_all_of_them_before_the_snapshot() -> None:
    route_files = {f"routes.{p.stem}" for p in (ROOT / "functions" / "api" / "routes").glob("*.py")} - {
        "routes.__init__"
    }
    assert not route_files & modules_after_import("ApiFunction")
    assert route_files <= modules_in_snapshot("ApiFunction")
