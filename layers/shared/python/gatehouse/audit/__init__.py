"""The tamper-evident audit log: per-tenant hash chains, signed checkpoints, verification, export.

Every state-changing operation records one entry: ``recorded`` commits a change's writes
with it, ``record`` appends it alone (``gatehouse.audit.changes``); entries are never
changed or removed. ``run_checkpoints`` (a scheduled job) signs where each chain
stands with the asymmetric KMS key; ``verify`` recomputes a chain and checks the
signatures; ``export_jsonl``/``export_csv`` stream a chain with its hashes and
``verify_export`` checks an exported file offline. The formats are documented in
``gatehouse.audit.entry`` (entries) and ``gatehouse.audit.checkpoints`` (checkpoints).

Signing, verifying and exporting load on first use (module ``__getattr__``): every handler
records entries, few sign or check them, and those modules bring cryptography's key loading
and KMS signing with them. Recording and reading entries (``changes``, ``log``) load on first
use too: they bring the audit table's store, so a module that only declares what it records
(``Actor``, ``Target``) can be imported without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gatehouse.audit.entry import Actor, ActorType, AuditEntry, BreakReason, Target

if TYPE_CHECKING:
    from gatehouse.audit.changes import record, record_personal, recorded
    from gatehouse.audit.checkpoints import CheckpointRun, public_key_pem, run_checkpoints
    from gatehouse.audit.export import export_checkpoints_jsonl, export_csv, export_jsonl, verify_export
    from gatehouse.audit.log import AuditPage, append, list_entries
    from gatehouse.audit.verification import VerifyReport, verify

# Name -> the module that defines it, imported when the name is first asked for.
_ON_FIRST_USE = {
    "record": "gatehouse.audit.changes",
    "record_personal": "gatehouse.audit.changes",
    "recorded": "gatehouse.audit.changes",
    "AuditPage": "gatehouse.audit.log",
    "append": "gatehouse.audit.log",
    "list_entries": "gatehouse.audit.log",
    "CheckpointRun": "gatehouse.audit.checkpoints",
    "public_key_pem": "gatehouse.audit.checkpoints",
    "run_checkpoints": "gatehouse.audit.checkpoints",
    "export_checkpoints_jsonl": "gatehouse.audit.export",
    "export_csv": "gatehouse.audit.export",
    "export_jsonl": "gatehouse.audit.export",
    "verify_export": "gatehouse.audit.export",
    "VerifyReport": "gatehouse.audit.verification",
    "verify": "gatehouse.audit.verification",
}

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


def __getattr__(name: str) -> Any:
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup finds it without coming here
    return value
