"""The credential schemas: one strict pydantic model per provider, settings and secrets together.

This module owns what each integration needs and the rules that make a set of
credentials valid (SID prefixes and lengths, E.164 numbers, which secrets go with which
settings), before anything is sealed or stored. Secret fields are ``SecretStr``: their
repr is masked, validation errors never echo input (``hide_input_in_errors`` here,
``problems`` for API details), and only ``secrets()`` reads them, for sealing. It never
stores, seals or logs anything.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Final, Self

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from gatehouse.models import GatehouseModel

# Validation context key: the secret fields already sealed, for an update that keeps them.
SEALED_FIELDS: Final = "sealed_fields"


class Provider(StrEnum):
    TWILIO = "twilio"
    VOICE_AGENT = "voice_agent"
    DNC = "dnc"
    EMAIL_SENDER = "email_sender"

    @property
    def purpose(self) -> str:
        """The encryption-context purpose its secrets are sealed under."""
        return f"provider:{self.value}"


def _shaped(pattern: str, shape: str) -> AfterValidator:
    regex = re.compile(pattern)

    def check(value: SecretStr) -> SecretStr:
        if not regex.fullmatch(value.get_secret_value()):
            raise ValueError(f"must be {shape}")
        return value

    return AfterValidator(check)


def _sid(prefix: str) -> Any:
    return Field(pattern=rf"^{prefix}[0-9a-fA-F]{{32}}$", description=f'"{prefix}" + 32 hex characters')


HexToken = Annotated[SecretStr, _shaped(r"[0-9a-fA-F]{32}", "32 hexadecimal characters")]
TwilioKeySecret = Annotated[SecretStr, _shaped(r"[A-Za-z0-9]{32}", "32 letters or digits")]
OpaqueSecret = Annotated[
    SecretStr, _shaped(r"[\x21-\x7e]{16,512}", "16 to 512 printable characters without spaces")
]
E164 = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{7,14}$", description="E.164 phone number")]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,31}$")]
EmailAddress = Annotated[
    str, Field(max_length=254, pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
]
SesIdentityArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:ses:[a-z0-9-]+:[0-9]{12}:identity/[^\s/]+$")]
Label = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._@:/-]*$")]


class ProviderCredentials(GatehouseModel):
    """The plaintext credentials of one integration: settings in clear, secrets as ``SecretStr``.

    Used for the connect request and for what ``resolve`` hands to a provider adapter.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def check_secrets(self, present: frozenset[str]) -> None:
        """Raise ValueError when the named secrets do not fit these settings."""

    @model_validator(mode="after")
    def _secrets_fit_settings(self, info: ValidationInfo) -> Self:
        sealed = (info.context or {}).get(SEALED_FIELDS)
        self.check_secrets(frozenset(sealed) if sealed is not None else self.secret_names())
        return self

    def secret_names(self) -> frozenset[str]:
        return frozenset(f for f in self.secret_fields if getattr(self, f) is not None)

    def settings(self) -> dict[str, JsonValue]:
        """The non-secret fields, as stored in clear."""
        return self.model_dump(mode="json", exclude=set(self.secret_fields), exclude_none=True)

    def secrets(self) -> dict[str, str]:
        return {f: getattr(self, f).get_secret_value() for f in sorted(self.secret_names())}


class TwilioCredentials(ProviderCredentials):
    """SMS, voice and inbound webhook verification (Twilio signs webhooks with the auth token)."""

    secret_fields = ("auth_token", "api_key_secret")

    account_sid: Annotated[str, _sid("AC")]
    api_key_sid: Annotated[str, _sid("SK")] | None = None
    messaging_service_sid: Annotated[str, _sid("MG")] | None = None
    sender_numbers: Annotated[list[E164], Field(max_length=100)] = []
    auth_token: HexToken | None = None
    api_key_secret: TwilioKeySecret | None = None

    @model_validator(mode="after")
    def _can_send(self) -> Self:
        if self.messaging_service_sid is None and not self.sender_numbers:
            raise ValueError("give messaging_service_sid and/or sender_numbers")
        if len(set(self.sender_numbers)) != len(self.sender_numbers):
            raise ValueError("sender_numbers repeat a number")
        return self

    def check_secrets(self, present: frozenset[str]) -> None:
        if ("api_key_secret" in present) != (self.api_key_sid is not None):
            raise ValueError("api_key_sid and api_key_secret go together")
        if not present:
            raise ValueError("give auth_token, or api_key_sid with api_key_secret (or both)")


class VoiceVendor(StrEnum):
    RETELL = "retell"
    VAPI = "vapi"


# The only hosts a tenant's voice agent key is sent to: each vendor's own API.
VOICE_VENDOR_BASES: Final[dict[VoiceVendor, tuple[str, ...]]] = {
    VoiceVendor.RETELL: ("https://api.retellai.com",),
    VoiceVendor.VAPI: ("https://api.vapi.ai",),
}
_LOOPBACK_BASE = re.compile(r"http://(127\.0\.0\.1|localhost)(:[0-9]{1,5})?")


def voice_base_allowed(vendor: VoiceVendor, base_url: str) -> bool:
    """Is ``base_url`` one of the vendor's own (or, where the deployment allows it, loopback)?"""
    if base_url in VOICE_VENDOR_BASES[vendor]:
        return True
    from gatehouse.config import get_settings  # noqa: PLC0415 - read when a voice integration is checked

    return get_settings().voice_agent_allow_loopback and bool(_LOOPBACK_BASE.fullmatch(base_url))


class VoiceAgentCredentials(ProviderCredentials):
    """An AI voice agent of the tenant's chosen vendor: calls placed through its API, events signed.

    Retell signs its webhooks with the API key itself; Vapi with the secret key of the HMAC
    custom credential the tenant attaches to its server URL (``webhook_secret``). Vapi places
    calls from one of the tenant's Vapi phone numbers (``phone_number_id``). Integrations
    stored before the vendor was named read as Retell with Retell's base URL.
    """

    secret_fields = ("api_key", "webhook_secret")

    vendor: VoiceVendor = VoiceVendor.RETELL
    base_url: Annotated[str, Field(max_length=200)] | None = None
    agent_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{4,128}$")]
    phone_number_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{4,128}$")] | None = None
    api_key: OpaqueSecret | None = None
    webhook_secret: OpaqueSecret | None = None

    @model_validator(mode="after")
    def _vendor_settings(self) -> Self:
        if self.base_url is None:
            object.__setattr__(self, "base_url", VOICE_VENDOR_BASES[self.vendor][0])
        elif not voice_base_allowed(self.vendor, self.base_url.rstrip("/")):
            allowed = " or ".join(VOICE_VENDOR_BASES[self.vendor])
            raise ValueError(f"base_url must be {allowed} for {self.vendor.value}")
        else:
            object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if (self.vendor is VoiceVendor.VAPI) != (self.phone_number_id is not None):
            raise ValueError("phone_number_id is given for vapi, and only for vapi")
        return self

    @property
    def api_base(self) -> str:
        return self.base_url or VOICE_VENDOR_BASES[self.vendor][0]

    def check_secrets(self, present: frozenset[str]) -> None:
        needed = {"api_key", "webhook_secret"} if self.vendor is VoiceVendor.VAPI else {"api_key"}
        missing = needed - present
        if missing:
            raise ValueError(f"give {' and '.join(sorted(missing))}")


class DncCredentials(ProviderCredentials):
    """The Do-Not-Call data source: a provider's API login, or an uploaded registry's reference."""

    secret_fields = ("api_key",)

    provider_name: Slug
    account_id: Label | None = None
    registry_ref: Annotated[str, Field(pattern=r"^[a-z]{2,4}_[a-z2-7]{26}$")] | None = None
    api_key: OpaqueSecret | None = None

    def check_secrets(self, present: frozenset[str]) -> None:
        if ("api_key" in present) == (self.registry_ref is not None):
            raise ValueError(
                "give either api_key (with account_id where the provider needs it) or registry_ref"
            )
        if self.account_id is not None and "api_key" not in present:
            raise ValueError("account_id goes with api_key")


class EmailSenderCredentials(ProviderCredentials):
    """The SES identity magic links are sent from, where a tenant customizes it (no secret)."""

    from_address: EmailAddress
    # No control characters: a name goes into a mail header, and CR/LF would inject another.
    from_name: (
        Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f<>\"]+$")] | None
    ) = None
    identity_arn: SesIdentityArn | None = None


MODELS: Final[dict[Provider, type[ProviderCredentials]]] = {
    Provider.TWILIO: TwilioCredentials,
    Provider.VOICE_AGENT: VoiceAgentCredentials,
    Provider.DNC: DncCredentials,
    Provider.EMAIL_SENDER: EmailSenderCredentials,
}


def problems(exc: ValidationError) -> list[dict[str, str]]:
    """Where and why validation failed, never what was submitted (it may be a secret)."""
    return [
        {"field": ".".join(str(p) for p in error["loc"]), "reason": error["msg"]}
        for error in exc.errors(include_input=False, include_url=False, include_context=False)
    ]
