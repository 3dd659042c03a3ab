"""The audit entry: its fields, its canonical form, its hash, and the checks on one chain link.

This module owns the format an offline verifier must reproduce. It never touches
AWS and never decides whether an action is audited.

Entry
-----
An entry is a JSON object with exactly these members::

    tenant_id   "tnt_" + 26 lowercase base32 characters
    seq         integer; 1 for the tenant's first entry, then +1 per entry, no gaps
    at          UTC time "YYYY-MM-DDTHH:MM:SS.ffffffZ" (always six fraction digits)
    actor       {"type": "user"|"api_key"|"operator"|"provider"|"contact"|"system", "id": string}
    action      dotted lowercase name, e.g. "member.role_changed"
    target      {"type": lowercase name, "id": string}
    request_id  string: the request or correlation id
    source_ip   normalised IPv4/IPv6 text, or null
    changes     {"before": object|null, "after": object|null}; fields whose names look like
                secrets are removed before the entry exists, and no value in it is a
                non-integer number (those are written as strings), so every value is a
                string, an integer, true/false/null, an array or an object
    prev_hash   the previous entry's "hash"; 64 "0" characters for seq 1
    hash        lowercase hex SHA-256 of canonical(entry without its "hash" member)

canonical(x) is the UTF-8 encoding of the JSON text of x with object members sorted by key
(Unicode code point order), no insignificant whitespace (separators "," and ":"),
characters outside ASCII written as themselves, and the escapes of Python's json module
(\\" \\\\ \\b \\f \\n \\r \\t, and \\u00xx with lowercase hex for other control characters).
In Python::

    json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

The stored form and the JSON Lines export of an entry are canonical(entry) itself, hash
included, so ``hash == sha256(canonical(line minus "hash"))`` can be checked line by line.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_serializer,
    field_validator,
)
from pydantic_core import to_jsonable_python

from gatehouse.ids import is_tenant_id
from gatehouse.models import GatehouseModel

GENESIS_HASH = "0" * 64
HASH_PATTERN = r"^[0-9a-f]{64}$"
ACTION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
SECRET_FIELD = re.compile(
    r"(authorization|secret|passw|passcode|passphrase|token|cookie|credential|private[_-]?key|signature"
    r"|totp|otp[_-]?(seed|uri)|api[_-]?key$)",
    re.IGNORECASE,
)


class ActorType(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    OPERATOR = "operator"
    PROVIDER = "provider"
    CONTACT = "contact"
    SYSTEM = "system"


class Actor(GatehouseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ActorType
    id: str = Field(min_length=1, max_length=200)

    @classmethod
    def from_label(cls, label: str) -> Actor:
        """Parse the ``"<type>:<id>"`` form that ``Caller.actor`` produces."""
        kind, _, ident = label.partition(":")
        return cls(type=ActorType(kind), id=ident)

    @property
    def label(self) -> str:
        return f"{self.type}:{self.id}"


class Target(GatehouseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    id: str = Field(min_length=1, max_length=200)

    @classmethod
    def from_label(cls, label: str) -> Target:
        """Parse the ``"<type>:<id>"`` form that ``label`` produces."""
        kind, _, ident = label.partition(":")
        return cls(type=kind, id=ident)

    @property
    def label(self) -> str:
        return f"{self.type}:{self.id}"


class Changes(GatehouseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    before: dict[str, JsonValue] | None = None
    after: dict[str, JsonValue] | None = None

    @field_validator("before", "after")
    @classmethod
    def _no_secrets_or_floats(cls, value: dict[str, JsonValue] | None) -> dict[str, JsonValue] | None:
        if value is not None:
            _refuse_secrets_and_floats(value)
        return value


class AuditEntry(GatehouseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str
    seq: int = Field(ge=1)
    at: AwareDatetime
    actor: Actor
    action: str = Field(pattern=ACTION_PATTERN, max_length=100)
    target: Target
    request_id: str = Field(min_length=1, max_length=200)
    source_ip: str | None = None
    changes: Changes = Changes()
    prev_hash: str = Field(pattern=HASH_PATTERN)
    hash: str = Field(pattern=HASH_PATTERN)

    @field_validator("tenant_id")
    @classmethod
    def _tenant_id(cls, value: str) -> str:
        if not is_tenant_id(value):
            raise ValueError("not a tenant id")
        return value

    @field_validator("source_ip")
    @classmethod
    def _normalised_ip(cls, value: str | None) -> str | None:
        return None if value is None else str(ipaddress.ip_address(value))

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_serializer("at")
    def _at_text(self, value: datetime) -> str:
        return format_time(value)

    def fields(self) -> dict[str, Any]:
        """The entry as JSON values: exactly what is hashed (without "hash") and stored."""
        return self.model_dump(mode="json")

    def canonical(self) -> bytes:
        return canonical_bytes(self.fields())

    @classmethod
    def seal(cls, **fields: Any) -> AuditEntry:
        """Validate the fields, then compute and attach the hash."""
        draft = cls.model_validate({**fields, "hash": GENESIS_HASH})
        return draft.model_copy(update={"hash": entry_hash(draft.fields())})


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def indexed_copies(entry: AuditEntry) -> dict[str, str]:
    """What the audit table keeps beside an entry's body for list filters; must equal the body's values."""
    return {
        "at": format_time(entry.at),
        "action": entry.action,
        "actor": entry.actor.label,
        "target": entry.target.label,
    }


def canonical_bytes(value: Mapping[str, Any]) -> bytes:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 hex over the canonical form of an entry's fields, leaving out its own "hash"."""
    return hashlib.sha256(canonical_bytes({k: v for k, v in fields.items() if k != "hash"})).hexdigest()


def plain_changes(before: object | None, after: object | None) -> Changes:
    """Before/after of a change: secret-named fields removed, only the top-level fields that differ.

    Either side may be a mapping or a pydantic model; a side that is None (a creation or a
    removal) is recorded whole. Non-JSON values become their JSON form, fractions become text.
    """
    old = _plain_side(before)
    new = _plain_side(after)
    if old is not None and new is not None:
        differing = {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
        old = {k: v for k, v in old.items() if k in differing}
        new = {k: v for k, v in new.items() if k in differing}
    return Changes(before=old, after=new)


def _plain_side(side: object | None) -> dict[str, JsonValue] | None:
    if side is None:
        return None
    value = to_jsonable_python(side.model_dump(mode="json") if isinstance(side, BaseModel) else side)
    if not isinstance(value, dict):
        raise TypeError("a change side must be a mapping or a model")
    return {str(k): _without_secrets(v) for k, v in value.items() if not SECRET_FIELD.search(str(k))}


def _without_secrets(value: Any) -> JsonValue:
    if isinstance(value, dict):
        return {str(k): _without_secrets(v) for k, v in value.items() if not SECRET_FIELD.search(str(k))}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    if isinstance(value, float):
        # Float text differs between JSON libraries; a string hashes the same everywhere.
        return repr(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _refuse_secrets_and_floats(value: JsonValue) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if SECRET_FIELD.search(key):
                raise ValueError(f"field {key!r} looks like a secret and may not be audited")
            _refuse_secrets_and_floats(inner)
    elif isinstance(value, list):
        for inner in value:
            _refuse_secrets_and_floats(inner)
    elif isinstance(value, float):
        raise ValueError("non-integer numbers are stored as strings")


class BreakReason(StrEnum):
    EDITED = "edited"
    MISSING = "missing"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    BAD_SIGNATURE = "bad_signature"
    FORGED = "forged"


@dataclass(frozen=True)
class Defect:
    """Where a chain stops being provable, and why."""

    seq: int
    reason: BreakReason
    detail: str


def inspect_link(
    tenant_id: str, stored_seq: int, body: str, *, expected_seq: int, prev_hash: str | None
) -> AuditEntry | Defect:
    """Check one stored entry as the next link of a chain.

    ``stored_seq`` is where the entry was found (its key, or its line); ``prev_hash`` is the
    hash of the link before it, or None when the walk starts here and the link is vouched
    for otherwise (by a signed checkpoint).
    """
    if stored_seq > expected_seq:
        return Defect(expected_seq, BreakReason.MISSING, f"entry {expected_seq} is missing")
    entry = _sealed_entry(body, expected_seq)
    if isinstance(entry, Defect):
        return entry
    if entry.seq != expected_seq:
        return Defect(
            expected_seq, BreakReason.REORDERED, f"entry {entry.seq} is stored in the place of {expected_seq}"
        )
    if entry.tenant_id != tenant_id:
        return Defect(expected_seq, BreakReason.FORGED, f"entry {expected_seq} belongs to another tenant")
    if prev_hash is not None and entry.prev_hash != prev_hash:
        return Defect(
            expected_seq,
            BreakReason.REORDERED,
            f"entry {expected_seq} does not follow entry {expected_seq - 1}",
        )
    return entry


def _sealed_entry(body: str, expected_seq: int) -> AuditEntry | Defect:
    """The entry in ``body`` if it is well formed and matches its own hash."""
    try:
        fields = json.loads(body)
        claimed = fields["hash"]
        entry = AuditEntry.model_validate(fields)
    except (ValueError, TypeError, KeyError, ValidationError):
        return Defect(expected_seq, BreakReason.EDITED, f"entry {expected_seq} is not a well-formed entry")
    if entry_hash(fields) != claimed:
        return Defect(expected_seq, BreakReason.EDITED, f"entry {expected_seq} does not match its hash")
    return entry
