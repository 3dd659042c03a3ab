"""The integrations API: write-only credentials, checks run where decryption is allowed, live adapters.

The API function connects, updates and revokes through the vault; the test route
invokes the integration check function through (mocked) Lambda, which opens the
credentials and calls the provider adapter. Live adapters are exercised against a
fake provider on loopback, so the real SDKs and HTTP code run.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from gatehouse.config import get_settings
from gatehouse.identity.permissions import Role
from gatehouse.observability import logger
from gatehouse.providers.base import CheckStatus
from gatehouse.providers.live import LiveAdapters
from gatehouse.providers.sandbox import sandbox
from gatehouse.tenancy import TenantScope
from gatehouse.vault import (
    DncCredentials,
    EmailSenderCredentials,
    Integration,
    TwilioCredentials,
    VoiceAgentCredentials,
)
from gatehouse.vault.envelope import _envelope, get_envelope
from tests.conftest import TenantFixture
from tests.support.fake_provider import FakeProvider, fake_provider

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f00dfacecafebeef" + "0123456789abcd42"
API_KEY_SID = "SK" + "fedcba9876543210" * 2
API_KEY_SECRET = "Zq3kVw9TnP2rXs7yLm4hJd8cBf6gHa1e"
AGENT_KEY = "key_live_9f8e7d6c5b4a39281706"
AGENT_HOOK_SECRET = "whsec_Q1w2E3r4T5y6U7i8O9p0"
DNC_KEY = "dnc-api-7H3kP9mQ2xL5vN8w"
TWILIO = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "sender_numbers": ["+15005550006"]}
AGENT = {"agent_id": "agent_4f1c2e", "api_key": AGENT_KEY, "webhook_secret": AGENT_HOOK_SECRET}
SECRETS = (AUTH_TOKEN, API_KEY_SECRET, AGENT_KEY, AGENT_HOOK_SECRET)


@pytest.fixture(autouse=True)
def fresh_sandbox() -> Iterator[None]:
    sandbox().reset()
    yield
    sandbox().reset()


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    """Live adapters pointed at a fake provider on loopback, with a short timeout."""
    with fake_provider() as fake:
        for name, value in {
            "GATEHOUSE_PROVIDER_MODE": "live",
            "GATEHOUSE_TWILIO_BASE_URL": fake.url,
            "GATEHOUSE_VOICE_AGENT_ALLOW_LOOPBACK": "true",
            "GATEHOUSE_DNC_BASE_URL": fake.url,
            "GATEHOUSE_PROVIDER_TIMEOUT_SECONDS": "0.5",
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        yield fake
    get_settings.cache_clear()


def owner(tenant: TenantFixture) -> str:
    return tenant.keys[Role.OWNER]


# ---------------------------------------------------------------- the routes


def test_connect_shows_settings_and_a_fingerprint_never_the_secret(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    reply = api("POST", "/integrations/twilio", body=TWILIO, token=owner(tenant_a))
    assert reply.status == 201, reply.body
    shown = reply.json()
    assert shown["status"] == "connected"
    assert shown["settings"] == {"account_sid": ACCOUNT_SID, "sender_numbers": ["+15005550006"]}
    assert shown["fingerprint"]["last4"] == {"auth_token": AUTH_TOKEN[-4:]}
    assert "sealed" not in shown
    for path in ("/integrations", "/integrations/twilio"):
        listed = api("GET", path, token=tenant_a.keys[Role.ADMIN])
        assert listed.status == 200
        assert AUTH_TOKEN not in listed.body
    assert [i["provider"] for i in api("GET", "/integrations", token=owner(tenant_a)).json()["items"]] == [
        "twilio"
    ]


def test_connecting_twice_conflicts_and_changes_nothing(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    first = api("POST", "/integrations/twilio", body=TWILIO, token=owner(tenant_a)).json()
    again = api(
        "POST", "/integrations/twilio", body={**TWILIO, "auth_token": "e" * 32}, token=owner(tenant_a)
    )
    assert again.status == 409
    assert again.json()["error"]["code"] == "conflict"
    assert api("GET", "/integrations/twilio", token=owner(tenant_a)).json() == first


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/integrations/twilio", {**TWILIO, "account_sid": "AC123"}, 400),
        ("/integrations/twilio", {**TWILIO, "auth_token": "not-hex-" * 4}, 400),
        ("/integrations/twilio", {**TWILIO, "surprise": 1}, 400),
        ("/integrations/voice_agent", {**AGENT, "api_key": "short"}, 400),
        ("/integrations/voice_agent", {**AGENT, "base_url": "https://api.retellai.com.evil.example"}, 400),
        ("/integrations/voice_agent", {**AGENT, "base_url": "http://127.0.0.1:8080"}, 400),
        (
            "/integrations/voice_agent",
            {**AGENT, "vendor": "vapi", "base_url": "https://api.retellai.com"},
            400,
        ),
        ("/integrations/voice_agent", {**AGENT, "vendor": "vapi"}, 400),  # no phone_number_id
        ("/integrations/voice_agent", {**AGENT, "vendor": "bland"}, 400),
        ("/integrations/stripe", TWILIO, 422),
        ("/integrations/twilio", ["not", "an", "object"], 422),
    ],
    ids=[
        "short-sid",
        "token-shape",
        "unknown-field",
        "short-key",
        "base-url-elsewhere",
        "loopback-in-aws",
        "other-vendors-base-url",
        "vapi-without-number",
        "unknown-vendor",
        "unknown-provider",
        "not-an-object",
    ],
)
def test_malformed_credentials_get_a_clear_4xx_that_never_echoes_them(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, path: str, body: Any, status: int
) -> None:
    reply = api("POST", path, body=body, token=owner(tenant_a))
    assert reply.status == status, reply.body
    error = reply.json()["error"]
    assert set(error) == {"code", "message", "request_id", "details"}
    assert error["details"]
    for secret in ("not-hex-", "short", AUTH_TOKEN):
        assert secret not in json.dumps(error["details"])
    assert api("GET", "/integrations", token=owner(tenant_a)).json()["items"] == []


def test_update_and_revoke_through_the_api(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    api("POST", "/integrations/twilio", body=TWILIO, token=owner(tenant_a))
    rotated = api(
        "PATCH",
        "/integrations/twilio",
        body={"api_key_sid": API_KEY_SID, "api_key_secret": API_KEY_SECRET, "auth_token": AUTH_TOKEN},
        token=owner(tenant_a),
    )
    assert rotated.status == 200, rotated.body
    assert set(rotated.json()["fingerprint"]["last4"]) == {"auth_token", "api_key_secret"}
    bad = api("PATCH", "/integrations/twilio", body={"api_key_sid": None}, token=owner(tenant_a))
    assert bad.status == 400  # the sealed API key secret would be left without its SID
    revoked = api("DELETE", "/integrations/twilio", token=owner(tenant_a))
    assert (revoked.status, revoked.json()["status"]) == (200, "revoked")
    again = api("DELETE", "/integrations/twilio", token=owner(tenant_a))
    assert (again.status, again.json()["error"]["code"]) == (404, "integration_not_connected")
    stored = TenantScope(tenant_a.tenant_id).require(Integration, "twilio")
    assert (stored.sealed, stored.settings, stored.fingerprint) == (None, {}, None)


# ---------------------------------------------------------------- the check


def test_the_check_runs_in_the_check_function_and_the_provider_gets_the_secret(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture
) -> None:
    api("POST", "/integrations/twilio", body=TWILIO, token=owner(tenant_a))
    reply = api("POST", "/integrations/twilio/test", token=owner(tenant_a))
    assert reply.status == 200, reply.body
    assert (reply.json()["provider"], reply.json()["status"]) == ("twilio", "verified")
    (call,) = sandbox().calls(tenant_a.tenant_id)
    assert isinstance(call.credentials, TwilioCredentials)
    assert call.credentials.auth_token is not None
    assert call.credentials.auth_token.get_secret_value() == AUTH_TOKEN


def test_the_api_itself_never_opens_credentials(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    api("POST", "/integrations/twilio", body=TWILIO, token=owner(tenant_a))
    monkeypatch.setenv("GATEHOUSE_INTEGRATION_CHECK_FUNCTION", "")
    get_settings.cache_clear()
    reply = api("POST", "/integrations/twilio/test", token=owner(tenant_a))
    assert (reply.status, reply.json()["error"]["code"]) == (503, "vault_unavailable")
    assert sandbox().calls() == []


def test_a_check_function_that_cannot_reach_kms_fails_closed(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture
) -> None:
    api("POST", "/integrations/twilio", body=TWILIO, token=owner(tenant_a))
    _envelope.cache_clear()  # a new process: no data key cached yet
    kms = get_envelope()._cmm.master_key_provider.config.client
    with Stubber(kms) as throttled:
        throttled.add_client_error("decrypt", service_error_code="ThrottlingException", http_status_code=400)
        reply = api("POST", "/integrations/twilio/test", token=owner(tenant_a))
    assert (reply.status, reply.json()["error"]["code"]) == (503, "vault_unavailable")
    assert sandbox().calls() == []


def test_ciphertext_moved_from_another_tenant_is_reported_unreadable_and_never_used(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    api("POST", "/integrations/twilio", body=TWILIO, token=owner(tenant_a))
    api("POST", "/integrations/twilio", body={**TWILIO, "auth_token": "e" * 32}, token=owner(tenant_b))
    scope_b = TenantScope(tenant_b.tenant_id)
    stolen = TenantScope(tenant_a.tenant_id).require(Integration, "twilio").sealed
    scope_b.save(scope_b.require(Integration, "twilio").model_copy(update={"sealed": stolen}))
    reply = api("POST", "/integrations/twilio/test", token=owner(tenant_b))
    assert reply.status == 200, reply.body
    assert reply.json()["status"] == "unreadable"
    assert sandbox().calls() == []


def test_a_full_cycle_leaves_no_secret_in_logs_bodies_or_the_audit_trail(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    token = owner(tenant_a)
    level = logger.log_level
    logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        bodies = [
            api("POST", "/integrations/twilio", body=TWILIO, token=token).body,
            api("POST", "/integrations/voice_agent", body=AGENT, token=token).body,
            api("POST", "/integrations/twilio/test", token=token).body,
            api("POST", "/integrations/voice_agent/test", token=token).body,
            api(
                "PATCH",
                "/integrations/twilio",
                body={"api_key_sid": API_KEY_SID, "api_key_secret": API_KEY_SECRET, "auth_token": AUTH_TOKEN},
                token=token,
            ).body,
            api("POST", "/integrations/twilio/test", token=token).body,
            api("POST", "/integrations/twilio", body={**TWILIO, "account_sid": AUTH_TOKEN}, token=token).body,
            api("GET", "/integrations", token=token).body,
            api("DELETE", "/integrations/twilio", token=token).body,
            api("DELETE", "/integrations/voice_agent", token=token).body,
            api("GET", "/audit", query={"limit": "100"}, token=token).body,
            api("GET", "/audit/export", token=token).body,
        ]
    finally:
        logger.setLevel(level)
    received = [
        value for call in sandbox().calls(tenant_a.tenant_id) for value in call.credentials.secrets().values()
    ]
    assert set(received) == set(SECRETS)  # the provider side did receive every secret
    captured = capfd.readouterr()
    formatter = logger.registered_formatter
    places = {
        "stdout/stderr": captured.out + captured.err,
        "service log lines": "\n".join(formatter.format(r) for r in caplog.records if r.name == logger.name),
        "log records": "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records),
        "response bodies": "\n".join(bodies),
    }
    assert '"message":"integration checked"' in places["service log lines"]
    leaks = [place for place, text in places.items() for secret in SECRETS if secret in text]
    assert leaks == []  # names of the places only: a failure must not print the secret


# ---------------------------------------------------------------- live adapters on loopback


def twilio_credentials(**changes: Any) -> TwilioCredentials:
    return TwilioCredentials.model_validate({**TWILIO, **changes})


def test_twilio_live_check_logs_in_with_the_stored_token(live: FakeProvider) -> None:
    live.reply(f"/2010-04-01/Accounts/{ACCOUNT_SID}.json", 200, {"sid": ACCOUNT_SID, "status": "active"})
    status, detail = LiveAdapters().check("tnt_x", twilio_credentials())
    assert status is CheckStatus.VERIFIED, detail
    (seen,) = live.seen
    assert seen.headers["Authorization"] == "Basic " + base64.b64encode(
        f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()
    ).decode("ascii")


def test_twilio_live_check_tries_the_api_key_too(live: FakeProvider) -> None:
    live.reply(f"/2010-04-01/Accounts/{ACCOUNT_SID}.json", 200, {"sid": ACCOUNT_SID, "status": "active"})
    credentials = twilio_credentials(api_key_sid=API_KEY_SID, api_key_secret=API_KEY_SECRET)
    assert LiveAdapters().check("tnt_x", credentials)[0] is CheckStatus.VERIFIED
    users = {
        base64.b64decode(s.headers["Authorization"].split()[1]).decode().split(":")[0] for s in live.seen
    }
    assert users == {ACCOUNT_SID, API_KEY_SID}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ((401, {"code": 20003, "message": "Authenticate"}), CheckStatus.REJECTED),
        ((200, {"sid": ACCOUNT_SID, "status": "suspended"}), CheckStatus.REJECTED),
        ((503, {"message": "unavailable"}), CheckStatus.UNREACHABLE),
    ],
    ids=["refused", "suspended", "down"],
)
def test_twilio_live_check_reports_refusals_and_outages(
    live: FakeProvider, reply: tuple[int, Any], expected: CheckStatus
) -> None:
    live.reply(f"/2010-04-01/Accounts/{ACCOUNT_SID}.json", *reply)
    status, detail = LiveAdapters().check("tnt_x", twilio_credentials())
    assert status is expected
    assert AUTH_TOKEN not in detail


def test_voice_agent_live_check_sends_the_key_as_a_bearer_token(live: FakeProvider) -> None:
    live.reply(f"/get-agent/{AGENT['agent_id']}", 200, {"agent_id": AGENT["agent_id"]})
    credentials = VoiceAgentCredentials.model_validate({**AGENT, "base_url": live.url})
    assert LiveAdapters().check("tnt_x", credentials)[0] is CheckStatus.VERIFIED
    assert live.seen[0].headers["Authorization"] == f"Bearer {AGENT_KEY}"
    live.reply(f"/get-agent/{AGENT['agent_id']}", 404)
    assert LiveAdapters().check("tnt_x", credentials)[0] is CheckStatus.REJECTED


def test_dnc_live_check_and_a_provider_that_hangs(live: FakeProvider) -> None:
    credentials = DncCredentials.model_validate(
        {"provider_name": "scrubco", "account_id": "acme-01", "api_key": DNC_KEY}
    )
    live.reply("/v1/account", 200, {"account": "acme-01"})
    assert LiveAdapters().check("tnt_x", credentials)[0] is CheckStatus.VERIFIED
    assert live.seen[0].headers["X-Account-Id"] == "acme-01"
    live.reply("/v1/account", 403)
    assert LiveAdapters().check("tnt_x", credentials)[0] is CheckStatus.REJECTED
    live.delay_seconds = 2.0  # longer than the 0.5 s timeout
    assert LiveAdapters().check("tnt_x", credentials)[0] is CheckStatus.UNREACHABLE


def test_an_unreachable_provider_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_provider() as fake:
        closed = fake.url  # the port is closed once the fake stops
    monkeypatch.setenv("GATEHOUSE_VOICE_AGENT_ALLOW_LOOPBACK", "true")
    get_settings.cache_clear()
    try:
        credentials = VoiceAgentCredentials.model_validate({**AGENT, "base_url": closed})
        assert LiveAdapters().check("tnt_x", credentials)[0] is CheckStatus.UNREACHABLE
    finally:
        get_settings.cache_clear()


def test_email_sender_check_asks_ses_about_the_address_or_its_domain(aws: None) -> None:
    credentials = EmailSenderCredentials.model_validate({"from_address": "no-reply@mail.acme.example"})
    assert LiveAdapters().check("tnt_x", credentials)[0] is CheckStatus.REJECTED
    boto3.client("sesv2").create_email_identity(EmailIdentity="mail.acme.example")
    status, detail = LiveAdapters().check("tnt_x", credentials)
    assert status is CheckStatus.VERIFIED, detail
