"""The audit chain's canonical form, hashing and link checks, as an offline verifier must reproduce them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from gatehouse.audit.entry import (
    GENESIS_HASH,
    Actor,
    ActorType,
    AuditEntry,
    BreakReason,
    Changes,
    Defect,
    Target,
    canonical_bytes,
    entry_hash,
    format_time,
    inspect_link,
    plain_changes,
)
from gatehouse.audit.export import csv_row, fields_from_csv, neutralise, restore

TENANT = "tnt_" + "a" * 26
OTHER_TENANT = "tnt_" + "b" * 26
AT = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)


def _entry(seq: int = 1, prev_hash: str = GENESIS_HASH, **overrides: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "tenant_id": TENANT,
        "seq": seq,
        "at": AT,
        "actor": Actor(type=ActorType.USER, id="usr_1"),
        "action": "member.role_changed",
        "target": Target(type="member", id="usr_2"),
        "request_id": "req-1",
        "source_ip": "203.0.113.9",
        "changes": Changes(before={"role": "member"}, after={"role": "admin"}),
        "prev_hash": prev_hash,
    }
    return AuditEntry.seal(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": 2}, b'{"a":2,"b":1}'),
        ({"z": {"y": [1, 2], "x": None}}, b'{"z":{"x":null,"y":[1,2]}}'),
        ({"name": "Zoë ✓"}, '{"name":"Zoë ✓"}'.encode()),
        ({"text": 'quote " and \\ backslash'}, b'{"text":"quote \\" and \\\\ backslash"}'),
        ({"text": "line\nbreak\ttab\x01"}, b'{"text":"line\\nbreak\\ttab\\u0001"}'),
        ({"flag": True, "none": None, "n": -7}, b'{"flag":true,"n":-7,"none":null}'),
        ({"B": 1, "a": 2, "_": 3}, b'{"B":1,"_":3,"a":2}'),
    ],
)
def test_canonical_form_sorts_keys_drops_whitespace_and_keeps_utf8(
    value: dict[str, Any], expected: bytes
) -> None:
    assert canonical_bytes(value) == expected


def test_canonical_form_refuses_values_json_cannot_carry() -> None:
    with pytest.raises(ValueError):
        canonical_bytes({"n": float("nan")})


def test_the_hash_is_sha256_of_the_documented_canonical_text() -> None:
    entry = _entry()
    written_by_hand = (
        '{"action":"member.role_changed","actor":{"id":"usr_1","type":"user"},'
        '"at":"2026-11-23T12:00:00.123456Z",'
        '"changes":{"after":{"role":"admin"},"before":{"role":"member"}},'
        f'"prev_hash":"{GENESIS_HASH}","request_id":"req-1","seq":1,"source_ip":"203.0.113.9",'
        '"target":{"id":"usr_2","type":"member"},'
        f'"tenant_id":"{TENANT}"'
        "}"
    )
    assert entry.hash == hashlib.sha256(written_by_hand.encode("utf-8")).hexdigest()
    assert json.loads(entry.canonical()) == {**json.loads(written_by_hand), "hash": entry.hash}


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 2},
        {"at": AT + timedelta(microseconds=1)},
        {"actor": Actor(type=ActorType.API_KEY, id="usr_1")},
        {"action": "member.removed"},
        {"target": Target(type="member", id="usr_3")},
        {"request_id": "req-2"},
        {"source_ip": None},
        {"changes": Changes(before={"role": "member"}, after={"role": "owner"})},
        {"prev_hash": "f" * 64},
        {"tenant_id": OTHER_TENANT},
    ],
    ids=lambda change: next(iter(change)),
)
def test_every_field_is_covered_by_the_hash(change: dict[str, Any]) -> None:
    assert _entry(**change).hash != _entry().hash


def test_the_hash_leaves_out_only_itself() -> None:
    entry = _entry()
    assert entry_hash(entry.fields()) == entry.hash
    assert entry_hash({**entry.fields(), "hash": "0" * 64}) == entry.hash


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05.000000Z"),
        (datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=UTC), "2026-01-02T03:04:05.000007Z"),
        (datetime(2026, 1, 2, 1, 0, tzinfo=timezone(timedelta(hours=-5))), "2026-01-02T06:00:00.000000Z"),
    ],
)
def test_times_are_utc_with_six_fraction_digits(moment: datetime, text: str) -> None:
    assert format_time(moment) == text
    assert _entry(at=moment).fields()["at"] == text


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError):
        _entry(at=datetime(2026, 1, 2, 3, 4, 5))


class _Integration(BaseModel):
    name: str
    auth_token: str
    rate: float
    created: datetime


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, {"role": "admin"}, Changes(before=None, after={"role": "admin"})),
        (
            {"role": "admin", "email": "a@x"},
            None,
            Changes(before={"role": "admin", "email": "a@x"}, after=None),
        ),
        (
            {"role": "member", "email": "a@x"},
            {"role": "admin", "email": "a@x"},
            Changes(before={"role": "member"}, after={"role": "admin"}),
        ),
        ({"a": 1}, {"b": 2}, Changes(before={"a": 1}, after={"b": 2})),
        (
            {"name": "x", "password": "p", "api_key": "k", "settings": {"webhook_secret": "s", "url": "u"}},
            None,
            Changes(before={"name": "x", "settings": {"url": "u"}}, after=None),
        ),
        (
            None,
            {"Authorization": "Bearer x", "session_token": "t", "totp_seed": "s", "api_key_id": "key_1"},
            Changes(before=None, after={"api_key_id": "key_1"}),
        ),
        ({"auth_token": "old"}, {"auth_token": "new"}, Changes(before={}, after={})),
        (
            None,
            {"ratio": 0.25, "items": [1.5, "x"]},
            Changes(before=None, after={"ratio": "0.25", "items": ["1.5", "x"]}),
        ),
        (
            None,
            _Integration(name="twilio", auth_token="tok", rate=1.0, created=AT),
            Changes(
                before=None, after={"name": "twilio", "rate": "1.0", "created": "2026-11-23T12:00:00.123456Z"}
            ),
        ),
    ],
)
def test_changes_keep_what_differs_and_never_a_secret(
    before: object, after: object, expected: Changes
) -> None:
    assert plain_changes(before, after) == expected


@pytest.mark.parametrize(
    "side",
    [{"password": "p"}, {"nested": {"client_secret": "s"}}, {"list": [{"refresh_token": "t"}]}, {"n": 0.5}],
)
def test_an_entry_cannot_carry_a_secret_or_a_float_even_when_built_by_hand(side: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Changes(after=side)


@pytest.mark.parametrize(
    ("label", "actor"),
    [
        ("api_key:key_abc", Actor(type=ActorType.API_KEY, id="key_abc")),
        ("user:usr_1", Actor(type=ActorType.USER, id="usr_1")),
        ("system:checkpoints", Actor(type=ActorType.SYSTEM, id="checkpoints")),
    ],
)
def test_actors_read_the_callers_label(label: str, actor: Actor) -> None:
    assert Actor.from_label(label) == actor
    assert actor.label == label


@pytest.mark.parametrize("label", ["robot:r1", "user:", "user"])
def test_unknown_or_empty_actors_are_refused(label: str) -> None:
    with pytest.raises(ValueError):
        Actor.from_label(label)


def _body(entry: AuditEntry, **edits: Any) -> str:
    return json.dumps({**entry.fields(), **edits})


FIRST = _entry()
SECOND = _entry(seq=2, prev_hash=FIRST.hash)
THIRD = _entry(seq=3, prev_hash=SECOND.hash)
FOREIGN = _entry(seq=2, prev_hash=FIRST.hash, tenant_id=OTHER_TENANT)


@pytest.mark.parametrize(
    ("stored_seq", "body", "prev_hash", "reason"),
    [
        (2, _body(SECOND), FIRST.hash, None),
        (2, _body(SECOND), None, None),
        (3, _body(THIRD), FIRST.hash, BreakReason.MISSING),
        (2, _body(SECOND, action="member.removed"), FIRST.hash, BreakReason.EDITED),
        (2, _body(SECOND, extra="x"), FIRST.hash, BreakReason.EDITED),
        (2, "{not json", FIRST.hash, BreakReason.EDITED),
        (2, "[]", FIRST.hash, BreakReason.EDITED),
        (2, _body(THIRD), FIRST.hash, BreakReason.REORDERED),
        (2, _body(SECOND), "e" * 64, BreakReason.REORDERED),
        (2, _body(FOREIGN), FIRST.hash, BreakReason.FORGED),
    ],
    ids=[
        "linked",
        "vouched",
        "missing",
        "edited",
        "added-field",
        "not-json",
        "not-an-object",
        "swapped",
        "unlinked",
        "other-tenant",
    ],
)
def test_a_link_is_checked_against_its_place_its_hash_and_its_predecessor(
    stored_seq: int, body: str, prev_hash: str | None, reason: BreakReason | None
) -> None:
    result = inspect_link(TENANT, stored_seq, body, expected_seq=2, prev_hash=prev_hash)
    if reason is None:
        assert result == SECOND
    else:
        assert isinstance(result, Defect)
        assert (result.seq, result.reason) == (2, reason)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("'quoted", "''quoted"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_csv_cells_never_start_a_formula_and_read_back_exactly(cell: str, written: str) -> None:
    assert neutralise(cell) == written
    assert restore(written) == cell


def test_a_csv_row_reads_back_to_the_hashed_fields() -> None:
    entry = _entry(target=Target(type="contact", id="=cmd|' /C calc'!A0"), request_id="-req", source_ip=None)
    columns = (
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
    row = dict(zip(columns, csv_row(entry.fields()), strict=True))
    assert row["target_id"].startswith("'=")
    fields = fields_from_csv(row)
    assert fields == entry.fields()
    assert entry_hash(fields) == entry.hash
