"""Over HTTP on the local runtime: a number is suppressed, checked, listed without the number, and DNC status.

The suppression key is the local runtime's copy of the template's SuppressionKey (an HMAC
key in its emulated KMS), so the whole derivation path runs as it would in AWS.
"""

from __future__ import annotations

import json

from local.runtime import LocalRuntime
from tests.e2e.test_local_http import http


def test_a_member_suppresses_a_number_and_it_is_checked_never_shown(runtime: LocalRuntime) -> None:
    key = runtime.demo.api_key
    status, _, added = http(runtime, "POST", "/suppressions", token=key, body={"number": "(415) 555-0132"})
    assert status in {200, 201}, added
    status, _, checked = http(
        runtime, "POST", "/suppressions/check", token=key, body={"numbers": ["+14155550132", "+14155550133"]}
    )
    assert (status, checked) == (200, {"suppressed": ["+14155550132"]})
    status, _, listed = http(runtime, "GET", "/suppressions", token=key)
    assert status == 200
    assert added["entry"]["ref"] in json.dumps(listed)
    assert "5550132" not in json.dumps(listed)


def test_dnc_status_names_the_missing_provider(runtime: LocalRuntime) -> None:
    status, _, shown = http(runtime, "GET", "/dnc/status", token=runtime.demo.api_key)
    assert status == 200, shown
    assert shown["provider"] in {"none", "registry", "https"}
    assert isinstance(shown["warnings"], list)
