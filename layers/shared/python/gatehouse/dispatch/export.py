"""A campaign report as CSV, written a page at a time, safe to open in a spreadsheet.

One row per contact of the campaign, the same fields as the report's JSON (ids only, no
number or name: the report never carries personal data), each cell neutralised against
formula injection (``gatehouse.spreadsheet``). ``dnc_status`` says ``unscrubbed`` for a
contact reached without any DNC check (no provider, on the owner's acknowledgment).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Final

from gatehouse.dispatch.outcomes import ContactOutcome
from gatehouse.spreadsheet import neutralise

HEADER: Final = (
    "contact_id",
    "status",
    "reason",
    "until",
    "attempts",
    "updated_at",
    "delivery_status",
    "error_code",
    "duration_seconds",
    "dnc_status",
)


def row_of(outcome: ContactOutcome) -> list[str]:
    values = [
        outcome.contact_id,
        outcome.status.value,
        outcome.reason or "",
        outcome.until.isoformat() if outcome.until else "",
        str(outcome.attempts),
        outcome.updated_at.isoformat(),
        outcome.delivery_status.value if outcome.delivery_status else "",
        outcome.error_code or "",
        "" if outcome.duration_seconds is None else str(outcome.duration_seconds),
        outcome.dnc_status or "",
    ]
    return [neutralise(v) for v in values]


def csv_lines(outcomes: Iterable[ContactOutcome], *, header: bool) -> Iterator[str]:
    """CSV text lines (CRLF-terminated), the header first when asked."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(HEADER)
    for outcome in outcomes:
        writer.writerow(row_of(outcome))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    rest = buffer.getvalue()
    if rest:
        yield rest
