"""Reading a contacts CSV as a stream: one record per line, every bad row reported, never the file failing.

Bytes come in chunks (an S3 body, an upload) and are split into lines without ever
holding more than one line (at most ``MAX_LINE_BYTES``) and one chunk in memory; a
longer line is skipped to its end and reported. Each line is decoded and parsed on its
own, so an unterminated quote or bad bytes spoil one row, not the rest of the file:
quoted fields may hold commas and quotes but not line breaks. Row numbers are line
numbers, the header being row 1, as a spreadsheet shows them.

A header problem (no phone column, a column named twice, a mapping to a column the
file lacks) is the file's error and is raised before any row is read. Everything
else is a ``RowError`` naming the row, the field and the reason, never the value.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pydantic import ValidationError

from gatehouse.contacts.records import ConsentSourceKind, ContactInput
from gatehouse.errors import Invalid

MAX_LINE_BYTES: Final = 64 * 1024
MAX_COLUMNS: Final = 64
CONTACT_COLUMNS: Final = (
    "phone",
    "first_name",
    "last_name",
    "email",
    "state",
    "postal_code",
    "tags",
    "external_id",
)
CONSENT_COLUMNS: Final = (
    "consent_type",
    "consent_channels",
    "consent_at",
    "consent_source",
    "consent_source_url",
    "consent_wording",
    "consent_wording_ref",
    "consent_ip",
    "consent_recording_ref",
    # The elements of prior express written consent, 47 CFR 64.1200(f)(9).
    "consent_seller",
    "consent_number",
    "consent_signature_ref",
    "consent_not_condition_of_purchase",
)
COLUMNS: Final = CONTACT_COLUMNS + CONSENT_COLUMNS
LIST_SEPARATOR: Final = ";"


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str


@dataclass(frozen=True)
class ParsedRow:
    row: int
    contact: ContactInput


class ColumnMap:
    """Which file column holds each Gatehouse field: by the header's own names, or as mapped."""

    def __init__(self, header: list[str], mapping: Mapping[str, str] | None = None) -> None:
        names = [name.strip() for name in header]
        if len(names) > MAX_COLUMNS:
            raise Invalid(f"the header has more than {MAX_COLUMNS} columns")
        repeated = sorted({n for n in names if n and names.count(n) > 1})
        if repeated:
            raise Invalid(
                "the header names a column twice",
                details=[{"field": n, "reason": "repeated"} for n in repeated],
            )
        mapping = dict(mapping or {})
        unknown = sorted(set(mapping) - set(COLUMNS))
        if unknown:
            raise Invalid(
                "the mapping names unknown fields",
                details=[{"field": f, "reason": f"not one of {', '.join(COLUMNS)}"} for f in unknown],
            )
        self.index: dict[str, int] = {}
        problems = []
        for field in COLUMNS:
            column = mapping.get(field, field)
            if column in names:
                self.index[field] = names.index(column)
            elif field in mapping:
                problems.append({"field": field, "reason": "the mapped column is not in the header"})
        if "phone" not in self.index:
            problems.append({"field": "phone", "reason": "no column holds the phone number"})
        if problems:
            raise Invalid("the header does not fit", details=problems)
        self.width = len(names)

    def values(self, cells: list[str]) -> dict[str, str]:
        return {field: cells[i].strip() for field, i in self.index.items() if cells[i].strip()}


def parse_mapping(text: str | None) -> dict[str, str]:
    """``field=Column,field=Column`` (as a query parameter carries it) to a dict."""
    if not text:
        return {}
    mapping: dict[str, str] = {}
    for part in text.split(","):
        field, sep, column = part.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise Invalid("mapping must look like field=Column,field=Column")
        mapping[field.strip()] = column.strip()
    return mapping


_TOO_LONG: Final = object()


def lines(chunks: Iterable[bytes], *, max_line: int = MAX_LINE_BYTES) -> Iterator[bytes | object]:
    """Physical lines without their line ending; a line over ``max_line`` bytes yields ``_TOO_LONG``."""
    pending = bytearray()
    skipping = False
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                if not skipping:
                    pending += chunk[start:]
                    if len(pending) > max_line:
                        pending.clear()
                        skipping = True
                break
            if skipping:
                yield _TOO_LONG
                skipping = False
            else:
                pending += chunk[start:end]
                yield _TOO_LONG if len(pending) > max_line else bytes(pending).rstrip(b"\r")
            pending.clear()
            start = end + 1
    if skipping:
        yield _TOO_LONG
    elif pending:
        yield bytes(pending).rstrip(b"\r")


def read_rows(
    chunks: Iterable[bytes], mapping: Mapping[str, str] | None = None
) -> tuple[ColumnMap, Iterator[ParsedRow | RowError]]:
    """The file's column map (header checked now) and its rows, parsed one at a time."""
    stream = lines(chunks)
    header_line = next(stream, None)
    if header_line is None or header_line is _TOO_LONG or not isinstance(header_line, bytes):
        raise Invalid("the file has no usable header line")
    try:
        header_text = header_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("the header is not UTF-8 text; save the file as UTF-8") from None
    header = _cells(header_text)
    if header is None:
        raise Invalid("the header line is not valid CSV")
    columns = ColumnMap(header, mapping)
    return columns, _rows(stream, columns)


def _rows(stream: Iterator[bytes | object], columns: ColumnMap) -> Iterator[ParsedRow | RowError]:
    for number, line in enumerate(stream, start=2):
        if line is _TOO_LONG:
            yield RowError(number, "*", f"the line is longer than {MAX_LINE_BYTES} bytes")
            continue
        assert isinstance(line, bytes)  # lines() yields bytes or the marker
        if not line.strip(b" \t,"):
            continue  # blank lines and rows of empty cells
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            yield RowError(number, "*", "the row is not UTF-8 text; save the file as UTF-8")
            continue
        cells = _cells(text)
        if cells is None:
            yield RowError(number, "*", "the row is not valid CSV (an unclosed quote?)")
            continue
        if len(cells) != columns.width:
            yield RowError(number, "*", f"the row has {len(cells)} cells; the header has {columns.width}")
            continue
        yield parse_row(number, columns.values(cells))


def _cells(text: str) -> list[str] | None:
    if "\x00" in text:
        return None
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def parse_row(number: int, values: dict[str, str]) -> ParsedRow | RowError:
    """One row's values to a validated contact, or the first problem found."""
    data: dict[str, Any] = {k: values[k] for k in CONTACT_COLUMNS if k in values}
    if "tags" in data:
        data["tags"] = [t.strip() for t in data["tags"].split(LIST_SEPARATOR) if t.strip()]
    consent: dict[str, Any] = {k.removeprefix("consent_"): values[k] for k in CONSENT_COLUMNS if k in values}
    if consent:
        consent.setdefault("source", ConsentSourceKind.IMPORT.value)
        if "channels" in consent:
            consent["channels"] = [
                c.strip().lower() for c in consent["channels"].split(LIST_SEPARATOR) if c.strip()
            ]
        if "at" in consent:
            consent["obtained_at"] = _timestamp(consent.pop("at"))
        data["consent"] = [consent]
    try:
        return ParsedRow(number, ContactInput.model_validate(data))
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False, include_context=False)[0]
        return RowError(number, _column_of(first["loc"]), first["msg"].removeprefix("Value error, "))
    except Invalid as exc:  # an unknown state
        return RowError(number, "state", exc.message)


def _timestamp(text: str) -> Any:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text  # validation reports it


def _column_of(loc: tuple[int | str, ...]) -> str:
    if loc and loc[0] == "consent":
        rest = [str(p) for p in loc[2:3]]
        name = {"obtained_at": "at"}.get(rest[0], rest[0]) if rest else ""
        return f"consent_{name}" if name else "consent"
    return str(loc[0]) if loc else "*"
