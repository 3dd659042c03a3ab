"""Settings: each function is checked at cold start for what the template gives it, by name."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from gatehouse.config import ApiSettings, MissingSettings, Settings, WebhooksSettings, get_settings, require
from local.functions import load_module, settings_declared
from tests.support.template import template

FUNCTIONS = sorted(fn.logical_id for fn in template().functions)


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No GATEHOUSE_ variable at all: only what a test sets is there."""
    for name in [n for n in os.environ if n.startswith("GATEHOUSE_")]:
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_function_starts_with_the_variables_the_template_gives_it(
    bare_environment: None, logical_id: str
) -> None:
    spec = template().function(logical_id)
    with settings_declared(spec):
        module = load_module(spec)
    assert isinstance(module.SETTINGS, Settings)


@pytest.mark.parametrize(
    ("logical_id", "removed"),
    [
        ("ApiFunction", "GATEHOUSE_INTAKE_FUNCTION"),
        ("ApiFunction", "GATEHOUSE_MAIN_TABLE"),
        ("SchedulerFunction", "GATEHOUSE_DISPATCH_STATE_MACHINE_ARN"),
        ("WebhooksFunction", "GATEHOUSE_STRIPE_WEBHOOK_SECRET"),
        ("DispatchBatchFunction", "GATEHOUSE_TENANT_ROLE_ARN"),
        ("ContactIntakeFunction", "GATEHOUSE_DATA_KEY_ID"),
    ],
)
def test_a_function_missing_a_setting_fails_at_import_naming_it(
    bare_environment: None, monkeypatch: pytest.MonkeyPatch, logical_id: str, removed: str
) -> None:
    spec = template().function(logical_id)
    with settings_declared(spec):
        monkeypatch.delenv(removed)
        with pytest.raises(MissingSettings, match=f"{removed} is not set"):
            load_module(spec)


def test_every_missing_variable_is_named_at_once(bare_environment: None) -> None:
    with pytest.raises(MissingSettings) as raised:
        require(ApiSettings)
    message = str(raised.value)
    assert message.startswith("ApiSettings: ")
    for name in ("GATEHOUSE_MAIN_TABLE", "GATEHOUSE_DISPATCH_STATE_MACHINE_ARN", "GATEHOUSE_STRIPE_API_KEY"):
        assert f"{name} is not set" in message


def test_a_required_setting_given_empty_is_refused_by_name(
    bare_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with settings_declared(template().function("WebhooksFunction")):
        monkeypatch.setenv("GATEHOUSE_SIGNING_KEY_ID", "")
        with pytest.raises(MissingSettings, match="GATEHOUSE_SIGNING_KEY_ID is not valid"):
            require(WebhooksSettings)


def test_the_layer_reads_the_tables_and_typed_values(
    bare_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(MissingSettings, match="GATEHOUSE_MAIN_TABLE is not set"):
        get_settings()
    monkeypatch.setenv("GATEHOUSE_MAIN_TABLE", "main")
    monkeypatch.setenv("GATEHOUSE_AUDIT_TABLE", "audit")
    monkeypatch.setenv("GATEHOUSE_ALLOWED_ORIGINS", " https://a.example , ,https://b.example")
    monkeypatch.setenv("GATEHOUSE_PUBLIC_BASE_URL", "https://api.example/prod/")
    monkeypatch.setenv("GATEHOUSE_MAX_BODY_BYTES", "1024")
    monkeypatch.setenv("GATEHOUSE_MAIL_OUTBOX", "")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.public_base_url == "https://api.example/prod"
    assert settings.max_body_bytes == 1024
    assert settings.mail_outbox is None
    assert settings.region == "eu-west-1"
    monkeypatch.setenv("GATEHOUSE_MAX_BODY_BYTES", "lots")
    with pytest.raises(MissingSettings, match="GATEHOUSE_MAX_BODY_BYTES is not valid"):
        require(Settings)
