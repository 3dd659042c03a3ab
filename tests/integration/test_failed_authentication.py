"""Failed API-key and cookie authentication: counted (a metric an alarm watches) and limited.

A presented credential that fails was only a generic log line. Now each failure adds to
``AuthenticationFailed`` and to sliding-window limits per source IP and per key id; a
caller past either gets 429 in the one error shape, while others are still answered 401.
"""

from __future__ import annotations

import pytest

from gatehouse.identity.limits import AUTH_FAILURES_PER_KEY, AUTH_FAILURES_PER_SOURCE
from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture

WRONG_SECRET = "A" * 43


def _wrong_secret_for(token: str) -> str:
    return token.rsplit("_", 1)[0] + "_" + WRONG_SECRET


def test_failed_api_key_attempts_are_limited_per_key_id_whatever_the_source(
    api, tenant_a: TenantFixture, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    forged = _wrong_secret_for(tenant_a.keys[Role.VIEWER])
    statuses = [
        api("GET", "/contacts", token=forged, source_ip=f"198.51.100.{n}").status
        for n in range(AUTH_FAILURES_PER_KEY.max_hits + 1)
    ]

    limited = api("GET", "/contacts", token=forged, source_ip="198.51.100.250")
    emitted = capsys.readouterr().out

    assert statuses == [401] * AUTH_FAILURES_PER_KEY.max_hits + [429]
    assert set(limited.json()["error"]) == {"code", "message", "request_id", "details"}
    assert (limited.status, limited.json()["error"]["code"]) == (429, "rate_limited")
    assert emitted.count('"AuthenticationFailed":[1.0]') >= AUTH_FAILURES_PER_KEY.max_hits
    assert api("GET", "/contacts", token=tenant_a.keys[Role.VIEWER], source_ip="198.51.100.251").status == 200


def test_failed_attempts_are_limited_per_source_ip(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    source = "203.0.113.7"
    statuses = [
        api("GET", "/contacts", headers={"Authorization": f"Bearer ghk_nope{n}"}, source_ip=source).status
        for n in range(AUTH_FAILURES_PER_SOURCE.max_hits + 1)
    ]

    assert statuses == [401] * AUTH_FAILURES_PER_SOURCE.max_hits + [429]
    assert api("GET", "/contacts", token="ghk_nope", source_ip="203.0.113.8").status == 401


def test_failed_session_cookies_count_against_the_source_too(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    source = "203.0.113.9"
    cookie = {"Cookie": "__Host-gatehouse_session=ghs_" + "x" * 43}
    statuses = [
        api("GET", "/contacts", headers=cookie, source_ip=source).status
        for _ in range(AUTH_FAILURES_PER_SOURCE.max_hits + 1)
    ]

    assert statuses == [401] * AUTH_FAILURES_PER_SOURCE.max_hits + [429]
