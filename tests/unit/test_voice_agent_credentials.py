"""The voice agent integration names its vendor and a base URL from that vendor's allow-list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from gatehouse.config import get_settings
from gatehouse.vault.schemas import SEALED_FIELDS, VoiceAgentCredentials, VoiceVendor

RETELL = {"agent_id": "agent_demo", "api_key": "key_" + "r" * 24}
VAPI = {
    "vendor": "vapi",
    "agent_id": "asst_demo",
    "phone_number_id": "pn_demo_0001",
    "api_key": "vapi-" + "p" * 24,
    "webhook_secret": "vapi-hmac-" + "h" * 24,
}


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GATEHOUSE_VOICE_AGENT_ALLOW_LOOPBACK", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_an_integration_stored_before_vendors_were_named_reads_as_retell() -> None:
    stored = VoiceAgentCredentials.model_validate(
        {"agent_id": "agent_demo", "api_key": "key_" + "r" * 24, "webhook_secret": "w" * 24},
        context={SEALED_FIELDS: ["api_key", "webhook_secret"]},
    )
    assert (stored.vendor, stored.api_base) == (VoiceVendor.RETELL, "https://api.retellai.com")


@pytest.mark.parametrize(
    ("credentials", "base"),
    [
        (RETELL, "https://api.retellai.com"),
        (VAPI, "https://api.vapi.ai"),
        (RETELL, "https://api.retellai.com/"),
    ],
)
def test_each_vendor_takes_its_own_base_url(credentials: dict[str, str], base: str) -> None:
    parsed = VoiceAgentCredentials.model_validate({**credentials, "base_url": base})
    assert parsed.api_base == base.rstrip("/")


@pytest.mark.parametrize(
    ("credentials", "base"),
    [
        (RETELL, "https://api.vapi.ai"),
        (VAPI, "https://api.retellai.com"),
        (RETELL, "http://api.retellai.com"),
        (RETELL, "https://api.retellai.com.attacker.example"),
        (RETELL, "https://api.retellai.com@attacker.example"),
        (RETELL, "http://127.0.0.1:9000"),  # loopback only where the deployment allows it
        (RETELL, "http://169.254.169.254"),
    ],
)
def test_a_base_url_outside_the_vendors_allow_list_is_refused(credentials: dict[str, str], base: str) -> None:
    with pytest.raises(ValidationError, match="base_url must be"):
        VoiceAgentCredentials.model_validate({**credentials, "base_url": base})


@pytest.mark.usefixtures("loopback")
def test_the_local_runtime_may_name_a_loopback_vendor_and_nothing_else() -> None:
    assert VoiceAgentCredentials.model_validate({**RETELL, "base_url": "http://127.0.0.1:9000"}).api_base
    with pytest.raises(ValidationError):
        VoiceAgentCredentials.model_validate({**RETELL, "base_url": "http://10.0.0.5:9000"})


def test_vapi_needs_its_phone_number_and_its_hmac_secret() -> None:
    with pytest.raises(ValidationError, match="phone_number_id"):
        VoiceAgentCredentials.model_validate({**VAPI, "phone_number_id": None})
    with pytest.raises(ValidationError, match="webhook_secret"):
        VoiceAgentCredentials.model_validate({**VAPI, "webhook_secret": None})
    with pytest.raises(ValidationError, match="phone_number_id"):
        VoiceAgentCredentials.model_validate({**RETELL, "phone_number_id": "pn_demo_0001"})


def test_the_template_never_allows_a_loopback_vendor() -> None:
    from pathlib import Path

    template = (Path(__file__).resolve().parents[2] / "template.yaml").read_text(encoding="utf-8")
    assert "VOICE_AGENT_ALLOW_LOOPBACK" not in template
    assert "VOICE_AGENT_BASE_URL" not in template
