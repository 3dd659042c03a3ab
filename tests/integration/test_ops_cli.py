"""The operator CLI in-process against moto: bootstrap, checkpoint, verify, export, offline verification."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from gatehouse import audit
from gatehouse.audit.store import AuditStore
from gatehouse.config import get_settings
from gatehouse.ops.__main__ import main

OPERATOR = audit.Actor(type=audit.ActorType.OPERATOR, id="ops@gatehouse.test")
Cli = Callable[..., tuple[int, Any]]


@dataclass(frozen=True)
class Export:
    entries: Path
    checkpoints: Path
    public_key: Path

    def options(self, fmt: str = "jsonl") -> list[str]:
        return [
            "--entries",
            str(self.entries),
            "--checkpoints",
            str(self.checkpoints),
            "--public-key",
            str(self.public_key),
            "--format",
            fmt,
        ]


@pytest.fixture
def cli(aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Runs the CLI with its table and key options, as an operator would; returns (status, JSON output).

    The signing key is not in the environment at first: the option is what configures it.
    """
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    settings = get_settings()
    options = ["--main-table", settings.main_table, "--audit-table", settings.audit_table]
    # The CLI writes its options into the process environment; monkeypatch restores it afterwards.
    monkeypatch.setenv("GATEHOUSE_MAIN_TABLE", settings.main_table)
    monkeypatch.setenv("GATEHOUSE_AUDIT_TABLE", settings.audit_table)
    monkeypatch.setenv("GATEHOUSE_SIGNING_KEY_ID", "")

    def call(*argv: str, online: bool = True) -> tuple[int, Any]:
        status = main([*options, "--signing-key-id", key_id, *argv] if online else list(argv))
        out = capsys.readouterr().out
        return status, json.loads(out[: out.rindex("}") + 1]) if "{" in out else None

    return call


@pytest.fixture
def tenant_id(cli: Cli) -> str:
    """A tenant bootstrapped through the CLI, a few entries appended, then checkpointed through the CLI."""
    status, boot = cli("bootstrap-tenant", "--name", "Alpha", "--owner-email", "owner@alpha.test")
    assert status == 0
    for n in range(4):
        audit.append(
            boot["tenant_id"],
            actor=OPERATOR,
            action="tenant.settings_changed",
            target=audit.Target(type="tenant", id=boot["tenant_id"]),
            request_id=f"ops-{n}",
            before={"quiet_hours": n},
            after={"quiet_hours": n + 1},
        )
    status, summary = cli("audit-checkpoint")
    assert (status, summary["ok"], summary["statuses"]) == (0, True, {"signed": 1})
    return str(boot["tenant_id"])


def head_seq(tenant_id: str) -> int:
    head = AuditStore(tenant_id).head()
    assert head is not None
    return head.seq


def export(cli: Cli, tenant_id: str, folder: Path, fmt: str) -> Export:
    files = Export(folder / f"entries.{fmt}", folder / "checkpoints.jsonl", folder / "signing-key.pem")
    status, written = cli(
        "audit-export",
        "--tenant-id",
        tenant_id,
        "--format",
        fmt,
        "--out",
        str(files.entries),
        "--checkpoints-out",
        str(files.checkpoints),
        "--public-key-out",
        str(files.public_key),
    )
    assert status == 0
    assert (written["entries"], written["checkpoints"]) == (head_seq(tenant_id), 1)
    return files


def test_verify_reports_the_checkpointed_chain_intact(tenant_id: str, cli: Cli) -> None:
    for extra in ((), ("--full",)):
        status, report = cli("audit-verify", "--tenant-id", tenant_id, *extra)

        assert status == 0
        assert (report["ok"], report["verified_seq"], report["signed_seq"]) == (
            True,
            head_seq(tenant_id),
            head_seq(tenant_id),
        )
    assert report["start_seq"] == 1


def test_a_second_checkpoint_run_signs_nothing_new(tenant_id: str, cli: Cli) -> None:
    status, summary = cli("audit-checkpoint")

    assert (status, summary["statuses"], summary["checkpoints_signed"]) == (0, {"unchanged": 1}, 0)


def test_an_export_verifies_offline(
    tenant_id: str, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = export(cli, tenant_id, tmp_path, "jsonl")
    head = head_seq(tenant_id)
    # Offline means offline: any AWS call would now go to an address nothing listens on.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")

    status, report = cli("audit-verify-export", *files.options(), online=False)

    assert status == 0
    assert report["ok"] is True
    assert report["verified_seq"] == report["signed_seq"] == head


def test_a_tampered_export_line_names_the_first_bad_seq(tenant_id: str, cli: Cli, tmp_path: Path) -> None:
    files = export(cli, tenant_id, tmp_path, "jsonl")
    lines = files.entries.read_text(encoding="utf-8").splitlines(keepends=True)
    third = json.loads(lines[2])
    lines[2] = (
        json.dumps({**third, "action": "nothing.happened"}, sort_keys=True, separators=(",", ":")) + "\n"
    )
    files.entries.write_text("".join(lines), encoding="utf-8")

    status, report = cli("audit-verify-export", *files.options(), online=False)

    assert status == 1
    assert (report["ok"], report["first_bad_seq"], report["reason"], report["verified_seq"]) == (
        False,
        3,
        "edited",
        2,
    )


def test_a_csv_export_verifies_offline_and_a_dropped_row_is_found(
    tenant_id: str, cli: Cli, tmp_path: Path
) -> None:
    files = export(cli, tenant_id, tmp_path, "csv")
    assert cli("audit-verify-export", *files.options("csv"), online=False)[0] == 0

    header, first, second, _third, *rest = files.entries.read_bytes().split(b"\r\n")
    files.entries.write_bytes(b"\r\n".join([header, first, second, *rest]))
    status, report = cli("audit-verify-export", *files.options("csv"), online=False)

    assert (status, report["first_bad_seq"], report["reason"]) == (1, 3, "missing")


def test_an_edited_entry_in_the_table_makes_verify_exit_1(tenant_id: str, cli: Cli) -> None:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(get_settings().audit_table)
    key = {"pk": f"{tenant_id}#AUDIT", "sk": f"E#{2:012d}"}
    item = table.get_item(Key=key)["Item"]
    table.put_item(Item={**item, "body": str(item["body"]).replace('"request_id":"', '"request_id":"x', 1)})

    status, report = cli("audit-verify", "--tenant-id", tenant_id, "--full")

    assert status == 1
    assert (report["ok"], report["first_bad_seq"], report["reason"]) == (False, 2, "edited")


def test_an_unknown_tenant_is_an_error_not_an_empty_chain(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["audit-verify", "--tenant-id", "tnt_" + "a" * 26])

    captured = capsys.readouterr()
    assert (status, captured.out) == (2, "")
    assert "no tenant" in captured.err


def test_grant_operator_flags_the_identity_and_nothing_in_a_tenant(cli: Cli) -> None:
    from gatehouse.identity.users import find_user_by_email

    status, granted = cli("grant-operator", "--email", "Ops@Gatehouse.test")
    assert status == 0
    user = find_user_by_email("ops@gatehouse.test")
    assert user is not None
    assert (granted["user_id"], granted["is_operator"], user.is_operator) == (user.user_id, True, True)


def test_a_registry_file_loads_through_the_cli_streamed_and_audited(
    tenant_id: str, cli: Cli, tmp_path: Path
) -> None:
    from gatehouse.dnc import ScrubStatus
    from gatehouse.dnc.registry import lookup
    from gatehouse.tenancy import TenantScope

    registry_file = tmp_path / "202.txt"
    with registry_file.open("w", encoding="ascii") as out:
        for n in range(3000):
            out.write(f"202{2000000 + n:07d}\n")
        out.write("not a number\n")
    status, report = cli(
        "load-dnc-registry",
        "--tenant-id",
        tenant_id,
        "--area-code",
        "202",
        "--operator",
        "ops@gatehouse.test",
        str(registry_file),
    )
    assert status == 0
    assert (report["added"], report["rejected"], report["kind"]) == (3000, 1, "full")
    stamps = lookup(TenantScope(tenant_id), report["registry_ref"], ["+12022000007"], now=audit_now())
    assert stamps["+12022000007"].status is ScrubStatus.LISTED
    entry = audit.list_entries(tenant_id, limit=1).items[0]
    assert (entry.action, entry.actor.label) == ("dnc.registry_loaded", "operator:ops@gatehouse.test")


def test_a_registry_load_for_an_unknown_tenant_cannot_run(cli: Cli, tmp_path: Path) -> None:
    registry_file = tmp_path / "202.txt"
    registry_file.write_text("2025550143\n", encoding="ascii")
    status, _ = cli(
        "load-dnc-registry", "--tenant-id", "tnt_" + "a" * 26, "--area-code", "202", str(registry_file)
    )
    assert status == 2


def audit_now():  # type: ignore[no-untyped-def]
    from gatehouse.clock import utc_now

    return utc_now()
