"""Audit export (JSON Lines, CSV) and the offline verifier for exported files.

Both exports stream one page of entries at a time and include ``prev_hash`` and ``hash``:

- JSON Lines: one entry per line, each line exactly the entry's canonical JSON (see
  ``gatehouse.audit.entry``), so ``sha256(canonical(line minus "hash")) == line["hash"]``.
- CSV: a header, then one row per entry with the columns ``CSV_COLUMNS``; ``changes`` holds
  the canonical JSON of the entry's changes, an empty ``source_ip`` means null. A cell
  starting with = + - @ (or a tab, carriage return or quote) is prefixed with ' so that
  spreadsheets never run it as a formula; the verifier strips exactly that one prefix.
- Checkpoints: one JSON object per line, {"checkpoint": the signed payload text,
  "signature": base64, "key_id": ..., "hashes": the covered entries' hashes concatenated}.

``verify_export`` checks such files with nothing but the signing key's public PEM: no
AWS access, the same walk as the online verifier. It never writes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any, Literal

from gatehouse.audit.checkpoints import inspect_checkpoint, load_public_key
from gatehouse.audit.entry import GENESIS_HASH, canonical_bytes
from gatehouse.audit.store import AuditStore, StoredCheckpoint, StoredEntry
from gatehouse.audit.verification import ChainWalk, CheckpointCheck, VerifyReport
from gatehouse.errors import Invalid
from gatehouse.spreadsheet import neutralise, restore

CSV_COLUMNS = (
    "seq",
    "at",
    "tenant_id",
    "actor_type",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "request_id",
    "source_ip",
    "changes",
    "prev_hash",
    "hash",
)
ExportFormat = Literal["jsonl", "csv"]


def export_jsonl(tenant_id: str, *, from_seq: int = 1, to_seq: int | None = None) -> Iterator[str]:
    """The tenant's entries as JSON Lines ("\\n"-terminated), oldest first."""
    for stored in _entries(tenant_id, from_seq, to_seq):
        yield stored.body + "\n"


def export_csv(tenant_id: str, *, from_seq: int = 1, to_seq: int | None = None) -> Iterator[str]:
    """The tenant's entries as CSV text chunks: the header, then one row per entry."""
    yield _csv_line(list(CSV_COLUMNS))
    for stored in _entries(tenant_id, from_seq, to_seq):
        yield _csv_line(csv_row(json.loads(stored.body)))


def export_checkpoints_jsonl(tenant_id: str) -> Iterator[str]:
    """The tenant's signed checkpoints as JSON Lines, oldest first."""
    for stored in AuditStore(tenant_id).iter_checkpoints():
        line = {
            "checkpoint": stored.body,
            "signature": stored.signature,
            "key_id": stored.key_id,
            "hashes": stored.hashes,
        }
        yield json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n"


def csv_row(fields: dict[str, Any]) -> list[str]:
    changes = canonical_bytes(fields["changes"]).decode("utf-8")
    cells = [
        str(fields["seq"]),
        fields["at"],
        fields["tenant_id"],
        fields["actor"]["type"],
        fields["actor"]["id"],
        fields["action"],
        fields["target"]["type"],
        fields["target"]["id"],
        fields["request_id"],
        fields["source_ip"] or "",
        changes,
        fields["prev_hash"],
        fields["hash"],
    ]
    return [neutralise(cell) for cell in cells]


def fields_from_csv(row: dict[str, str]) -> dict[str, Any]:
    """The entry's fields back from a CSV row, exactly as they were hashed."""
    cell = {name: restore(row[name]) for name in CSV_COLUMNS}
    return {
        "seq": int(cell["seq"]),
        "at": cell["at"],
        "tenant_id": cell["tenant_id"],
        "actor": {"type": cell["actor_type"], "id": cell["actor_id"]},
        "action": cell["action"],
        "target": {"type": cell["target_type"], "id": cell["target_id"]},
        "request_id": cell["request_id"],
        "source_ip": cell["source_ip"] or None,
        "changes": json.loads(cell["changes"]),
        "prev_hash": cell["prev_hash"],
        "hash": cell["hash"],
    }


def verify_export(
    lines: Iterable[str],
    public_key_pem: str | bytes,
    checkpoints: Iterable[str],
    *,
    fmt: ExportFormat = "jsonl",
    complete: bool = True,
) -> VerifyReport:
    """Verify an exported chain offline against exported checkpoints and the signing key's public PEM.

    The export may start anywhere: from entry 1 the first link is checked against the
    genesis hash, otherwise it is taken as given and the checkpoints vouch for the rest.
    ``complete`` (an export to the head): every entry a checkpoint signed must be present;
    pass False for an export that stops early on purpose (``to_seq``).
    """
    bodies = (
        _bodies_from_csv(lines) if fmt == "csv" else (line.rstrip("\r\n") for line in lines if line.strip())
    )
    first = next(bodies, None)
    if first is None:
        raise Invalid("the export holds no entries")
    tenant_id, start_seq = _identity(first)
    check: CheckpointCheck = partial(
        inspect_checkpoint, tenant_id=tenant_id, public_key=load_public_key(public_key_pem)
    )
    walk = ChainWalk(
        tenant_id,
        iter(sorted(_parse_checkpoints(checkpoints), key=lambda c: c.from_seq)),
        check,
        start_seq=start_seq,
        prev_hash=GENESIS_HASH if start_seq == 1 else None,
    )
    for body, following in _with_next(first, bodies):
        defect = walk.feed(StoredEntry(seq=_place(body, following, walk.expected), body=body))
        if defect:
            return walk.report(defect, walk.expected - 1)
    return walk.report(walk.finish(open_end=not complete), walk.expected - 1)


def _with_next(first: str, rest: Iterator[str]) -> Iterator[tuple[str, str | None]]:
    current = first
    for following in rest:
        yield current, following
        current = following
    yield current, None


def _place(body: str, following: str | None, expected: int) -> int:
    """Where a line stands in the chain, for telling a gap from a swap.

    A line claiming a later seq than its position stands there when the line after it
    continues from it (lines are missing before it); otherwise it was moved.
    """
    claimed = _claimed_seq(body)
    if claimed > expected and (following is None or _claimed_seq(following) == claimed + 1):
        return claimed
    return expected


def _entries(tenant_id: str, from_seq: int, to_seq: int | None) -> Iterator[StoredEntry]:
    for stored in AuditStore(tenant_id).iter_entries(from_seq=from_seq):
        if to_seq is not None and stored.seq > to_seq:
            return
        yield stored


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def _bodies_from_csv(lines: Iterable[str]) -> Iterator[str]:
    for row in csv.DictReader(_with_newlines(lines)):
        try:
            yield canonical_bytes(fields_from_csv(row)).decode("utf-8")
        except (ValueError, KeyError, TypeError):
            yield ""  # not an entry: the walk reports it as edited


def _with_newlines(lines: Iterable[str]) -> Iterator[str]:
    # csv needs line ends to see quoted newlines; callers may pass lines with or without them.
    for line in lines:
        yield line if line.endswith("\n") else line + "\n"


def _identity(body: str) -> tuple[str, int]:
    try:
        fields = json.loads(body)
        return str(fields["tenant_id"]), max(1, int(fields["seq"]))
    except (ValueError, KeyError, TypeError):
        return "", 1


def _claimed_seq(body: str) -> int:
    try:
        return int(json.loads(body)["seq"])
    except (ValueError, KeyError, TypeError):
        return 0


def _parse_checkpoints(lines: Iterable[str]) -> Iterator[StoredCheckpoint]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            payload = json.loads(item["checkpoint"])
            yield StoredCheckpoint(
                from_seq=int(payload["from_seq"]),
                seq=int(payload["seq"]),
                body=str(item["checkpoint"]),
                signature=str(item["signature"]),
                key_id=str(item.get("key_id", "")),
                hashes=str(item["hashes"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise Invalid(f"checkpoint line {number} is not a checkpoint") from exc
