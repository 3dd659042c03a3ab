"""The supply-chain gate keeps its own rules: exact pins, reasoned exceptions, in `make test`."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AUDITED = ("requirements-dev.txt", "layers/shared/python/requirements.txt", "requirements-sam.txt")
SCANNED = ("layers", "functions", "local")
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+$")
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
NOSEC_REASONED = re.compile(r"^\s+B\d{3}(,\s*B\d{3})*\s+#\s*\S.{4,}")


def _entries(path: Path) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]


def makefile_target(name: str) -> str:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{name}:([^\n]*)\n((?:\t[^\n]*\n)*)", text, re.MULTILINE)
    assert match, f"the Makefile has no {name} target"
    return match.group(0)


@pytest.mark.parametrize("name", AUDITED)
def test_every_audited_requirement_is_an_exact_pin(name: str) -> None:
    entries = [e for e in _entries(ROOT / name) if e and not e.startswith("-r ")]
    assert entries
    assert [e for e in entries if not PIN.match(e)] == []


def test_every_accepted_vulnerability_says_why() -> None:
    for raw in (ROOT / "audit-exceptions").read_text(encoding="utf-8").splitlines():
        entry = raw.split("#", 1)[0].strip()
        if entry:
            vuln_id, _, reason = entry.partition(" ")
            assert re.fullmatch(r"[A-Z]+-[A-Za-z0-9-]+", vuln_id), raw
            assert len(reason.strip()) >= 20, f"{vuln_id} is accepted without a reason"


def test_every_nosec_names_the_check_it_silences_and_why() -> None:
    found = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                match = NOSEC.search(line)
                if match:
                    found.append((f"{path.relative_to(ROOT)}:{number}", match.group("rest")))
    assert [where for where, rest in found if not NOSEC_REASONED.match(rest)] == []


def test_make_test_runs_the_security_gate_with_bandit_and_pip_audit_over_every_pinned_file() -> None:
    # What `make test` would run, as make itself reads it (its checks run in a sub-make, side by side).
    planned = subprocess.run(
        ["make", "--no-print-directory", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "bandit --quiet" in planned
    assert "--vulnerability-service pypi" in planned
    security = makefile_target("security")
    assert "bandit" in security
    assert "-r layers functions local" in security
    assert "pip-audit" in security
    assert "--vulnerability-service pypi" in security
    audited = re.search(r"^AUDITED_REQUIREMENTS := (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert audited
    assert set(audited.group(1).split()) == set(AUDITED)


def test_dynamodb_local_comes_from_one_exactly_pinned_npm_package_with_its_integrity_checked() -> None:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    (name, pinned), *others = package["dependencies"].items()
    assert (name, others) == ("amplify-dynamodb-simulator", [])
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned)
    installed = {path: entry for path, entry in lock["packages"].items() if path}
    assert installed[f"node_modules/{name}"]["version"] == pinned
    # A bundled package comes inside its parent's tarball, which the parent's hash covers.
    assert [p for p, e in installed.items() if not e.get("integrity") and not e.get("inBundle")] == []
    # The console's build and test tools: exact pins too, each the version the lockfile installs.
    for dev, version in package.get("devDependencies", {}).items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), dev
        assert installed[f"node_modules/{dev}"]["version"] == version
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "npm ci --ignore-scripts" in makefile
    assert "default-jre-headless" in makefile
    assert "node_modules/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_nothing_patches_motos_dynamodb_and_moto_patches_live_in_one_version_checked_module() -> None:
    dynamodb_internals = "moto." + "dynamodb"
    found = [
        str(path.relative_to(ROOT))
        for top in ("layers", "functions", "local", "tests", "bench")
        for path in sorted((ROOT / top).rglob("*.py"))
        if dynamodb_internals in path.read_text(encoding="utf-8")
    ]
    assert found == []
    assert not (ROOT / "local" / "moto_transactions.py").exists()
    patches = (ROOT / "local" / "moto_patches.py").read_text(encoding="utf-8")
    assert 'if version("moto") != MOTO_VERSION:' in patches
    pinned = re.search(r"^moto==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert pinned
    assert f'MOTO_VERSION = "{pinned.group(1)}"' in patches
