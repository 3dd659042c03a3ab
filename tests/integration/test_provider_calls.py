"""Placing calls: the live adapters against a fake provider on loopback, and the recording sandbox.

A live call is one request, never retried; a 5xx, a refusal, a timeout or an unreadable
reply is a refused receipt with a fixed code, never an exception and never provider text.
The sandbox records the call and, while callbacks run, posts them only to this deployment.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest

from gatehouse.config import get_settings
from gatehouse.contacts.keys import contact_id_for
from gatehouse.providers.base import CallRequest
from gatehouse.providers.live import LiveAdapters
from gatehouse.providers.sandbox import SandboxAdapters
from gatehouse.providers.sandbox_callbacks import Callback, CallbackPoster
from gatehouse.providers.sandbox_calls import DEFAULT_SCRIPT, SANDBOX_SPOKEN_REVOCATION_SUFFIX, call_callbacks
from gatehouse.vault import Provider
from gatehouse.vault.schemas import TwilioCredentials, VoiceAgentCredentials, VoiceVendor
from gatehouse.webhooks import voice_events
from tests.conftest import TenantFixture
from tests.support.events import proxy_event
from tests.support.fake_provider import FakeProvider, fake_provider
from tests.support.webhooks import HOST, TWILIO_CREDENTIALS, VAPI_CREDENTIALS, VOICE_CREDENTIALS, connected

TENANT = "tnt_" + "a" * 26
AGENT = VoiceAgentCredentials.model_validate(VOICE_CREDENTIALS)
TWILIO = TwilioCredentials.model_validate(TWILIO_CREDENTIALS)
ACCOUNT = TWILIO_CREDENTIALS["account_sid"]
CALLS_PATH = f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
CALL = CallRequest(
    to="+12125550141",
    caller_id="+15005550006",
    agent_id="agent_demo",
    max_duration_seconds=300,
    metadata={"campaign_id": "cmp_x", "contact_id": "con_y"},
    variables={"business_name": "Acme Dental"},
    status_callback="https://api.gatehouse.test/webhooks/voice-agent/whk_abc",
)


def at(fake: FakeProvider, credentials: dict[str, str]) -> VoiceAgentCredentials:
    """The tenant's voice agent credentials, naming the fake vendor on loopback as their base URL."""
    return VoiceAgentCredentials.model_validate({**credentials, "base_url": fake.url})


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    with fake_provider() as fake:
        for name, value in {
            "GATEHOUSE_PROVIDER_MODE": "live",
            "GATEHOUSE_TWILIO_BASE_URL": fake.url,
            "GATEHOUSE_VOICE_AGENT_ALLOW_LOOPBACK": "true",
            "GATEHOUSE_PROVIDER_TIMEOUT_SECONDS": "0.5",
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        yield fake
    get_settings.cache_clear()


# ---------------------------------------------------------------- the voice agent


def test_retell_places_a_call_with_ids_as_metadata_and_the_campaigns_variables(live: FakeProvider) -> None:
    live.reply("/v2/create-phone-call", 201, {"call_id": "call_8f2e", "call_status": "registered"})
    receipt = LiveAdapters().place_call(TENANT, at(live, VOICE_CREDENTIALS), CALL)
    assert (receipt.accepted, receipt.provider_ref) == (True, "call_8f2e")
    (seen,) = live.seen
    assert seen.headers["Authorization"] == f"Bearer {VOICE_CREDENTIALS['api_key']}"
    assert seen.json() == {
        "from_number": "+15005550006",
        "to_number": "+12125550141",
        "override_agent_id": "agent_demo",
        "metadata": {"campaign_id": "cmp_x", "contact_id": "con_y"},
        "retell_llm_dynamic_variables": {"business_name": "Acme Dental"},
    }


def test_vapi_places_a_call_from_the_tenants_vapi_number(live: FakeProvider) -> None:
    live.reply("/call", 201, {"id": "6e2f1c0a-3b9d-4c4e-9a57-2d4f3b1e8c70", "status": "queued"})
    receipt = LiveAdapters().place_call(TENANT, at(live, VAPI_CREDENTIALS), CALL)
    assert (receipt.accepted, receipt.provider_ref) == (True, "6e2f1c0a-3b9d-4c4e-9a57-2d4f3b1e8c70")
    (seen,) = live.seen
    assert seen.headers["Authorization"] == f"Bearer {VAPI_CREDENTIALS['api_key']}"
    assert seen.json() == {
        "assistantId": "agent_demo",
        "phoneNumberId": "pn_demo_0001",
        "customer": {"number": "+12125550141"},
        "assistantOverrides": {
            "variableValues": {"business_name": "Acme Dental"},
            "metadata": {"campaign_id": "cmp_x", "contact_id": "con_y"},
        },
    }


def test_a_voice_agent_key_never_goes_to_a_base_url_outside_the_allow_list(
    live: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = at(live, VOICE_CREDENTIALS)
    monkeypatch.setenv("GATEHOUSE_VOICE_AGENT_ALLOW_LOOPBACK", "false")  # as in every AWS deployment
    get_settings.cache_clear()
    receipt = LiveAdapters().place_call(TENANT, credentials, CALL)
    assert (receipt.accepted, receipt.error) == (False, "voice_agent_base_not_allowed")
    assert live.seen == []


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (500, {"error": "boom +12125550141"}, "voice_agent_unavailable"),
        (503, b"<html>down</html>", "voice_agent_unavailable"),
        (401, {"error": "bad key"}, "voice_agent_refused"),
        (422, {"error": "bad number"}, "voice_agent_refused"),
        (201, {"no_call_id": True}, "voice_agent_malformed"),
        (201, {"call_id": "../../etc"}, "voice_agent_malformed"),
        (200, b"not json", "voice_agent_malformed"),
    ],
)
def test_a_voice_agent_failure_is_a_fixed_code_after_one_request(
    live: FakeProvider, status: int, body: object, code: str
) -> None:
    live.reply("/v2/create-phone-call", status, body)
    receipt = LiveAdapters().place_call(TENANT, at(live, VOICE_CREDENTIALS), CALL)
    assert (receipt.accepted, receipt.error, receipt.provider_ref) == (False, code, None)
    assert len(live.seen) == 1  # never retried


def test_a_voice_agent_timeout_is_unreachable_and_never_retried(live: FakeProvider) -> None:
    live.reply("/v2/create-phone-call", 201, {"call_id": "call_late"})
    live.delay_seconds = 2.0
    receipt = LiveAdapters().place_call(TENANT, at(live, VOICE_CREDENTIALS), CALL)
    assert (receipt.accepted, receipt.error) == (False, "voice_agent_unreachable")
    assert len(live.seen) == 1


# ---------------------------------------------------------------- Twilio dialing the agent


def twilio_call(dial: str) -> CallRequest:
    return CALL.model_copy(
        update={
            "dial": dial,
            "status_callback": "https://api.gatehouse.test/webhooks/twilio/whk_abc/call-status",
        }
    )


def test_twilio_dials_the_contact_and_connects_the_agents_sip_uri(live: FakeProvider) -> None:
    live.reply(CALLS_PATH, 201, {"sid": "CA" + "1f" * 16, "status": "queued"})
    receipt = LiveAdapters().place_call(TENANT, TWILIO, twilio_call("sip:agent_demo@sip.voice.example"))
    assert (receipt.accepted, receipt.provider_ref) == (True, "CA" + "1f" * 16)
    (seen,) = live.seen
    form = parse_qs(seen.body.decode())
    assert form["To"] == ["+12125550141"]
    assert form["From"] == ["+15005550006"]
    assert form["StatusCallback"] == ["https://api.gatehouse.test/webhooks/twilio/whk_abc/call-status"]
    assert form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert form["TimeLimit"] == ["300"]
    assert form["MachineDetection"] == ["Enable"]
    assert "<Sip>sip:agent_demo@sip.voice.example</Sip>" in form["Twiml"][0]


def test_twilio_can_connect_the_agents_number(live: FakeProvider) -> None:
    live.reply(CALLS_PATH, 201, {"sid": "CA" + "2e" * 16})
    assert LiveAdapters().place_call(TENANT, TWILIO, twilio_call("+13125550100")).accepted
    assert "<Number>+13125550100</Number>" in parse_qs(live.seen[0].body.decode())["Twiml"][0]


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (500, {"code": 20500, "message": "internal +12125550141"}, "twilio_20500"),
        (503, b"unavailable", "twilio_503"),
        (400, {"code": 21215, "message": "geo permission"}, "twilio_21215"),
        (201, {"sid": "not a sid!"}, "twilio_malformed"),
    ],
)
def test_a_twilio_call_failure_is_a_fixed_code_after_one_request(
    live: FakeProvider, status: int, body: object, code: str
) -> None:
    live.reply(CALLS_PATH, status, body)
    receipt = LiveAdapters().place_call(TENANT, TWILIO, twilio_call("+13125550100"))
    assert (receipt.accepted, receipt.error) == (False, code)
    assert "+1212" not in (receipt.error or "")
    assert len(live.seen) == 1


def test_a_twilio_call_timeout_is_unreachable_and_never_retried(live: FakeProvider) -> None:
    live.reply(CALLS_PATH, 201, {"sid": "CA" + "3d" * 16})
    live.delay_seconds = 2.0
    receipt = LiveAdapters().place_call(TENANT, TWILIO, twilio_call("+13125550100"))
    assert (receipt.accepted, receipt.error) == (False, "twilio_unreachable")
    assert len(live.seen) == 1


def test_a_text_names_its_status_callback(live: FakeProvider) -> None:
    path = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    live.reply(path, 201, {"sid": "SM" + "4c" * 16})
    url = "https://api.gatehouse.test/webhooks/twilio/whk_abc/message-status"
    receipt = LiveAdapters().send_sms(TENANT, TWILIO, to="+12125550141", body="Hi", status_callback=url)
    assert receipt.provider_ref == "SM" + "4c" * 16
    assert parse_qs(live.seen[0].body.decode())["StatusCallback"] == [url]


# ---------------------------------------------------------------- the sandbox


def test_the_sandbox_records_each_call_and_who_placed_it() -> None:
    adapters = SandboxAdapters()
    by_agent = adapters.place_call(TENANT, AGENT, CALL)
    by_twilio = adapters.place_call(TENANT, TWILIO, twilio_call("+13125550100"))
    assert (by_agent.accepted, by_twilio.accepted) == (True, True)
    assert (by_agent.provider_ref or "").startswith("call_")
    assert (by_twilio.provider_ref or "").startswith("CA")
    placed = adapters.placed_calls(TENANT)
    assert [(p.placed_by.value, p.call_id) for p in placed] == [
        ("voice_agent", by_agent.provider_ref),
        ("twilio", by_twilio.provider_ref),
    ]
    assert placed[0].call == CALL


def test_sandbox_callbacks_go_only_to_this_deployment_and_stop_with_it() -> None:
    with fake_provider() as fake:
        fake.reply("/webhooks/x", 200, {})
        poster = CallbackPoster()
        poster.plan([Callback(fake.url + "/webhooks/x", {}, b"a=1")])  # not started: dropped
        poster.start(fake.url, 0.01)
        poster.plan([Callback("http://203.0.113.9/webhooks/x", {}, b"a=1")])  # not this deployment
        poster.plan([Callback(fake.url + "/webhooks/x", {}, b"a=2")])
        assert poster.settle(timeout=5)  # posted and answered
        assert poster.posted == [(fake.url + "/webhooks/x", 200)]
        poster.delay_seconds = 30
        poster.plan([Callback(fake.url + "/webhooks/x", {}, b"a=3")])
        assert not poster.settle(timeout=0.05)  # still planned
        poster.stop()
        assert poster.settle(timeout=0.05)  # stopping drops what was planned
        assert not poster.running
        assert not [t for t in threading.enumerate() if t.name == "sandbox-callbacks"]
        assert [s.body for s in fake.seen] == [b"a=2"]


# ---------------------------------------------------------------- the sandbox speaks each vendor's wire


def _post(hooks, callback: Callback, ref: str):  # type: ignore[no-untyped-def]
    return hooks(
        proxy_event(
            "POST",
            f"/webhooks/voice-agent/{ref}",
            raw_body=callback.body.decode(),
            headers=dict(callback.headers),
        )
    )


@pytest.mark.parametrize("credentials", [VOICE_CREDENTIALS, VAPI_CREDENTIALS], ids=["retell", "vapi"])
def test_the_sandboxs_calls_are_signed_and_read_as_the_vendors_own(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, credentials: dict[str, str]
) -> None:
    ref = connected(tenant_a, Provider.VOICE_AGENT, credentials)
    adapters = SandboxAdapters()
    adapters.script_call("0140", [("agent", "Hello from the demo company."), ("user", "Stop calling me.")])
    call = CALL.model_copy(
        update={"to": "+13125550140", "status_callback": f"https://h/webhooks/voice-agent/{ref}"}
    )
    agent = VoiceAgentCredentials.model_validate(credentials)
    callbacks = call_callbacks(agent, call, "call_" + "5" * 24, adapters.script_for("+13125550140"))
    assert len(callbacks) == (3 if agent.vendor is VoiceVendor.RETELL else 4)
    for callback in callbacks:
        reply = _post(hooks, callback, ref)
        assert reply.status == 200, reply.body
    [record] = voice_events.calls_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, "+13125550140"))
    assert (record.vendor, record.outcome, record.status) == (agent.vendor.value, "answered", "ended")
    assert [(t.role.value, t.content) for t in record.turns] == [
        ("agent", "Hello from the demo company."),
        ("user", "Stop calling me."),
    ]
    assert record.campaign_id is None  # "cmp_x" is not an id; real campaign ids are kept


def test_a_sandbox_call_signed_with_another_key_is_refused(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a, Provider.VOICE_AGENT, VOICE_CREDENTIALS)
    other = VoiceAgentCredentials.model_validate({**VOICE_CREDENTIALS, "api_key": "key_" + "o" * 24})
    call = CALL.model_copy(update={"to": "+13125550140"})
    [first, *_] = call_callbacks(other, call, "call_" + "6" * 24, DEFAULT_SCRIPT)
    assert _post(hooks, first, ref).status == 401


@pytest.mark.parametrize(
    ("number", "outcome", "answered_by"),
    [("+13125550077", "voicemail", "machine_end_beep"), ("+13125550013", "no_answer", None)],
)
def test_sandbox_numbers_that_reach_a_machine_or_no_one(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, number: str, outcome: str, answered_by: str | None
) -> None:
    ref = connected(tenant_a)
    call = twilio_call("+13125550100").model_copy(
        update={"to": number, "status_callback": f"https://{HOST}/webhooks/twilio/{ref}/call-status"}
    )
    for callback in call_callbacks(TWILIO, call, "CA" + "7e" * 16, DEFAULT_SCRIPT):
        event = proxy_event(
            "POST",
            f"/webhooks/twilio/{ref}/call-status",
            raw_body=callback.body.decode(),
            headers=dict(callback.headers),
        )
        assert hooks(event).status == 200
    [record] = voice_events.calls_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, number))
    assert (record.outcome, record.answered_by) == (outcome, answered_by)


def test_a_script_names_four_digits_and_agent_or_user_turns() -> None:
    adapters = SandboxAdapters()
    with pytest.raises(ValueError, match="four digits"):
        adapters.script_call("12", [("user", "hi")])
    with pytest.raises(ValueError, match="agent or the user"):
        adapters.script_call("1234", [("caller", "hi")])
    adapters.script_call("1234", [("user", "hi")])
    assert adapters.script_for("+13125551234") == (("user", "hi"),)
    adapters.reset()
    assert adapters.script_for("+13125551234") == DEFAULT_SCRIPT
    assert ("user", "Please stop calling me.") in adapters.script_for(
        "+1312555" + SANDBOX_SPOKEN_REVOCATION_SUFFIX
    )
