"""The demo CSV imported over HTTP on the local runtime: a per-row report and eligibility row by row.

The demo tenant has the sandbox DNC provider connected (it lists numbers ending 0000
or 9999) and one number on its suppression list, as ``make run`` seeds it. The import
goes the way it goes in AWS: the API parks the file in the import bucket and invokes
the intake function asynchronously, which streams, checks, scrubs and writes it.
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from local.runtime import LocalRuntime
from tests.e2e.test_local_http import http

DEMO_CSV = Path(__file__).resolve().parents[2] / "demo" / "contacts.csv"

# Row by row, what intake must decide: (phone, sms reasons, voice reasons), or the row error.
EXPECTED_CONTACTS = {
    2: ("+14155550132", [], []),  # Ann: consent for both, scrubbed clear, one zone
    3: ("+13125550143", ["consent_missing"], ["consent_missing"]),  # Bo: no evidence
    4: ("+13055550166", ["consent_missing"], []),  # Cy: voice consent only; Florida spans two zones
    5: ("+15125550000", ["dnc_listed"], ["consent_missing", "dnc_listed"]),  # Di: on the registry
    6: ("+12065550177", ["suppressed"], ["suppressed"]),  # Ed: texted STOP before
    7: ("+13175550188", [], []),  # Fay: Indiana, every zone of the state
    8: ("+16025550119", [], []),  # Gil: Arizona and the Navajo Nation
    13: ("+18005550199", ["zone_unknown"], ["zone_unknown"]),  # Kit: toll-free, no state: no zone
    14: ("+14045550156", [], ["consent_missing"]),  # a formula in the name, stored as text
    16: ("+12075550124", [], []),  # Max: Maine
    17: ("+12125550131", [], ["consent_missing"]),  # Nia: written consent lacking (f)(9) elements
    18: ("+19075550142", [], ["consent_missing"]),  # Oli: Alaska, whose registry data is old
}
EXPECTED_ERRORS = {
    9: "phone",  # 555-0100: no area code
    10: "state",  # ZZ
    11: "phone",  # repeats row 2's number
    12: "consent_at",  # no timezone
    15: "*",  # not UTF-8
}


def upload(runtime: LocalRuntime, key: str, data: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(runtime.api_url + "/contacts/imports", data=data, method="POST")
    request.add_header("Content-Type", "text/csv")
    request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def test_the_demo_file_gives_a_row_by_row_report_and_eligibility(runtime: LocalRuntime) -> None:
    key = runtime.demo.api_key
    status, started = upload(runtime, key, DEMO_CSV.read_bytes())
    assert status == 202, started
    for _ in range(400):
        _, _, job = http(runtime, "GET", f"/contacts/imports/{started['import_id']}", token=key)
        if job["status"] in {"completed", "failed"}:
            break
        time.sleep(0.05)
    assert job["status"] == "completed", job
    assert job["counts"] == {"rows": 17, "created": 12, "updated": 0, "unchanged": 0, "errors": 5}

    _, _, report = http(runtime, "GET", f"/contacts/imports/{started['import_id']}/errors", token=key)
    assert {e["row"]: e["field"] for e in report["items"]} == EXPECTED_ERRORS

    _, _, listed = http(runtime, "GET", "/contacts?limit=100", token=key)
    by_phone = {c["phone"]: c for c in listed["items"]}
    assert len(by_phone) == len(EXPECTED_CONTACTS)
    for row, (phone, sms, voice) in EXPECTED_CONTACTS.items():
        contact = by_phone[phone]
        got = (contact["eligibility"]["sms"]["reasons"], contact["eligibility"]["voice"]["reasons"])
        assert got == (sms, voice), f"row {row}"
        assert contact["eligibility"]["sms"]["eligible"] is (not sms)
        assert contact["dnc"] is not None, f"row {row} was not scrubbed"
    assert by_phone["+13055550166"]["zones"] == ["America/Chicago", "America/New_York"]
    assert "America/Phoenix" in by_phone["+16025550119"]["zones"]
    assert "America/Denver" in by_phone["+16025550119"]["zones"]
    assert by_phone["+18005550199"]["zones"] == []

    _, _, exported = http(runtime, "GET", "/contacts/export", token=key)
    table = {r["phone"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert table["'+14045550156"]["first_name"].startswith("'=HYPERLINK")
