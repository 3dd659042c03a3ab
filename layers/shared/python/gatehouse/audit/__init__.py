"""The tamper-evident audit log: per-tenant hash chains, signed checkpoints, verification, export.

Every state-changing operation records one entry: ``recorded`` commits a change's writes
with it, ``record`` appends it alone (``gatehouse.audit.changes``); entries are never
changed or removed. ``run_checkpoints`` (a scheduled job) signs where each chain
stands with the asymmetric KMS key; ``verify`` recomputes a chain and checks the
signatures; ``export_jsonl``/``export_csv`` stream a chain with its hashes and
``verify_export`` checks an exported file offline. The formats are documented in
``gatehouse.audit.entry`` (entries) and ``gatehouse.audit.checkpoints`` (checkpoints).
"""

from gatehouse.audit.changes import record, record_personal, recorded
from gatehouse.audit.checkpoints import CheckpointRun, public_key_pem, run_checkpoints
from gatehouse.audit.entry import Actor, ActorType, AuditEntry, BreakReason, Target
from gatehouse.audit.export import export_checkpoints_jsonl, export_csv, export_jsonl, verify_export
from gatehouse.audit.log import AuditPage, append, list_entries
from gatehouse.audit.verify import VerifyReport, verify

__all__ = [
    "Actor",
    "ActorType",
    "AuditEntry",
    "AuditPage",
    "BreakReason",
    "CheckpointRun",
    "Target",
    "VerifyReport",
    "append",
    "export_checkpoints_jsonl",
    "export_csv",
    "export_jsonl",
    "list_entries",
    "public_key_pem",
    "record",
    "record_personal",
    "recorded",
    "run_checkpoints",
    "verify",
    "verify_export",
]
