"""The campaign report's CSV: one row per outcome, the report's fields, nothing a spreadsheet runs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from gatehouse.dispatch.delivery import DeliveryStatus
from gatehouse.dispatch.export import HEADER, csv_lines
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus

AT = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def outcome(**fields: object) -> ContactOutcome:
    base: dict[str, object] = {
        "campaign_id": "cmp_" + "a" * 26,
        "contact_id": "con_" + "b" * 26,
        "status": OutcomeStatus.SENT,
        "attempts": 1,
        "updated_at": AT,
    }
    return ContactOutcome.model_validate({**base, **fields})


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_rows_carry_the_reports_fields_under_one_header() -> None:
    rows = parse(
        "".join(
            csv_lines(
                [
                    outcome(delivery_status=DeliveryStatus.UNDELIVERED, error_code="30003"),
                    outcome(status=OutcomeStatus.DEFERRED, reason="federal_hours", until=AT, attempts=0),
                ],
                header=True,
            )
        )
    )
    assert rows[0] == list(HEADER)
    sent = dict(zip(HEADER, rows[1], strict=True))
    assert (sent["status"], sent["delivery_status"], sent["error_code"]) == ("sent", "undelivered", "30003")
    deferred = dict(zip(HEADER, rows[2], strict=True))
    assert (deferred["reason"], deferred["until"]) == ("federal_hours", AT.isoformat())


def test_a_later_page_has_no_header_and_formulas_stay_text() -> None:
    rows = parse("".join(csv_lines([outcome(error_code="=HYPERLINK(1)")], header=False)))
    assert len(rows) == 1
    assert dict(zip(HEADER, rows[0], strict=True))["error_code"] == "'=HYPERLINK(1)"
