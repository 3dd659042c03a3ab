"""Remove each defence in turn and show that the tests named for it fail: ``make defences``.

First every named test runs with every defence in place and must pass. Then, for each
defence (``tests/support/defences.py``), the same pytest runs its named tests in a fresh
process with ``GATEHOUSE_REMOVE_DEFENCE=<name>``, and every one of them must fail. One
line per defence: ``<defence>: caught by <test node ids>``. Exits non-zero when a named
test passes without its defence (or fails with it), so a test that can no longer fail
does not go unnoticed.

    python -m tests.defences [--only NAME ...] [--jobs N] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.support.defences import BY_NAME, DEFENCES, ENV

ROOT = Path(__file__).resolve().parents[1]
_SUMMARY = re.compile(r"^(FAILED|ERROR) (\S+)")


@dataclass(frozen=True)
class Run:
    code: int  # pytest's exit code: 0 all passed, 1 some failed, anything else did not run them
    failed: set[str]  # the named node ids that failed (a failed parameter of one counts)
    output: str


def run_named(node_ids: list[str], removed: str | None) -> Run:
    """Run the named tests in a fresh pytest, with the defence ``removed`` taken away (None: none)."""
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if removed is not None:
        env[ENV] = removed
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfE", *node_ids],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    failed = {m.group(2) for line in done.stdout.splitlines() if (m := _SUMMARY.match(line))}
    named = {n for n in node_ids if any(f == n or f.startswith(f"{n}[") for f in failed)}
    return Run(done.returncode, named, done.stdout[-3000:] + done.stderr[-2000:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(BY_NAME), help="check only these defences")
    parser.add_argument("--jobs", type=int, default=2, help="pytest processes at once (default 2)")
    parser.add_argument(
        "--skip-baseline",
        action="store_true",
        help="skip running the named tests with every defence in place (the whole suite just did)",
    )
    args = parser.parse_args(argv)
    chosen = [d for d in DEFENCES if not args.only or d.name in args.only]
    began = time.monotonic()

    if not args.skip_baseline:
        every = sorted({n for d in chosen for n in d.caught_by})
        baseline = run_named(every, None)
        if baseline.code != 0:
            print(baseline.output)
            print("with every defence in place the named tests must pass; they did not")
            return 1

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = list(pool.map(lambda d: run_named(list(d.caught_by), d.name), chosen))
    problems = 0
    for defence, run in zip(chosen, runs, strict=True):
        missed = [n for n in defence.caught_by if n not in run.failed or run.code != 1]
        if missed:
            problems += 1
            print(run.output)
            print(f"{defence.name}: NOT caught by {', '.join(missed)}")
        else:
            print(f"{defence.name}: caught by {', '.join(defence.caught_by)}")
    print(f"defences checked in {time.monotonic() - began:.0f}s")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
