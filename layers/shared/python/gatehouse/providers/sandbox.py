"""The sandbox provider of the local runtime: it records every call and answers like a healthy provider.

Nothing leaves the process. Each call is kept in memory with the credentials it was
given, so an end-to-end test can see exactly what a real provider would have
received; the recording lives only as long as the process and is never written to
disk or logs. ``answer`` makes the next checks of a provider answer otherwise, for
tests of the failure paths. DNC lookups answer deterministically: a number whose last
four digits are one of ``SANDBOX_DNC_LISTED_SUFFIXES`` (0000, 9999) is listed, every
other number is clear; after ``answer(Provider.DNC, <anything but verified>)`` lookups
fail as an unreachable provider would. AWS deployments never select it (``GATEHOUSE_PROVIDER_MODE``
is set only by the local runtime).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Final

from gatehouse.clock import utc_now
from gatehouse.providers.base import CheckStatus, DncReply, SendReceipt
from gatehouse.vault.schemas import MODELS, DncCredentials, Provider, ProviderCredentials, TwilioCredentials

SANDBOX_DNC_LISTED_SUFFIXES: Final = frozenset({"0000", "9999"})


@dataclass(frozen=True)
class SandboxCall:
    tenant_id: str
    provider: Provider
    operation: str
    credentials: ProviderCredentials = field(repr=False)
    at: datetime


@dataclass(frozen=True)
class SandboxMessage:
    tenant_id: str
    to: str
    body: str
    status_callback: str | None


class SandboxAdapters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[SandboxCall] = []
        self._answers: dict[Provider, CheckStatus] = {}
        self._messages: list[SandboxMessage] = []

    def check(self, tenant_id: str, credentials: ProviderCredentials) -> tuple[CheckStatus, str]:
        provider = _provider_of(credentials)
        with self._lock:
            self._calls.append(SandboxCall(tenant_id, provider, "check", credentials, utc_now()))
            status = self._answers.get(provider, CheckStatus.VERIFIED)
        return status, f"sandbox {provider} answered {status}"

    def lookup_dnc(self, tenant_id: str, credentials: DncCredentials, numbers: list[str]) -> DncReply:
        with self._lock:
            self._calls.append(SandboxCall(tenant_id, Provider.DNC, "dnc_lookup", credentials, utc_now()))
            status = self._answers.get(Provider.DNC, CheckStatus.VERIFIED)
        if status is not CheckStatus.VERIFIED:
            return DncReply(failure="provider_unavailable")
        return DncReply(listed={n: n[-4:] in SANDBOX_DNC_LISTED_SUFFIXES for n in numbers})

    def send_sms(
        self,
        tenant_id: str,
        credentials: TwilioCredentials,
        *,
        to: str,
        body: str,
        status_callback: str | None,
    ) -> SendReceipt:
        with self._lock:
            self._calls.append(SandboxCall(tenant_id, Provider.TWILIO, "send_sms", credentials, utc_now()))
            self._messages.append(SandboxMessage(tenant_id, to, body, status_callback))
            status = self._answers.get(Provider.TWILIO, CheckStatus.VERIFIED)
            count = len(self._messages)
        if status is not CheckStatus.VERIFIED:
            return SendReceipt(accepted=False, error=f"sandbox_{status.value}")
        return SendReceipt(accepted=True, provider_ref=f"SM{count:032x}")

    def messages(self, tenant_id: str | None = None) -> list[SandboxMessage]:
        """Every text sent through the sandbox (to whom, what), for tests and the local runtime."""
        with self._lock:
            return [m for m in self._messages if tenant_id is None or m.tenant_id == tenant_id]

    def answer(self, provider: Provider, status: CheckStatus | None) -> None:
        """Make checks of ``provider`` answer ``status`` from now on (``None``: healthy again)."""
        with self._lock:
            if status is None:
                self._answers.pop(provider, None)
            else:
                self._answers[provider] = status

    def calls(self, tenant_id: str | None = None) -> list[SandboxCall]:
        with self._lock:
            return [c for c in self._calls if tenant_id is None or c.tenant_id == tenant_id]

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._answers.clear()
            self._messages.clear()


@lru_cache(maxsize=1)
def sandbox() -> SandboxAdapters:
    """The process's one sandbox, shared by every function the local runtime serves."""
    return SandboxAdapters()


def _provider_of(credentials: ProviderCredentials) -> Provider:
    for provider, model in MODELS.items():
        if isinstance(credentials, model):
            return provider
    raise TypeError(f"{type(credentials).__name__} are not provider credentials")
