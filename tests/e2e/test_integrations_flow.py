"""An owner connects Twilio over HTTP; only a fingerprint comes back; the provider gets the secret.

The check runs where it would in AWS: the API function (which may only encrypt) invokes
the integration check function through Lambda, which opens the credentials and calls
the sandbox provider, the local stand-in for Twilio.
"""

from __future__ import annotations

import json

from gatehouse.providers.base import CheckStatus
from gatehouse.providers.sandbox import sandbox
from gatehouse.vault import Provider, TwilioCredentials
from local.runtime import LocalRuntime
from tests.e2e.test_local_http import http

AUTH_TOKEN = "9f86d081884c7d659a2feaa0c55ad015"
ACCOUNT_SID = "AC" + "4" * 32
TWILIO = {
    "account_sid": ACCOUNT_SID,
    "auth_token": AUTH_TOKEN,
    "messaging_service_sid": "MG" + "5" * 32,
}


def test_owner_connects_twilio_sees_a_fingerprint_and_the_provider_receives_the_secret(
    runtime: LocalRuntime,
) -> None:
    key = runtime.demo.api_key
    tenant = runtime.demo.tenant_id
    sandbox().reset()

    status, _, connected = http(runtime, "POST", "/integrations/twilio", token=key, body=TWILIO)
    assert status == 201, connected
    assert connected["fingerprint"]["last4"] == {"auth_token": AUTH_TOKEN[-4:]}
    assert connected["settings"]["account_sid"] == ACCOUNT_SID

    for path in ("/integrations", "/integrations/twilio"):
        status, _, shown = http(runtime, "GET", path, token=key)
        assert status == 200
        assert AUTH_TOKEN not in json.dumps(shown)

    status, _, checked = http(runtime, "POST", "/integrations/twilio/test", token=key)
    assert status == 200, checked
    assert (checked["provider"], checked["status"]) == ("twilio", "verified")
    assert AUTH_TOKEN not in json.dumps(checked)

    (call,) = sandbox().calls(tenant)
    assert (call.provider, call.operation) == (Provider.TWILIO, "check")
    assert isinstance(call.credentials, TwilioCredentials)
    assert call.credentials.auth_token is not None
    assert call.credentials.auth_token.get_secret_value() == AUTH_TOKEN

    status, _, entries = http(runtime, "GET", "/audit?limit=100", token=key)
    assert status == 200
    actions = [e["action"] for e in entries["items"]]
    assert {"integration.connected", "integration.tested"} <= set(actions)
    assert AUTH_TOKEN not in json.dumps(entries)

    status, _, revoked = http(runtime, "DELETE", "/integrations/twilio", token=key)
    assert (status, revoked["status"], revoked["fingerprint"]) == (200, "revoked", None)
    status, _, error = http(runtime, "POST", "/integrations/twilio/test", token=key)
    assert (status, error["error"]["code"]) == (404, "integration_not_connected")
    assert len(sandbox().calls(tenant)) == 1


def test_a_refused_check_is_reported_and_audited_not_raised(runtime: LocalRuntime) -> None:
    key = runtime.demo.api_key
    agent = {"agent_id": "agent_e2e", "api_key": "k" * 24, "webhook_secret": "w" * 24}
    status, _, _ = http(runtime, "POST", "/integrations/voice_agent", token=key, body=agent)
    assert status == 201
    sandbox().answer(Provider.VOICE_AGENT, CheckStatus.REJECTED)
    try:
        status, _, checked = http(runtime, "POST", "/integrations/voice_agent/test", token=key)
    finally:
        sandbox().answer(Provider.VOICE_AGENT, None)
    assert (status, checked["status"]) == (200, "rejected")
