"""Scrubbing through the tenant's source: none, acknowledged, registry, sandbox, and HTTPS against a fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse.aws_calls import AwsCall, AwsCallCounter
from gatehouse.compliance.state_rules import RULES
from gatehouse.config import get_settings
from gatehouse.dnc import (
    WORDING,
    LoadKind,
    ScrubReason,
    ScrubSource,
    ScrubStatus,
    StateListAnswer,
    acknowledge,
    load,
    scrub,
)
from gatehouse.identity.caller import Caller, operator
from gatehouse.providers.base import CheckStatus
from gatehouse.providers.sandbox import sandbox
from gatehouse.vault import Provider, connect, revoke
from tests.conftest import TenantFixture
from tests.support.fake_provider import FakeProvider, fake_provider

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DNC_KEY = "dnc-api-7H3kP9mQ2xL5vN8w"
HTTPS_DNC = {"provider_name": "scrubco", "account_id": "acme-01", "api_key": DNC_KEY}


def ops(t: TenantFixture) -> Caller:
    return operator(t.tenant_id, "ops", request_id="req-1")


@pytest.fixture(autouse=True)
def fresh_sandbox() -> Iterator[None]:
    sandbox().reset()
    yield
    sandbox().reset()


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    with fake_provider() as fake:
        monkeypatch.setenv("GATEHOUSE_PROVIDER_MODE", "live")
        monkeypatch.setenv("GATEHOUSE_DNC_BASE_URL", fake.url)
        # Long enough for a 1,000-number reply on a loaded machine, short next to a hang.
        monkeypatch.setenv("GATEHOUSE_PROVIDER_TIMEOUT_SECONDS", "3")
        get_settings.cache_clear()
        yield fake
    get_settings.cache_clear()


def provider_answering(  # type: ignore[no-untyped-def]
    listed: set[str],
    *,
    drop: set[str] = frozenset(),  # type: ignore[assignment]
    as_of: str | None = "now",  # the data version the reply names; None: the reply names none
    state_lists: dict[str, str] | None = None,
):
    def answer(body: Any) -> tuple[int, Any]:
        results = [{"number": n, "listed": n in listed} for n in body["numbers"] if n not in drop]
        reply: dict[str, Any] = {"results": results}
        if as_of is not None:
            reply["as_of"] = datetime.now(UTC).isoformat() if as_of == "now" else as_of
        if state_lists is not None:
            reply["state_lists"] = state_lists
        return 200, reply

    return answer


def test_no_provider_fails_closed(tenant_a: TenantFixture) -> None:
    stamps = scrub(tenant_a.scope, ["+12025550143"], clock=lambda: NOW)
    stamp = stamps["+12025550143"]
    assert (stamp.status, stamp.reason, stamp.source) == (
        ScrubStatus.ERROR,
        ScrubReason.NO_PROVIDER,
        ScrubSource.NONE,
    )
    assert not stamp.dialable
    assert stamp.checked_at == NOW


def test_an_acknowledged_tenant_is_unscrubbed_never_clear(tenant_a: TenantFixture) -> None:
    acknowledge(tenant_a.scope, ops(tenant_a), WORDING)
    stamp = scrub(tenant_a.scope, ["+12025550143"])["+12025550143"]
    assert stamp.status is ScrubStatus.UNSCRUBBED
    assert stamp.reason is ScrubReason.ACKNOWLEDGED_NO_PROVIDER
    assert stamp.dialable


def test_a_malformed_number_is_an_error_stamp_not_an_exception(tenant_a: TenantFixture) -> None:
    stamps = scrub(tenant_a.scope, ["2025550143", "+12025550143"])
    assert stamps["2025550143"].reason is ScrubReason.INVALID_NUMBER
    assert stamps["+12025550143"].reason is ScrubReason.NO_PROVIDER


def test_a_registry_integration_scrubs_against_the_loaded_files(tenant_a: TenantFixture) -> None:
    report = load(tenant_a.scope, ops(tenant_a), "202", ["2025550143"], LoadKind.FULL)
    connect(
        tenant_a.scope,
        ops(tenant_a),
        Provider.DNC,
        {"provider_name": "ftc", "registry_ref": report.registry_ref},
    )
    stamps = scrub(tenant_a.scope, ["+12025550143", "+12025550144", "+13125550100"])
    assert stamps["+12025550143"].status is ScrubStatus.LISTED
    assert stamps["+12025550144"].status is ScrubStatus.CLEAR
    assert stamps["+13125550100"].reason is ScrubReason.REGISTRY_MISSING
    assert sandbox().calls(tenant_a.tenant_id) == []


def test_the_sandbox_answers_by_the_last_four_digits_and_records_the_call(tenant_a: TenantFixture) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    stamps = scrub(tenant_a.scope, ["+12025550000", "+12025559999", "+12025550143"])
    assert stamps["+12025550000"].status is ScrubStatus.LISTED
    assert stamps["+12025559999"].status is ScrubStatus.LISTED
    assert stamps["+12025550143"].status is ScrubStatus.CLEAR
    assert stamps["+12025550143"].source is ScrubSource.SANDBOX
    (call,) = sandbox().calls(tenant_a.tenant_id)
    assert call.operation == "dnc_lookup"


def test_a_failing_sandbox_fails_closed(tenant_a: TenantFixture) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    sandbox().answer(Provider.DNC, CheckStatus.UNREACHABLE)
    stamp = scrub(tenant_a.scope, ["+12025550143"])["+12025550143"]
    assert (stamp.status, stamp.reason) == (ScrubStatus.ERROR, ScrubReason.PROVIDER_UNAVAILABLE)


def test_a_revoked_provider_is_no_provider_again(tenant_a: TenantFixture) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    revoke(tenant_a.scope, ops(tenant_a), Provider.DNC)
    assert scrub(tenant_a.scope, ["+12025550143"])["+12025550143"].reason is ScrubReason.NO_PROVIDER


def test_https_provider_gets_the_numbers_the_key_and_the_account(
    live: FakeProvider, tenant_a: TenantFixture
) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    live.handlers["/v1/scrub"] = provider_answering({"+12025550143"})
    stamps = scrub(tenant_a.scope, ["+12025550143", "+12025550144"])
    assert stamps["+12025550143"].status is ScrubStatus.LISTED
    assert stamps["+12025550144"].status is ScrubStatus.CLEAR
    assert stamps["+12025550144"].source is ScrubSource.HTTPS
    (seen,) = live.seen
    assert (seen.method, seen.path) == ("POST", "/v1/scrub")
    assert seen.headers["Authorization"] == f"Bearer {DNC_KEY}"
    assert seen.headers["X-Account-Id"] == "acme-01"
    assert seen.json() == {"numbers": ["+12025550143", "+12025550144"]}


def test_https_lookups_go_out_1000_numbers_at_a_time(live: FakeProvider, tenant_a: TenantFixture) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    live.handlers["/v1/scrub"] = provider_answering(set())
    numbers = [f"+1202555{n:04d}" for n in range(1500)]
    stamps = scrub(tenant_a.scope, numbers)
    assert {s.status for s in stamps.values()} == {ScrubStatus.CLEAR}
    assert [len(s.json()["numbers"]) for s in live.seen] == [1000, 500]


def test_a_number_missing_from_the_reply_is_an_error(live: FakeProvider, tenant_a: TenantFixture) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    live.handlers["/v1/scrub"] = provider_answering(set(), drop={"+12025550144"})
    stamps = scrub(tenant_a.scope, ["+12025550143", "+12025550144"])
    assert stamps["+12025550143"].status is ScrubStatus.CLEAR
    assert stamps["+12025550144"].reason is ScrubReason.NOT_IN_REPLY


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (500, {"message": "down"}, ScrubReason.PROVIDER_UNAVAILABLE),
        (503, b"<html>", ScrubReason.PROVIDER_UNAVAILABLE),
        (401, {"message": "bad key"}, ScrubReason.PROVIDER_REFUSED),
        (422, {"message": "bad numbers"}, ScrubReason.PROVIDER_REFUSED),
        (200, b"not json", ScrubReason.PROVIDER_MALFORMED),
        (200, {"results": "nope"}, ScrubReason.PROVIDER_MALFORMED),
        (200, {"results": [{"number": "+12025550143", "listed": "yes"}]}, ScrubReason.PROVIDER_MALFORMED),
        (200, ["not", "an", "object"], ScrubReason.PROVIDER_MALFORMED),
    ],
    ids=["500", "503-html", "401", "422", "not-json", "results-not-list", "listed-not-bool", "not-object"],
)
def test_provider_trouble_fails_every_number_closed(
    live: FakeProvider, tenant_a: TenantFixture, status: int, body: Any, reason: ScrubReason
) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    live.reply("/v1/scrub", status, body)
    stamps = scrub(tenant_a.scope, ["+12025550143", "+12025550144"])
    assert {(s.status, s.reason) for s in stamps.values()} == {(ScrubStatus.ERROR, reason)}


def test_a_provider_that_hangs_fails_closed(live: FakeProvider, tenant_a: TenantFixture) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    live.handlers["/v1/scrub"] = provider_answering(set())
    live.delay_seconds = 6.0
    stamp = scrub(tenant_a.scope, ["+12025550143"])["+12025550143"]
    assert stamp.reason is ScrubReason.PROVIDER_UNAVAILABLE


def test_no_endpoint_configured_fails_closed(
    tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    monkeypatch.setenv("GATEHOUSE_PROVIDER_MODE", "live")
    monkeypatch.setenv("GATEHOUSE_DNC_BASE_URL", "")
    get_settings.cache_clear()
    try:
        stamp = scrub(tenant_a.scope, ["+12025550143"])["+12025550143"]
    finally:
        get_settings.cache_clear()
    assert stamp.reason is ScrubReason.PROVIDER_UNAVAILABLE


def test_the_api_delegates_provider_lookups_to_the_check_function(tenant_a: TenantFixture) -> None:
    """The tests' environment is the API's: it names the check function, which opens the credentials."""
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    numbers = [f"+1202555{n:04d}" for n in range(1500)]
    with AwsCallCounter() as calls:
        stamps = scrub(tenant_a.scope, numbers)
    assert calls.counts()[AwsCall("lambda", "Invoke")] == 2
    assert stamps["+12025550000"].status is ScrubStatus.LISTED
    assert len(sandbox().calls(tenant_a.tenant_id)) == 2


def test_a_function_that_may_decrypt_looks_up_itself(
    tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    monkeypatch.setenv("GATEHOUSE_INTEGRATION_CHECK_FUNCTION", "")
    get_settings.cache_clear()
    try:
        with AwsCallCounter() as calls:
            stamp = scrub(tenant_a.scope, ["+12025559999"])["+12025559999"]
    finally:
        get_settings.cache_clear()
    assert stamp.status is ScrubStatus.LISTED
    assert calls.counts()[AwsCall("lambda", "Invoke")] == 0


def test_a_check_function_that_cannot_run_fails_closed(
    tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    monkeypatch.setenv("GATEHOUSE_INTEGRATION_CHECK_FUNCTION", "no-such-function")
    get_settings.cache_clear()
    try:
        stamp = scrub(tenant_a.scope, ["+12025550143"])["+12025550143"]
    finally:
        get_settings.cache_clear()
    assert (stamp.status, stamp.reason) == (ScrubStatus.ERROR, ScrubReason.PROVIDER_UNAVAILABLE)


# ---------------------------------------------------------------- the version of the data


def test_an_https_answer_names_the_providers_as_of_date_and_its_state_lists(
    live: FakeProvider, tenant_a: TenantFixture
) -> None:
    """16 CFR 310.4(b)(3)(iv): the 31 days count from the registry version the provider used."""
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    as_of = "2026-11-20T06:00:00+00:00"
    live.handlers["/v1/scrub"] = provider_answering(set(), as_of=as_of, state_lists={"TX": as_of})
    stamp = scrub(tenant_a.scope, ["+15125550143"], clock=lambda: NOW)["+15125550143"]
    assert (stamp.status, stamp.checked_at) == (ScrubStatus.CLEAR, NOW)
    assert stamp.data_as_of == datetime(2026, 11, 20, 6, tzinfo=UTC)
    assert stamp.state_lists["TX"] == StateListAnswer(listed=False, as_of=stamp.data_as_of)


def test_an_undated_provider_reply_is_no_answer(live: FakeProvider, tenant_a: TenantFixture) -> None:
    """Fail closed (DESIGN.md §6 gate 4): data of unknown age cannot show it is at most 31 days old."""
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    live.handlers["/v1/scrub"] = provider_answering(set(), as_of=None)
    stamp = scrub(tenant_a.scope, ["+12025550143"], clock=lambda: NOW)["+12025550143"]
    assert (stamp.status, stamp.reason) == (ScrubStatus.ERROR, ScrubReason.PROVIDER_UNDATED)
    assert stamp.source_failed  # the source failed: the campaign pauses, nothing is dialed


@pytest.mark.parametrize(
    ("ahead", "status", "reason"),
    [
        (timedelta(minutes=4), ScrubStatus.CLEAR, None),  # within the clock skew allowed
        (timedelta(minutes=6), ScrubStatus.ERROR, ScrubReason.PROVIDER_DATED_AHEAD),
        (timedelta(days=3), ScrubStatus.ERROR, ScrubReason.PROVIDER_DATED_AHEAD),
    ],
    ids=["skew", "beyond-skew", "days-ahead"],
)
def test_a_provider_as_of_date_in_the_future_is_not_trusted(
    live: FakeProvider,
    tenant_a: TenantFixture,
    ahead: timedelta,
    status: ScrubStatus,
    reason: ScrubReason | None,
) -> None:
    """16 CFR 310.4(b)(3)(iv): a version dated ahead of the call cannot prove its age, so it is no answer."""
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    live.handlers["/v1/scrub"] = provider_answering(set(), as_of=(NOW + ahead).isoformat())
    stamp = scrub(tenant_a.scope, ["+12025550143"], clock=lambda: NOW)["+12025550143"]
    assert (stamp.status, stamp.reason) == (status, reason)


def test_a_state_list_dated_ahead_makes_the_reply_untrusted(
    live: FakeProvider, tenant_a: TenantFixture
) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    ahead = (NOW + timedelta(days=1)).isoformat()
    live.handlers["/v1/scrub"] = provider_answering(set(), as_of=NOW.isoformat(), state_lists={"TX": ahead})
    stamp = scrub(tenant_a.scope, ["+12025550143"], clock=lambda: NOW)["+12025550143"]
    assert stamp.reason is ScrubReason.PROVIDER_DATED_AHEAD


def test_an_as_of_date_without_a_zone_is_an_unreadable_reply(
    live: FakeProvider, tenant_a: TenantFixture
) -> None:
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    live.handlers["/v1/scrub"] = provider_answering(set(), as_of="2026-11-20T06:00:00")
    stamp = scrub(tenant_a.scope, ["+12025550143"], clock=lambda: NOW)["+12025550143"]
    assert stamp.reason is ScrubReason.PROVIDER_MALFORMED


def test_the_sandbox_dates_its_answers_by_the_callers_clock(tenant_a: TenantFixture) -> None:
    """A pinned clock more than 31 days ahead still gets a fresh stamp (the scrub takes the caller's now)."""
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    later = datetime.now(UTC) + timedelta(days=45)
    stamp = scrub(tenant_a.scope, ["+15125550143"], clock=lambda: later)["+15125550143"]
    assert (stamp.checked_at, stamp.data_as_of) == (later, later)
    assert stamp.current(later)
    assert set(stamp.state_lists) == set(RULES.dnc_list_states())


def test_an_answer_relies_on_its_area_codes_registry_version(tenant_a: TenantFixture) -> None:
    """16 CFR 310.4(b)(3)(iv): a provider answering from an older file for one area code dates it so."""
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, HTTPS_DNC)
    stamps = scrub(tenant_a.scope, ["+15125550143", "+19075550142"], clock=lambda: NOW)
    assert stamps["+15125550143"].data_as_of == NOW
    alaska = stamps["+19075550142"]
    assert alaska.data_as_of == NOW - timedelta(days=40)  # the sandbox's 907 file
    assert not alaska.current(NOW)


def test_a_registry_answer_is_versioned_by_its_area_codes_load(tenant_a: TenantFixture) -> None:
    """16 CFR 310.4(b)(3)(iv): a file 30 days old at the scrub is good for one more day, then stale."""
    loaded_at = NOW - timedelta(days=30)
    report = load(
        tenant_a.scope, ops(tenant_a), "202", ["2025550143"], LoadKind.FULL, clock=lambda: loaded_at
    )
    connect(
        tenant_a.scope,
        ops(tenant_a),
        Provider.DNC,
        {"provider_name": "ftc", "registry_ref": report.registry_ref},
    )
    stamp = scrub(tenant_a.scope, ["+12025550144"], clock=lambda: NOW)["+12025550144"]
    assert (stamp.status, stamp.data_as_of) == (ScrubStatus.CLEAR, loaded_at)
    assert stamp.current(NOW + timedelta(days=1))
    assert not stamp.current(NOW + timedelta(days=2))  # the file is 32 days old on the day of the call
    stale = scrub(tenant_a.scope, ["+12025550144"], clock=lambda: NOW + timedelta(days=2))["+12025550144"]
    assert (stale.status, stale.reason) == (ScrubStatus.ERROR, ScrubReason.REGISTRY_STALE)
