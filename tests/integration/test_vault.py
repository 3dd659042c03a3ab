"""The credentials vault against DynamoDB and KMS (moto): sealed at rest, bound to tenant and purpose.

Given a tenant and the template's symmetric DataKey, credentials connect through the
domain, resolve to the same plaintext, never open for another tenant or purpose, vanish
on revoke, and never reach a log line, a return value, a stored item or an audit entry.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_encryption_sdk import Algorithm, CommitmentPolicy, EncryptionSDKClient
from aws_encryption_sdk.key_providers.kms import KMSMasterKey
from botocore.stub import Stubber

from gatehouse.audit import export_jsonl
from gatehouse.aws_calls import AwsCallCounter
from gatehouse.config import get_settings
from gatehouse.errors import Conflict, Forbidden, Invalid
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Role
from gatehouse.observability import logger
from gatehouse.tenancy import TenantScope
from gatehouse.vault import (
    Integration,
    IntegrationNotConnected,
    IntegrationStatus,
    Provider,
    SealRejected,
    TwilioCredentials,
    VaultUnavailable,
    connect,
    describe,
    list_integrations,
    resolve,
    revoke,
    update,
)
from gatehouse.vault.envelope import Envelope, context_for, get_envelope
from tests.conftest import TenantFixture

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f00dfacecafebeef" + "0123456789abcd42"
API_KEY_SID = "SK" + "fedcba9876543210" * 2
API_KEY_SECRET = "Zq3kVw9TnP2rXs7yLm4hJd8cBf6gHa1e"
AGENT_KEY = "key_live_9f8e7d6c5b4a39281706"
AGENT_HOOK_SECRET = "whsec_Q1w2E3r4T5y6U7i8O9p0"
DNC_KEY = "dnc-api-7H3kP9mQ2xL5vN8w"

TWILIO = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "sender_numbers": ["+15005550006"]}
VALID: dict[Provider, dict[str, Any]] = {
    Provider.TWILIO: TWILIO,
    Provider.VOICE_AGENT: {
        "vendor": "vapi",
        "base_url": "https://api.vapi.ai",
        "agent_id": "agent_4f1c2e",
        "phone_number_id": "pn_4f1c2e01",
        "api_key": AGENT_KEY,
        "webhook_secret": AGENT_HOOK_SECRET,
    },
    Provider.DNC: {"provider_name": "dnc-scrub", "account_id": "acme-01", "api_key": DNC_KEY},
    Provider.EMAIL_SENDER: {"from_address": "no-reply@mail.acme.example", "from_name": "Acme Outreach"},
}
SECRETS = (AUTH_TOKEN, API_KEY_SECRET, AGENT_KEY, AGENT_HOOK_SECRET, DNC_KEY)


@pytest.fixture
def data_key(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A symmetric KMS key like the template's DataKey, configured for the process."""
    arn = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    monkeypatch.setenv("GATEHOUSE_DATA_KEY_ID", arn)
    get_settings.cache_clear()
    yield arn
    get_settings.cache_clear()


def as_role(tenant: TenantFixture, role: Role) -> Caller:
    return Caller(
        tenant_id=tenant.tenant_id,
        role=role,
        principal_type=PrincipalType.USER,
        principal_id=tenant.users[role],
        request_id="req-vault",
    )


def raw_item(tenant_id: str, provider: Provider) -> dict[str, Any] | None:
    """The stored item exactly as DynamoDB holds it, bypassing the data door."""
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(get_settings().main_table)
    item: dict[str, Any] | None = table.get_item(
        Key={"pk": f"{tenant_id}#INTEGRATION", "sk": provider.value}, ConsistentRead=True
    ).get("Item")
    return item


def every_stored_item() -> str:
    """Every item of the main and audit tables, as text (a Scan is fine in a test)."""
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    settings = get_settings()
    items = [
        item
        for table in (settings.main_table, settings.audit_table)
        for item in dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    ]
    return json.dumps(items)


def integration_actions(tenant_id: str) -> list[str]:
    actions = [json.loads(line)["action"] for line in export_jsonl(tenant_id)]
    return [action for action in actions if action.startswith("integration.")]


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("provider", list(Provider))
def test_connected_credentials_resolve_to_what_was_given(
    data_key: str, tenant_a: TenantFixture, provider: Provider
) -> None:
    request = VALID[provider]
    view = connect(tenant_a.scope, as_role(tenant_a, Role.ADMIN), provider, request)

    resolved = resolve(tenant_a.scope, provider)

    assert resolved.settings() | resolved.secrets() == request
    assert view.status is IntegrationStatus.CONNECTED
    assert view.settings == resolved.settings()
    secret_fields = set(type(resolved).secret_fields) & set(request)
    assert set(view.fingerprint.last4 if view.fingerprint else {}) == secret_fields
    for field in secret_fields:
        assert view.fingerprint is not None
        assert view.fingerprint.last4[field] == request[field][-4:]


def test_resolved_twilio_credentials_are_typed_and_masked_until_read(
    data_key: str, tenant_a: TenantFixture
) -> None:
    connect(tenant_a.scope, as_role(tenant_a, Role.OWNER), Provider.TWILIO, TWILIO)
    creds = resolve(tenant_a.scope, Provider.TWILIO)
    assert isinstance(creds, TwilioCredentials)
    assert AUTH_TOKEN not in repr(creds)
    assert creds.auth_token is not None
    assert creds.auth_token.get_secret_value() == AUTH_TOKEN


def test_the_stored_item_holds_settings_in_clear_and_one_sealed_message(
    data_key: str, tenant_a: TenantFixture
) -> None:
    connect(tenant_a.scope, as_role(tenant_a, Role.OWNER), Provider.VOICE_AGENT, VALID[Provider.VOICE_AGENT])
    item = raw_item(tenant_a.tenant_id, Provider.VOICE_AGENT)
    assert item is not None
    body = json.loads(item["body"])
    assert body["settings"] == {
        "vendor": "vapi",
        "base_url": "https://api.vapi.ai",
        "agent_id": "agent_4f1c2e",
        "phone_number_id": "pn_4f1c2e01",
    }
    assert sorted(body["fingerprint"]["last4"]) == ["api_key", "webhook_secret"]
    assert base64.b64decode(body["sealed"], validate=True)
    assert AGENT_KEY not in item["body"]
    assert AGENT_HOOK_SECRET not in item["body"]


# ---------------------------------------------------------------- binding to tenant and purpose


def test_a_sealed_secret_opens_only_under_its_own_tenant_and_purpose(
    data_key: str, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    envelope = get_envelope()
    sealed = envelope.seal(b"s3cret", tenant_id=tenant_a.tenant_id, purpose="provider:twilio")

    assert envelope.open(sealed, tenant_id=tenant_a.tenant_id, purpose="provider:twilio") == b"s3cret"
    with pytest.raises(SealRejected):
        envelope.open(sealed, tenant_id=tenant_b.tenant_id, purpose="provider:twilio")
    with pytest.raises(SealRejected):
        envelope.open(sealed, tenant_id=tenant_a.tenant_id, purpose="provider:dnc")


def test_kms_itself_refuses_the_data_key_under_another_tenants_context(
    data_key: str, tenant_a: TenantFixture
) -> None:
    sealed = base64.b64decode(
        get_envelope().seal(b"s3cret", tenant_id=tenant_a.tenant_id, purpose="provider:dnc")
    )
    kms = boto3.client("kms", region_name="us-east-1")
    _, header = EncryptionSDKClient().decrypt(
        source=sealed, key_provider=KMSMasterKey(key_id=data_key, client=kms)
    )
    context = dict(header.encryption_context)
    edk = _first_encrypted_data_key(sealed, data_key)

    assert kms.decrypt(CiphertextBlob=edk, KeyId=data_key, EncryptionContext=context)["Plaintext"]
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(
            CiphertextBlob=edk, KeyId=data_key, EncryptionContext={**context, "tenant": "tnt_" + "b" * 26}
        )


def _first_encrypted_data_key(message: bytes, key_arn: str) -> bytes:
    # The wrapped data key sits in the header right after the key's ARN and its 2-byte length.
    arn = key_arn.encode()
    start = message.index(arn) + len(arn)
    length = int.from_bytes(message[start : start + 2], "big")
    return message[start + 2 : start + 2 + length]


@pytest.mark.parametrize("target", ["other_tenant", "other_purpose"])
def test_a_sealed_message_copied_into_another_record_does_not_resolve(
    data_key: str, tenant_a: TenantFixture, tenant_b: TenantFixture, target: str
) -> None:
    connect(tenant_a.scope, as_role(tenant_a, Role.OWNER), Provider.VOICE_AGENT, VALID[Provider.VOICE_AGENT])
    victim, provider = (
        (tenant_b, Provider.VOICE_AGENT) if target == "other_tenant" else (tenant_a, Provider.DNC)
    )
    stolen = raw_item(tenant_a.tenant_id, Provider.VOICE_AGENT)
    assert stolen is not None
    body = json.loads(stolen["body"])
    body["provider"] = provider.value
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(get_settings().main_table)
    table.put_item(
        Item={
            **stolen,
            "pk": f"{victim.tenant_id}#INTEGRATION",
            "sk": provider.value,
            "body": json.dumps(body),
        }
    )

    with pytest.raises(SealRejected):
        resolve(victim.scope, provider)
    assert resolve(tenant_a.scope, Provider.VOICE_AGENT).secrets()["api_key"] == AGENT_KEY


def test_only_signed_messages_under_the_data_key_open(data_key: str, tenant_a: TenantFixture) -> None:
    """A decrypt-only role could build an unsigned message from a data key it unwrapped; it is refused."""
    context = context_for(tenant_a.tenant_id, "provider:twilio")
    kms = boto3.client("kms", region_name="us-east-1")
    unsigned, _ = EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    ).encrypt(
        source=b'{"auth_token":"' + AUTH_TOKEN.encode() + b'"}',
        key_provider=KMSMasterKey(key_id=data_key, client=kms),
        encryption_context=context,
        algorithm=Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    )
    other_key = kms.create_key()["KeyMetadata"]["Arn"]
    foreign = Envelope(other_key, kms).seal(b"x", tenant_id=tenant_a.tenant_id, purpose="provider:twilio")

    envelope = get_envelope()
    with pytest.raises(SealRejected):
        envelope.open(
            base64.b64encode(unsigned).decode(), tenant_id=tenant_a.tenant_id, purpose="provider:twilio"
        )
    with pytest.raises(SealRejected):
        envelope.open(foreign, tenant_id=tenant_a.tenant_id, purpose="provider:twilio")


@pytest.mark.parametrize("damage", ["flipped_byte", "truncated", "not_base64", "empty"])
def test_a_damaged_message_is_refused(data_key: str, tenant_a: TenantFixture, damage: str) -> None:
    envelope = get_envelope()
    raw = bytearray(base64.b64decode(envelope.seal(b"s3cret", tenant_id=tenant_a.tenant_id, purpose="p:x")))
    raw[len(raw) // 2] ^= 0x01
    sealed = {
        "flipped_byte": base64.b64encode(bytes(raw)).decode(),
        "truncated": base64.b64encode(bytes(raw[: len(raw) // 3])).decode(),
        "not_base64": "%%% not base64 %%%",
        "empty": "",
    }[damage]
    with pytest.raises(SealRejected):
        envelope.open(sealed, tenant_id=tenant_a.tenant_id, purpose="p:x")


# ---------------------------------------------------------------- validation before storage


MALFORMED: list[tuple[Provider, dict[str, Any], str]] = [
    (Provider.TWILIO, {**TWILIO, "account_sid": "XX" + "0" * 32}, "account_sid"),
    (Provider.TWILIO, {**TWILIO, "account_sid": "AC" + "0" * 31}, "account_sid"),
    (Provider.TWILIO, {**TWILIO, "auth_token": "not-hex-" + "0" * 24}, "auth_token"),
    (Provider.TWILIO, {**TWILIO, "auth_token": AUTH_TOKEN[:-1]}, "auth_token"),
    (Provider.TWILIO, {**TWILIO, "sender_numbers": ["5005550006"]}, "sender_numbers.0"),
    (Provider.TWILIO, {**TWILIO, "sender_numbers": ["+15005550006", "+15005550006"]}, ""),
    (Provider.TWILIO, {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}, ""),
    (Provider.TWILIO, {**TWILIO, "messaging_service_sid": "MG123"}, "messaging_service_sid"),
    (Provider.TWILIO, {"account_sid": ACCOUNT_SID, "sender_numbers": ["+15005550006"]}, ""),
    (Provider.TWILIO, {**TWILIO, "api_key_sid": API_KEY_SID}, ""),
    (
        Provider.TWILIO,
        {**TWILIO, "api_key_sid": "SK" + "0" * 32, "api_key_secret": "short"},
        "api_key_secret",
    ),
    (Provider.TWILIO, {**TWILIO, "auth_token": 1234}, "auth_token"),
    (Provider.TWILIO, {**TWILIO, "extra": "field"}, "extra"),
    (Provider.VOICE_AGENT, {**VALID[Provider.VOICE_AGENT], "webhook_secret": None}, ""),
    (Provider.VOICE_AGENT, {"agent_id": "agent_4f1c2e"}, ""),  # Retell needs its API key (it signs with it)
    (Provider.VOICE_AGENT, {**VALID[Provider.VOICE_AGENT], "webhook_secret": "too short"}, "webhook_secret"),
    (Provider.VOICE_AGENT, {**VALID[Provider.VOICE_AGENT], "agent_id": "a b"}, "agent_id"),
    (Provider.DNC, {"provider_name": "dnc-scrub"}, ""),
    (Provider.DNC, {**VALID[Provider.DNC], "registry_ref": "reg_" + "a" * 26}, ""),
    (Provider.DNC, {"provider_name": "DNC!", "registry_ref": "reg_" + "a" * 26}, "provider_name"),
    (Provider.DNC, {"provider_name": "dnc-scrub", "registry_ref": "s3://bucket/key"}, "registry_ref"),
    (Provider.EMAIL_SENDER, {"from_address": "not-an-address"}, "from_address"),
    (
        Provider.EMAIL_SENDER,
        {**VALID[Provider.EMAIL_SENDER], "from_name": "Acme\r\nBcc: x@evil"},
        "from_name",
    ),
    (
        Provider.EMAIL_SENDER,
        {**VALID[Provider.EMAIL_SENDER], "identity_arn": "arn:aws:s3:::b"},
        "identity_arn",
    ),
]


@pytest.mark.parametrize(("provider", "request_body", "field"), MALFORMED)
def test_malformed_credentials_are_refused_before_anything_is_stored(
    data_key: str, tenant_a: TenantFixture, provider: Provider, request_body: dict[str, Any], field: str
) -> None:
    with AwsCallCounter() as calls, pytest.raises(Invalid) as refused:
        connect(tenant_a.scope, as_role(tenant_a, Role.OWNER), provider, request_body)

    assert field in [d["field"] for d in refused.value.details]
    assert calls.total("kms") == 0
    assert calls.counts().get(("dynamodb", "PutItem"), 0) == 0
    assert calls.counts().get(("dynamodb", "TransactWriteItems"), 0) == 0
    assert raw_item(tenant_a.tenant_id, provider) is None
    assert integration_actions(tenant_a.tenant_id) == []


def test_validation_errors_name_the_field_but_never_echo_the_value(
    data_key: str, tenant_a: TenantFixture
) -> None:
    leaked = "ZZ" + AUTH_TOKEN  # a secret pasted into the wrong field
    with pytest.raises(Invalid) as refused:
        connect(
            tenant_a.scope, as_role(tenant_a, Role.OWNER), Provider.TWILIO, {**TWILIO, "account_sid": leaked}
        )
    shown = (
        f"{refused.value} {refused.value.details} {refused.value.__cause__!r} {refused.value.__context__!r}"
    )
    assert "account_sid" in shown
    assert AUTH_TOKEN not in shown


# ---------------------------------------------------------------- update, revoke, lifecycle


def test_a_settings_update_keeps_the_sealed_secrets(data_key: str, tenant_a: TenantFixture) -> None:
    admin = as_role(tenant_a, Role.ADMIN)
    connect(tenant_a.scope, admin, Provider.TWILIO, TWILIO)
    sealed_before = json.loads((raw_item(tenant_a.tenant_id, Provider.TWILIO) or {})["body"])["sealed"]

    view = update(
        tenant_a.scope, admin, Provider.TWILIO, {"sender_numbers": ["+15005550007", "+15005550008"]}
    )

    body = json.loads((raw_item(tenant_a.tenant_id, Provider.TWILIO) or {})["body"])
    assert body["sealed"] == sealed_before
    assert view.settings["sender_numbers"] == ["+15005550007", "+15005550008"]
    resolved = resolve(tenant_a.scope, Provider.TWILIO)
    assert resolved.sender_numbers == ["+15005550007", "+15005550008"]
    assert resolved.secrets() == {"auth_token": AUTH_TOKEN}


def test_an_update_that_changes_nothing_writes_nothing(data_key: str, tenant_a: TenantFixture) -> None:
    admin = as_role(tenant_a, Role.ADMIN)
    connect(tenant_a.scope, admin, Provider.TWILIO, TWILIO)
    before = raw_item(tenant_a.tenant_id, Provider.TWILIO)

    update(tenant_a.scope, admin, Provider.TWILIO, {"sender_numbers": TWILIO["sender_numbers"]})

    assert raw_item(tenant_a.tenant_id, Provider.TWILIO) == before
    assert integration_actions(tenant_a.tenant_id) == ["integration.connected"]


def test_a_typed_request_connects_like_a_mapping_and_must_match_its_provider(
    data_key: str, tenant_a: TenantFixture
) -> None:
    owner = as_role(tenant_a, Role.OWNER)
    typed = TwilioCredentials.model_validate(TWILIO)
    with pytest.raises(Invalid):
        connect(tenant_a.scope, owner, Provider.DNC, typed)
    connect(tenant_a.scope, owner, Provider.TWILIO, typed)
    assert resolve(tenant_a.scope, Provider.TWILIO) == typed


def test_switching_twilio_to_an_api_key_replaces_the_secrets(data_key: str, tenant_a: TenantFixture) -> None:
    admin = as_role(tenant_a, Role.ADMIN)
    connect(tenant_a.scope, admin, Provider.TWILIO, TWILIO)

    with pytest.raises(Invalid):
        update(tenant_a.scope, admin, Provider.TWILIO, {"api_key_sid": API_KEY_SID})
    view = update(
        tenant_a.scope,
        admin,
        Provider.TWILIO,
        {"api_key_sid": API_KEY_SID, "api_key_secret": API_KEY_SECRET, "auth_token": None},
    )

    assert view.fingerprint is not None
    assert view.fingerprint.last4 == {"api_key_secret": API_KEY_SECRET[-4:]}
    assert resolve(tenant_a.scope, Provider.TWILIO).secrets() == {"api_key_secret": API_KEY_SECRET}


@pytest.mark.parametrize(
    "changes",
    [
        {"webhook_secret": "whsec_rotated_only_this_one"},  # secrets are replaced together
        {"agent_id": "a b"},
        {"unknown": "x"},
        {"api_key": None},
    ],
)
def test_an_update_that_leaves_the_credentials_invalid_changes_nothing(
    data_key: str, tenant_a: TenantFixture, changes: dict[str, Any]
) -> None:
    admin = as_role(tenant_a, Role.ADMIN)
    connect(tenant_a.scope, admin, Provider.VOICE_AGENT, VALID[Provider.VOICE_AGENT])
    before = raw_item(tenant_a.tenant_id, Provider.VOICE_AGENT)

    with pytest.raises(Invalid):
        update(tenant_a.scope, admin, Provider.VOICE_AGENT, changes)

    assert raw_item(tenant_a.tenant_id, Provider.VOICE_AGENT) == before
    assert integration_actions(tenant_a.tenant_id) == ["integration.connected"]


def test_revoke_deletes_the_ciphertext_at_once(data_key: str, tenant_a: TenantFixture) -> None:
    owner = as_role(tenant_a, Role.OWNER)
    connect(tenant_a.scope, owner, Provider.TWILIO, TWILIO)
    resolve(tenant_a.scope, Provider.TWILIO)  # warm the data-key cache: revoking must still win

    view = revoke(tenant_a.scope, owner, Provider.TWILIO)

    item = raw_item(tenant_a.tenant_id, Provider.TWILIO)
    assert item is not None
    body = json.loads(item["body"])
    assert body.get("sealed") is None  # no ciphertext kept (a field at its default is not stored)
    assert body.get("fingerprint") is None
    assert body.get("settings", {}) == {}
    assert body["status"] == "revoked"
    assert view.status is IntegrationStatus.REVOKED
    with pytest.raises(IntegrationNotConnected):
        resolve(tenant_a.scope, Provider.TWILIO)
    assert describe(tenant_a.scope, Provider.TWILIO).revoked_by == owner.actor


def test_a_revoked_integration_can_be_connected_again_but_not_twice(
    data_key: str, tenant_a: TenantFixture
) -> None:
    owner = as_role(tenant_a, Role.OWNER)
    connect(tenant_a.scope, owner, Provider.DNC, VALID[Provider.DNC])
    with pytest.raises(Conflict):
        connect(tenant_a.scope, owner, Provider.DNC, VALID[Provider.DNC])
    revoke(tenant_a.scope, owner, Provider.DNC)
    with pytest.raises(IntegrationNotConnected):
        revoke(tenant_a.scope, owner, Provider.DNC)

    registry = {"provider_name": "state-registry", "registry_ref": "reg_" + "c" * 26}
    connect(tenant_a.scope, owner, Provider.DNC, registry)

    assert resolve(tenant_a.scope, Provider.DNC).registry_ref == registry["registry_ref"]
    assert integration_actions(tenant_a.tenant_id) == [
        "integration.connected",
        "integration.revoked",
        "integration.connected",
    ]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_change_credentials(
    data_key: str, tenant_a: TenantFixture, role: Role
) -> None:
    connect(tenant_a.scope, as_role(tenant_a, Role.OWNER), Provider.TWILIO, TWILIO)
    caller = as_role(tenant_a, role)
    with pytest.raises(Forbidden):
        connect(tenant_a.scope, caller, Provider.DNC, VALID[Provider.DNC])
    with pytest.raises(Forbidden):
        update(tenant_a.scope, caller, Provider.TWILIO, {"sender_numbers": ["+15005550009"]})
    with pytest.raises(Forbidden):
        revoke(tenant_a.scope, caller, Provider.TWILIO)
    assert describe(tenant_a.scope, Provider.TWILIO).status is IntegrationStatus.CONNECTED


def test_another_tenants_integrations_are_invisible(
    data_key: str, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    connect(tenant_a.scope, as_role(tenant_a, Role.OWNER), Provider.TWILIO, TWILIO)
    assert list_integrations(tenant_b.scope) == []
    with pytest.raises(IntegrationNotConnected):
        describe(tenant_b.scope, Provider.TWILIO)
    with pytest.raises(IntegrationNotConnected):
        resolve(tenant_b.scope, Provider.TWILIO)


def test_without_a_data_key_nothing_is_stored(
    aws: None, tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATEHOUSE_DATA_KEY_ID", raising=False)
    get_settings.cache_clear()
    with pytest.raises(VaultUnavailable):
        connect(tenant_a.scope, as_role(tenant_a, Role.OWNER), Provider.TWILIO, TWILIO)
    assert raw_item(tenant_a.tenant_id, Provider.TWILIO) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ThrottlingException", VaultUnavailable), ("KMSInternalException", VaultUnavailable)],
)
def test_kms_failing_while_opening_is_retryable_never_a_rejected_seal(
    data_key: str, tenant_a: TenantFixture, code: str, expected: type[Exception]
) -> None:
    # The SDK reports any failed unwrap as "Unable to decrypt any data key"; a KMS outage must
    # still read as "retry later", not as "reconnect the integration".
    connect(tenant_a.scope, as_role(tenant_a, Role.OWNER), Provider.TWILIO, TWILIO)
    sealed = tenant_a.scope.require(Integration, Provider.TWILIO.value).sealed
    assert sealed is not None
    fresh = Envelope(data_key, boto3.client("kms", region_name="us-east-1"))
    kms = fresh._cmm.master_key_provider.config.client
    with Stubber(kms) as stub:
        stub.add_client_error("decrypt", service_error_code=code, http_status_code=500)
        with pytest.raises(expected):
            fresh.open(sealed, tenant_id=tenant_a.tenant_id, purpose=Provider.TWILIO.purpose)
    with pytest.raises(SealRejected):  # and a foreign message is still rejected, not retried
        fresh.open(sealed, tenant_id=tenant_a.tenant_id, purpose=Provider.DNC.purpose)


# ---------------------------------------------------------------- no secret anywhere


def test_no_secret_reaches_logs_returns_items_or_audit_in_a_full_cycle(
    data_key: str,
    tenant_a: TenantFixture,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    owner = as_role(tenant_a, Role.OWNER)
    scope = TenantScope(tenant_a.tenant_id)
    caplog.set_level(logging.DEBUG)
    level = logger.log_level
    logger.setLevel(logging.DEBUG)
    returned: list[Any] = []
    used: list[str] = []
    try:
        for provider, request in VALID.items():
            returned.append(connect(scope, owner, provider, request))
            returned.append(describe(scope, provider))
            creds = resolve(scope, provider)
            used.extend(creds.secrets().values())  # what the provider call receives
            returned.append(repr(creds))
            returned.append(creds.model_dump_json())
        rotated = {"api_key_sid": API_KEY_SID, "api_key_secret": API_KEY_SECRET}
        returned.append(update(scope, owner, Provider.TWILIO, rotated))
        used.extend(resolve(scope, Provider.TWILIO).secrets().values())
        returned.append(list_integrations(scope))
        with pytest.raises(Invalid) as refused:
            connect(scope, owner, Provider.TWILIO, {**TWILIO, "account_sid": AUTH_TOKEN})
        returned.append(f"{refused.value} {refused.value.details}")
        for provider in Provider:
            returned.append(revoke(scope, owner, provider))
        returned.append(list_integrations(scope))
    finally:
        logger.setLevel(level)

    assert sorted(used) == sorted(SECRETS)  # the provider side did receive every secret
    captured = capfd.readouterr()
    # The JSON lines exactly as the service logger writes them (its handler keeps the stdout it
    # was created with, which no capture fixture sees), and every record of every library.
    formatter = logger.registered_formatter
    lines = [formatter.format(r) for r in caplog.records if r.name == logger.name]
    places = {
        "stdout/stderr": captured.out + captured.err,
        "service log lines": "\n".join(lines),
        "log records": "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records),
        "return values": "\n".join(
            v.model_dump_json() if hasattr(v, "model_dump_json") else str(v) for v in returned
        ),
        "stored items": every_stored_item(),
        "audit export": "".join(export_jsonl(tenant_a.tenant_id)),
    }
    assert any(
        '"message":"credentials resolved"' in line for line in lines
    )  # the vault's own lines were seen
    # Names of the places only: a failing assertion must not print the secret it found.
    leaks = [place for place, text in places.items() for secret in SECRETS if secret in text]
    assert leaks == []
    assert (
        integration_actions(tenant_a.tenant_id)
        == ["integration.connected"] * 4 + ["integration.updated"] + ["integration.revoked"] * 4
    )


# ---------------------------------------------------------------- the data-key cache


def test_a_thousand_resolves_of_one_tenants_credentials_cost_at_most_one_kms_call(
    data_key: str, tenant_a: TenantFixture
) -> None:
    connect(tenant_a.scope, as_role(tenant_a, Role.OWNER), Provider.TWILIO, TWILIO)

    with AwsCallCounter() as calls:
        tokens = {resolve(tenant_a.scope, Provider.TWILIO).secrets()["auth_token"] for _ in range(1000)}

    assert tokens == {AUTH_TOKEN}
    assert calls.total("kms") <= 1
    assert calls.total("dynamodb") == 1000  # the record is read each time, so a revoke wins at once


def test_the_cache_never_serves_another_tenant(
    data_key: str, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    connect(tenant_a.scope, as_role(tenant_a, Role.OWNER), Provider.TWILIO, TWILIO)
    connect(
        tenant_b.scope, as_role(tenant_b, Role.OWNER), Provider.TWILIO, {**TWILIO, "auth_token": "e" * 32}
    )

    with AwsCallCounter() as calls:
        for _ in range(50):
            assert resolve(tenant_a.scope, Provider.TWILIO).secrets()["auth_token"] == AUTH_TOKEN
            assert resolve(tenant_b.scope, Provider.TWILIO).secrets()["auth_token"] == "e" * 32

    assert calls.total("kms") == 2  # one data key per tenant, each unwrapped once
