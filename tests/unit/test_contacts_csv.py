"""The contacts CSV reader and writer: every bad row reported by row and field, nothing crashes.

Pure: no AWS. The reader gets bytes in arbitrary chunks, as an S3 body streams them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts.csv_export import HEADER, csv_lines
from gatehouse.contacts.csv_import import (
    MAX_LINE_BYTES,
    ParsedRow,
    RowError,
    lines,
    parse_mapping,
    read_rows,
)
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import (
    ConsentEvidence,
    Contact,
    InvalidPhone,
    normalize_phone,
)
from gatehouse.dnc.stamps import ScrubReason, ScrubSource, ScrubStamp, ScrubStatus
from gatehouse.errors import Invalid
from gatehouse.spreadsheet import neutralise

HEADER_LINE = "phone,first_name,state,tags,consent_type,consent_channels,consent_at,consent_wording\n"
CONSENT = "express_written,sms;voice,2026-01-05T10:00:00Z,I agree to texts and calls"


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def parse(text: str | bytes, *, size: int = 7, mapping: dict[str, str] | None = None) -> list[object]:
    data = text.encode() if isinstance(text, str) else text
    _, rows = read_rows(chunked(data, size), mapping)
    return list(rows)


# ---------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(415) 555-0132", "+14155550132"),
        ("415.555.0132", "+14155550132"),
        ("+1 415 555 0132", "+14155550132"),
        ("1-415-555-0132", "+14155550132"),
        ("787-555-0100", "+17875550100"),  # Puerto Rico
    ],
)
def test_us_numbers_in_common_shapes_become_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "is empty"),
        ("555-0132", "wrong number of digits"),
        ("+44 20 7946 0018", "not a US number"),
        ("(111) 555-0132", "not an assigned number range"),
        ("call me", "is not a phone number"),
        ("4" * 40, "too long"),
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhone, match=reason):
        normalize_phone(raw)


# ---------------------------------------------------------------- lines


def test_lines_survive_any_chunking_and_crlf() -> None:
    data = b"a,b\r\nc,d\n\ne,f"
    for size in range(1, len(data) + 1):
        assert list(lines(chunked(data, size))) == [b"a,b", b"c,d", b"", b"e,f"]


def test_a_ten_megabyte_line_is_skipped_without_being_held() -> None:
    huge = b"+14155550132," + b"x" * (10 * 1024 * 1024) + b"\n"
    data = HEADER_LINE.encode() + huge + b"+14155550133,Ann,CA,,,,,\n"
    rows = parse(data, size=65536)
    assert rows[0] == RowError(2, "*", f"the line is longer than {MAX_LINE_BYTES} bytes")
    assert isinstance(rows[1], ParsedRow)
    assert rows[1].row == 3


# ---------------------------------------------------------------- the header


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("first_name,state\n+14155550132,CA\n", "the header does not fit"),
        ("phone,phone\n+14155550132,x\n", "names a column twice"),
        ("", "no usable header"),
        ('"phone\n+14155550132\n', "not valid CSV"),
    ],
)
def test_header_problems_fail_the_file_before_any_row(text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        parse(text)


def test_bytes_that_are_not_utf8_in_the_header_fail_the_file() -> None:
    with pytest.raises(Invalid, match="not UTF-8"):
        parse(b"ph\xf6ne\n+14155550132\n")


def test_a_mapping_names_the_file_columns() -> None:
    rows = parse("Mobile,First\n(415) 555-0132,Ann\n", mapping=parse_mapping("phone=Mobile,first_name=First"))
    assert isinstance(rows[0], ParsedRow)
    assert (rows[0].contact.phone, rows[0].contact.first_name) == ("+14155550132", "Ann")
    with pytest.raises(Invalid, match="does not fit") as refused:
        parse("Mobile\n4155550132\n", mapping={"phone": "Cell"})
    assert {"field": "phone", "reason": "the mapped column is not in the header"} in refused.value.details
    with pytest.raises(Invalid, match="unknown fields"):
        parse("phone\n4155550132\n", mapping={"shoe_size": "phone"})
    with pytest.raises(Invalid, match="field=Column"):
        parse_mapping("phone")


# ---------------------------------------------------------------- rows


def test_a_good_row_carries_its_consent_evidence() -> None:
    (row,) = parse(HEADER_LINE + f"(415) 555-0132,Ann,ca,vip;east,{CONSENT}\n")
    assert isinstance(row, ParsedRow)
    contact = row.contact
    assert (contact.phone, contact.state, contact.tags) == ("+14155550132", "CA", ["vip", "east"])
    (evidence,) = contact.consent
    assert evidence.channels == [Channel.SMS, Channel.VOICE]
    assert evidence.obtained_at == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert evidence.source == "import"


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        ("555-0132,Ann,CA,,,,,", "phone", "wrong number of digits"),
        ("4155550132,Ann,ZZ,,,,,", "state", "not a US state"),
        ("4155550132,Ann,CA,,express_written,fax,2026-01-05T10:00:00Z,ok", "consent_channels", "sms"),
        ("4155550132,Ann,CA,,express_written,sms,2026-01-05,ok", "consent_at", "timezone"),
        ("4155550132,Ann,CA,,express_written,sms,2026-01-05T10:00:00Z,", "consent", "wording"),
        ("4155550132,Ann,CA,,implied,sms,2026-01-05T10:00:00Z,ok", "consent_type", "express"),
        ('4155550132,"Ann,CA,,,,,', "*", "not valid CSV"),
        ("4155550132,Ann,CA", "*", "3 cells"),
    ],
    ids=[
        "short-phone",
        "unknown-state",
        "bad-channel",
        "naive-time",
        "no-wording",
        "bad-type",
        "quote",
        "cells",
    ],
)
def test_each_bad_row_is_reported_by_row_field_and_reason(line: str, field: str, reason: str) -> None:
    rows = parse(HEADER_LINE + line + "\n+14155550199,Bo,NY,,,,,\n")
    error, good = rows
    assert isinstance(error, RowError)
    assert (error.row, error.field) == (2, field)
    assert reason in error.reason
    assert isinstance(good, ParsedRow)
    assert good.row == 3


def test_row_errors_never_quote_the_value() -> None:
    secretish = "4155550132,Zelda-Secret-Name\x01,CA,,,,,"
    (error,) = parse(HEADER_LINE + secretish + "\n")
    assert isinstance(error, RowError)
    assert "Zelda" not in error.reason


def test_a_row_in_another_encoding_is_one_error_not_the_file() -> None:
    data = (
        HEADER_LINE.encode() + "4155550132,Ren\xe9e,CA,,,,,\n".encode("latin-1") + b"4155550133,Bo,CA,,,,,\n"
    )
    error, good = parse(data)
    assert error == RowError(2, "*", "the row is not UTF-8 text; save the file as UTF-8")
    assert isinstance(good, ParsedRow)


def test_blank_lines_are_skipped_but_counted_as_rows_of_the_file() -> None:
    rows = parse(HEADER_LINE + "\n,,,,,,,\n4155550132,Ann,CA,,,,,\n")
    assert [r.row for r in rows] == [4]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- export


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"])
def test_formula_cells_are_neutralized(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


def test_export_lines_are_valid_csv_and_safe_in_a_spreadsheet() -> None:
    contact = refresh(
        Contact(
            contact_id="con_" + "a" * 26,
            e164="+14155550132",
            first_name="=cmd|' /C calc'!A0",
            state="CA",
            consent=[
                ConsentEvidence(
                    type="express_written",  # type: ignore[arg-type]
                    channels=[Channel.SMS],
                    obtained_at=datetime(2026, 1, 5, tzinfo=UTC),
                    source="import",  # type: ignore[arg-type]
                    wording="yes",
                )
            ],
            dnc=ScrubStamp(
                status=ScrubStatus.CLEAR,
                checked_at=datetime(2026, 1, 6, tzinfo=UTC),
                source=ScrubSource.SANDBOX,
                data_as_of=datetime(2026, 1, 6, tzinfo=UTC),
            ),
            created_at=datetime(2026, 1, 5, tzinfo=UTC),
            created_by="api_key:key_x",
        )
    )
    text = "".join(csv_lines([contact]))
    header, row = list(csv.reader(io.StringIO(text)))
    assert tuple(header) == HEADER
    values = dict(zip(header, row, strict=True))
    assert values["first_name"].startswith("'=")
    assert values["phone"] == "'+14155550132"
    assert (values["sms_eligible"], values["voice_eligible"]) == ("true", "false")
    assert values["voice_reasons"] == "consent_missing"
    assert (values["dnc_status"], values["dnc_data_as_of"]) == ("clear", "2026-01-06T00:00:00+00:00")


def test_a_contact_reached_without_any_dnc_check_is_exported_as_unscrubbed() -> None:
    """DESIGN.md §6 gate 4: running without a provider is acknowledged, never presented as checked."""
    base = {
        "contact_id": "con_" + "b" * 26,
        "e164": "+14155550132",
        "created_at": datetime(2026, 1, 5, tzinfo=UTC),
        "created_by": "api_key:key_x",
    }
    unscrubbed = ScrubStamp(
        status=ScrubStatus.UNSCRUBBED,
        checked_at=datetime(2026, 1, 6, tzinfo=UTC),
        source=ScrubSource.NONE,
        reason=ScrubReason.ACKNOWLEDGED_NO_PROVIDER,
    )
    rows = list(
        csv.DictReader(io.StringIO("".join(csv_lines([Contact(**base, dnc=unscrubbed), Contact(**base)]))))
    )
    assert [(r["dnc_status"], r["dnc_data_as_of"]) for r in rows] == [
        ("unscrubbed", ""),
        ("not_scrubbed", ""),
    ]


# ---------------------------------------------------------------- fuzz


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.integers(min_value=1, max_value=64))
def test_the_reader_never_crashes_on_arbitrary_bytes(data: bytes, size: int) -> None:
    try:
        rows = parse(HEADER_LINE.encode() + data, size=size)
    except Invalid:
        pytest.fail("a valid header must never fail the file")
    for row in rows:
        assert isinstance(row, ParsedRow | RowError)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=30), min_size=1, max_size=9), max_size=20))
def test_the_reader_reports_or_parses_every_nonblank_row(cells: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER_LINE.strip().split(","))
    writer.writerows(cells)
    rows = parse(buffer.getvalue(), size=13)
    numbers = [r.row for r in rows]  # type: ignore[attr-defined]
    assert numbers == sorted(set(numbers))
    assert all(n >= 2 for n in numbers)


def test_a_hundred_thousand_rows_stream_without_the_file_in_memory() -> None:
    """Rows come out as the bytes come in: the reader never runs ahead of the row it yields."""
    pulled = 0

    def big_file() -> Iterator[bytes]:
        nonlocal pulled
        yield HEADER_LINE.encode()
        for start in range(0, 100_000, 1000):
            pulled += 1
            yield "".join(
                f"+1312{2000000 + n:07d},Person {n},IL,,,,,\n" for n in range(start, start + 1000)
            ).encode()

    _, rows = read_rows(big_file())
    count = 0
    for row in rows:
        assert isinstance(row, ParsedRow)
        count += 1
        assert pulled <= count // 1000 + 1  # at most the chunk holding this row has been read
    assert (count, pulled) == (100_000, 100)
