"""The defence removals of ``make defences`` stay out of ordinary test runs."""

from __future__ import annotations

import pytest

from gatehouse.audit.log import AuditLog
from gatehouse.dispatch import claims, gates
from gatehouse.dnc.stamps import ScrubStamp
from gatehouse.tenancy import credentials, store
from gatehouse.tenancy.restriction import Restriction
from gatehouse.tenancy.scope import TenantScope
from gatehouse.webhooks import signatures
from tests.support.defences import DEFENCES, ENV, remove_from_env


def test_unset_removes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert remove_from_env() is None


def test_this_run_has_every_defence_in_place() -> None:
    """A suite run with a removal left in its environment would prove nothing: it fails here."""
    defended = [
        TenantScope._record,
        store.decode_cursor,
        store.decode_time_cursor,
        signatures.twilio_valid,
        signatures.retell_valid,
        signatures.vapi_valid,
        signatures.stripe_event,
        gates.gate_consent,
        gates.gate_suppression,
        claims.claim,
        AuditLog.append,
        ScrubStamp.current,
        credentials.for_tenant,
        Restriction.admitted,
    ]
    assert [f.__qualname__ for f in defended if f.__module__.startswith("tests.")] == []


def test_every_defence_names_tests_that_catch_it() -> None:
    for defence in DEFENCES:
        assert defence.caught_by
        assert all(node.startswith("tests/") and "::" in node for node in defence.caught_by)
