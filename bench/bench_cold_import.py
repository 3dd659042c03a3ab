"""Cold-import time of every Lambda handler declared in template.yaml, next to ``import boto3``.

Each figure comes from a fresh interpreter, as on a Lambda cold start: ``python -I`` with
only the function's directory and the layer's ``python/`` directory put on ``sys.path``
(in Lambda's order), the environment the template gives the function (parameter
defaults where the template refers to one, placeholders for values known only once
deployed) and no way to reach the network (the child's sockets refuse to resolve or
connect, so an import that calls AWS fails). The child times the import alone with
``time.perf_counter``; each measurement runs once to warm the bytecode cache, then
``--runs`` times, and the median is printed. X-Ray tracing is off, as under ``sam local``.

Wall clock moves with the machine's load. ``--instructions`` counts CPU instructions instead
(valgrind's cachegrind, one run each, which load does not change): each child's count less
that of a child that imports nothing, printed as ``cold_import_instructions_<name>`` and
``cold_import_instruction_ratio_<name>`` (over the same for ``import boto3``).

Prints ``name: value`` lines only, and never judges a time: it exits non-zero only when
a handler module fails to import or lacks its handler function.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfnlint.decode.cfn_yaml import load

ROOT = Path(__file__).resolve().parents[1]
LAYER_PYTHON = ROOT / "layers" / "shared" / "python"
REGION = "us-east-1"

CHILD = """
import socket, sys, time

def refuse(*args, **kwargs):
    raise OSError("network access is refused while measuring a cold import")

socket.getaddrinfo = socket.create_connection = refuse
socket.socket.connect = socket.socket.connect_ex = refuse

import importlib, importlib.util

def import_handler(function_dir, layer_dir, path, name, handler):
    sys.path[:0] = [function_dir, layer_dir]
    start = time.perf_counter()
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    elapsed = time.perf_counter() - start
    if not callable(getattr(module, handler, None)):
        sys.exit(f"{path} defines no callable {handler!r}")
    return elapsed

def import_boto3():
    start = time.perf_counter()
    importlib.import_module("boto3")
    return time.perf_counter() - start

if sys.argv[1] == "nothing":
    seconds = 0.0
else:
    seconds = import_boto3() if sys.argv[1] == "boto3" else import_handler(*sys.argv[2:])
print(f"{seconds * 1000:.3f}")
"""


@dataclass(frozen=True)
class Handler:
    function: str
    function_dir: Path
    module_path: Path
    module_name: str
    attribute: str
    env: dict[str, str]


class ImportFailed(Exception):
    pass


def snake_name(logical_id: str) -> str:
    base = logical_id.removesuffix("Function") or logical_id
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", base).lower()


def placeholder(name: str) -> str:
    if name.endswith(("_ARN", "_KEY_ID")):
        return f"arn:aws:bench:{REGION}:000000000000:{name.lower()}"
    if name.endswith("_ORIGINS"):
        return "https://app.example.test"
    return f"bench-{name.lower().replace('_', '-')}"


def resolve(name: str, value: Any, parameters: Mapping[str, Any]) -> str:
    if isinstance(value, str | int | float):
        return str(value)
    ref = value.get("Ref") if isinstance(value, Mapping) else None
    if isinstance(ref, str) and "Default" in parameters.get(ref, {}):
        return str(parameters[ref]["Default"])
    return placeholder(name)


def base_env(home: Path) -> dict[str, str]:
    """What every child gets: a region, placeholder credentials, and no AWS config of this machine."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def function_env(template: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, str]:
    parameters = template.get("Parameters", {})
    global_vars = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own_vars = properties.get("Environment", {}).get("Variables", {})
    return {name: resolve(name, value, parameters) for name, value in {**global_vars, **own_vars}.items()}


def discover(template_path: Path) -> list[Handler]:
    template = load(str(template_path))
    defaults = template.get("Globals", {}).get("Function", {})
    handlers = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties", {})
        module, attribute = str(properties.get("Handler", defaults.get("Handler"))).rsplit(".", 1)
        function_dir = template_path.parent / str(properties.get("CodeUri", defaults.get("CodeUri")))
        function = snake_name(logical_id)
        handlers.append(
            Handler(
                function=function,
                function_dir=function_dir,
                module_path=function_dir / (module.replace(".", "/") + ".py"),
                module_name=f"bench_{function}_{module.replace('.', '_')}",
                attribute=attribute,
                env=function_env(template, properties),
            )
        )
    return handlers


def run_child(args: list[str], env: dict[str, str], cwd: Path) -> float:
    result = subprocess.run(
        [sys.executable, "-I", "-c", CHILD, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise ImportFailed(result.stderr.strip() or f"exit status {result.returncode}")
    return float(result.stdout.strip().splitlines()[-1])


def instructions(args: list[str], env: dict[str, str], cwd: Path) -> int:
    """The CPU instructions of one child from start to exit, counted by cachegrind."""
    run_child(args, env, cwd)  # compiles bytecode first, as the timed runs do
    result = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            "-I",
            "-c",
            CHILD,
            *args,
        ],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if result.returncode != 0 or found is None:
        raise ImportFailed(result.stderr.strip()[-2000:] or f"exit status {result.returncode}")
    return int(found.group(1).replace(",", ""))


def count(handlers: list[Handler], home: Path) -> bool:
    """Print instruction counts; return whether every handler imported."""
    nothing = instructions(["nothing"], base_env(home), ROOT)
    boto3 = instructions(["boto3"], base_env(home), ROOT) - nothing
    print(f"cold_import_instructions_boto3: {boto3}")
    imported = True
    for handler in handlers:
        env = {**handler.env, **base_env(home)}
        try:
            own = instructions(handler_args(handler), env, handler.function_dir) - nothing
        except ImportFailed as error:
            print(f"{handler.function}: import of {handler.module_path} failed\n{error}", file=sys.stderr)
            imported = False
            continue
        print(f"cold_import_instructions_{handler.function}: {own}")
        print(f"cold_import_instruction_ratio_{handler.function}: {own / boto3:.2f}", flush=True)
    return imported


def median_ms(args: list[str], env: dict[str, str], cwd: Path, runs: int) -> float:
    run_child(args, env, cwd)  # warm-up: compiles bytecode, not measured
    return statistics.median(run_child(args, env, cwd) for _ in range(runs))


def handler_args(handler: Handler) -> list[str]:
    return [
        "handler",
        str(handler.function_dir),
        str(LAYER_PYTHON),
        str(handler.module_path),
        handler.module_name,
        handler.attribute,
    ]


def measure(handlers: list[Handler], runs: int, home: Path) -> bool:
    """Print the figures; return whether every handler imported."""
    boto3_ms = median_ms(["boto3"], base_env(home), ROOT, runs)
    print(f"cold_import_ms_boto3: {boto3_ms:.1f}")
    imported = True
    for handler in handlers:
        env = {**handler.env, **base_env(home)}
        try:
            ms = median_ms(handler_args(handler), env, handler.function_dir, runs)
        except ImportFailed as error:
            print(f"{handler.function}: import of {handler.module_path} failed\n{error}", file=sys.stderr)
            imported = False
            continue
        print(f"cold_import_ms_{handler.function}: {ms:.1f}")
        print(f"cold_import_ratio_{handler.function}: {ms / boto3_ms:.2f}")
    return imported


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per module (median printed)")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument(
        "--instructions", action="store_true", help="count CPU instructions with valgrind instead of timing"
    )
    parser.add_argument("--only", nargs="*", default=None, help="measure only these functions (snake names)")
    options = parser.parse_args()
    handlers = discover(options.template.resolve())
    if options.only is not None:
        handlers = [handler for handler in handlers if handler.function in options.only]
    if not handlers:
        print(f"no AWS::Serverless::Function in {options.template}", file=sys.stderr)
        return 1
    # An empty home: no ~/.aws of this machine leaks into the children.
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as home:
        if options.instructions:
            return 0 if count(handlers, Path(home)) else 1
        return 0 if measure(handlers, options.runs, Path(home)) else 1


if __name__ == "__main__":
    sys.exit(main())
