"""What every provider adapter offers, and which set of adapters this deployment uses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pydantic import AwareDatetime, ConfigDict, Field

from gatehouse.config import get_settings
from gatehouse.models import GatehouseModel
from gatehouse.vault.schemas import (
    DncCredentials,
    Provider,
    ProviderCredentials,
    TwilioCredentials,
    VoiceAgentCredentials,
)


class CheckStatus(StrEnum):
    VERIFIED = "verified"  # the provider accepted the credentials
    REJECTED = "rejected"  # the provider refused them (wrong, revoked, suspended account)
    UNREACHABLE = "unreachable"  # no answer we can trust: timeout, 5xx, unexpected reply
    UNREADABLE = "unreadable"  # the stored credentials did not open; nothing was called


class CheckResult(GatehouseModel):
    """The outcome of one credentials check. ``detail`` is fixed wording, never provider or secret text."""

    model_config = ConfigDict(frozen=True)

    provider: Provider
    status: CheckStatus
    detail: str = Field(max_length=200)
    checked_at: datetime

    @property
    def ok(self) -> bool:
        return self.status is CheckStatus.VERIFIED


class DncReply(GatehouseModel):
    """A DNC provider's answer to one lookup: ``listed`` per number it answered for.

    ``failure`` names why the rest got no answer (a ``ScrubReason`` value); a number that is
    neither in ``listed`` nor covered by a failure was missing from the provider's reply.
    ``as_of`` is the version of the registry data the provider answered from: a reply
    without one is not an answer (a provider that looks up in real time says so by dating
    its reply at the lookup). ``as_of_by_area_code`` dates the area codes whose registry
    files are of another version (the registry is published per area code). ``state_lists``
    names the state lists it also consulted (``listed`` covers them), each with its version.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    listed: dict[str, bool] = {}
    failure: str | None = None
    as_of: AwareDatetime | None = None
    as_of_by_area_code: dict[str, AwareDatetime] = {}
    state_lists: dict[str, AwareDatetime] = {}

    def version_of(self, number: str) -> datetime | None:
        """The registry version the answer for ``number`` (E.164, +1) relied on."""
        return self.as_of_by_area_code.get(number[2:5], self.as_of)


DNC_LOOKUP_MAX = 1000


class ProviderAdapters(Protocol):
    """The calls Gatehouse makes to providers; one implementation per provider mode."""

    def check(self, tenant_id: str, credentials: ProviderCredentials) -> tuple[CheckStatus, str]:
        """Ask the provider whether these credentials work, without sending anything to anyone."""
        ...

    def lookup_dnc(
        self, tenant_id: str, credentials: DncCredentials, numbers: list[str], *, at: datetime
    ) -> DncReply:
        """Ask the tenant's DNC provider about up to ``DNC_LOOKUP_MAX`` E.164 numbers; never raises for it.

        ``at`` is the scrub's "now": a live provider dates its reply itself; the sandbox dates it ``at``.
        """
        ...

    def send_sms(
        self,
        tenant_id: str,
        credentials: TwilioCredentials,
        *,
        to: str,
        body: str,
        status_callback: str | None,
        sender: str | None = None,
    ) -> SendReceipt:
        """Send one text through the tenant's Twilio account; never raises for the provider's answer.

        ``sender``: the tenant's number it goes from (a reply goes from the number the person
        wrote to); None: the messaging service, else the first of the credentials' numbers.

        Never retried here: a lost reply may hide an accepted message, and the attempt's
        claim already stops a second send.
        """
        ...

    def place_call(
        self, tenant_id: str, credentials: TwilioCredentials | VoiceAgentCredentials, call: CallRequest
    ) -> SendReceipt:
        """Place one outbound call: through the voice agent's API, or through Twilio dialing the agent.

        The credentials say which provider places it. Never raises for the provider's answer
        and never retried, for the same reason as a text.
        """
        ...


class CallRequest(GatehouseModel):
    """One call to place. ``metadata`` travels with the call and comes back in its events: ids, never PII."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to: str
    caller_id: str
    agent_id: str
    max_duration_seconds: int = Field(ge=30, le=3600)
    # Twilio only: where the answered call is connected (the agent's SIP URI or phone number).
    dial: str | None = None
    metadata: dict[str, str] = {}
    # Values the agent's prompt fills in (Retell's dynamic variables, Vapi's variableValues): the
    # 47 CFR 64.1200(b) disclosures ``opening``, ``opt_out_key`` and ``opt_out_phrase``; never PII.
    variables: dict[str, str] = {}
    status_callback: str | None = None


class SendReceipt(GatehouseModel):
    """What a provider said to one send: accepted (with its reference), or refused and why (a fixed code)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    accepted: bool
    provider_ref: str | None = None
    error: str | None = Field(default=None, max_length=100)


def adapters() -> ProviderAdapters:
    """Live adapters in AWS; the recording sandbox where the deployment says so (the local runtime)."""
    if get_settings().provider_mode == "sandbox":
        from gatehouse.providers.sandbox import sandbox  # noqa: PLC0415 - never imported in AWS

        return sandbox()
    from gatehouse.providers.live import LiveAdapters  # noqa: PLC0415 - keeps the SDKs off cold paths

    return LiveAdapters()
