"""The sandbox provider of the local runtime: it records every call and answers like a healthy provider.

Nothing leaves the process. Each call is kept in memory with the credentials it was
given, so an end-to-end test can see exactly what a real provider would have
received; the recording lives only as long as the process and is never written to
disk or logs. ``answer`` makes the next checks of a provider answer otherwise, for
tests of the failure paths. DNC lookups answer deterministically: a number whose last
four digits are one of ``SANDBOX_DNC_LISTED_SUFFIXES`` (0000, 9999) is listed, every
other number is clear, on the federal registry and on every state list, with data as of
the instant asked (``date_dnc_answers`` shifts that date, for tests of old or future
data), except area code 907, whose registry data is 40 days old; after
``answer(Provider.DNC, <anything but verified>)`` lookups fail as an
unreachable provider would. AWS deployments never select it (``GATEHOUSE_PROVIDER_MODE``
is set only by the local runtime).

Texts and calls are accepted with a fresh provider id and, while callbacks are started
(the local runtime starts them; see ``sandbox_callbacks``), answered with the signed
status callbacks the real provider would post: a text goes queued, sent, delivered; a
call is answered by its vendor's own events in its own wire format and signature
(``sandbox_calls``: Retell, Vapi, Twilio with answering-machine detection), saying the
script of turns ``script_call`` set for the called number's last four digits (or the
default). A number whose last four digits are ``SANDBOX_UNDELIVERED_SUFFIX`` (0013)
fails deterministically: a text ends ``undelivered`` with ErrorCode 30003 (unreachable
handset), a call is not answered.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final

from gatehouse.clock import utc_now
from gatehouse.compliance.state_rules import rulebook
from gatehouse.config import get_settings
from gatehouse.providers import sandbox_callbacks
from gatehouse.providers.base import CallRequest, CheckStatus, DncReply, SendReceipt
from gatehouse.providers.sandbox_callbacks import Callback, CallbackPoster
from gatehouse.providers.sandbox_calls import (
    DEFAULT_SCRIPT,
    SANDBOX_SCRIPTS,
    SANDBOX_UNDELIVERED_SUFFIX,
    Script,
    call_callbacks,
)
from gatehouse.vault.schemas import (
    MODELS,
    DncCredentials,
    Provider,
    ProviderCredentials,
    TwilioCredentials,
    VoiceAgentCredentials,
)

SANDBOX_DNC_LISTED_SUFFIXES: Final = frozenset({"0000", "9999"})
# Area codes whose registry file the sandbox holds in an old version: answers for them rely on
# data this much older than the instant asked (gate 4 then refuses them as dnc_data_stale).
SANDBOX_DNC_OLD_AREA_CODES: Final = {"907": timedelta(days=40)}
SANDBOX_UNDELIVERED_ERROR: Final = "30003"


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
    sid: str = ""
    sender: str | None = None  # None: the credentials' default (messaging service or first number)


@dataclass(frozen=True)
class SandboxPlacedCall:
    tenant_id: str
    placed_by: Provider
    call: CallRequest
    call_id: str


class SandboxAdapters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[SandboxCall] = []
        self._answers: dict[Provider, CheckStatus] = {}
        self._dnc_as_of_shift = timedelta(0)
        self._dnc_registered: set[str] = set()
        self._messages: list[SandboxMessage] = []
        self._placed: list[SandboxPlacedCall] = []
        self._scripts: dict[str, Script] = dict(SANDBOX_SCRIPTS)
        self.callbacks = CallbackPoster()

    def check(self, tenant_id: str, credentials: ProviderCredentials) -> tuple[CheckStatus, str]:
        provider = _provider_of(credentials)
        with self._lock:
            self._calls.append(SandboxCall(tenant_id, provider, "check", credentials, utc_now()))
            status = self._answers.get(provider, CheckStatus.VERIFIED)
        return status, f"sandbox {provider} answered {status}"

    def lookup_dnc(
        self, tenant_id: str, credentials: DncCredentials, numbers: list[str], *, at: datetime
    ) -> DncReply:
        with self._lock:
            self._calls.append(SandboxCall(tenant_id, Provider.DNC, "dnc_lookup", credentials, utc_now()))
            status = self._answers.get(Provider.DNC, CheckStatus.VERIFIED)
            shift = self._dnc_as_of_shift
            registered = set(self._dnc_registered)
        if status is not CheckStatus.VERIFIED:
            return DncReply(failure="provider_unavailable")
        # A real-time stand-in: its data, federal and every state list, is as of the instant asked.
        as_of = at + shift
        return DncReply(
            listed={n: n[-4:] in SANDBOX_DNC_LISTED_SUFFIXES or n in registered for n in numbers},
            as_of=as_of,
            as_of_by_area_code={code: as_of - age for code, age in SANDBOX_DNC_OLD_AREA_CODES.items()},
            state_lists=dict.fromkeys(rulebook().dnc_list_states(), as_of),
        )

    def register_on_dnc(self, number: str) -> None:
        """The person puts their number on the registry: every later lookup answers it listed."""
        with self._lock:
            self._dnc_registered.add(number)

    def date_dnc_answers(self, shift: timedelta) -> None:
        """Date DNC answers ``shift`` from the instant asked (negative: older data; positive: ahead)."""
        with self._lock:
            self._dnc_as_of_shift = shift

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
        sid = "SM" + secrets.token_hex(16)
        with self._lock:
            self._calls.append(SandboxCall(tenant_id, Provider.TWILIO, "send_sms", credentials, utc_now()))
            self._messages.append(SandboxMessage(tenant_id, to, body, status_callback, sid, sender))
            status = self._answers.get(Provider.TWILIO, CheckStatus.VERIFIED)
        if status is not CheckStatus.VERIFIED:
            return SendReceipt(accepted=False, error=f"sandbox_{status.value}")
        if status_callback and credentials.auth_token is not None:
            token = credentials.auth_token.get_secret_value()
            self.callbacks.plan(_message_callbacks(status_callback, token, credentials, sid, to, sender))
        return SendReceipt(accepted=True, provider_ref=sid)

    def place_call(
        self, tenant_id: str, credentials: TwilioCredentials | VoiceAgentCredentials, call: CallRequest
    ) -> SendReceipt:
        provider = _provider_of(credentials)
        by_twilio = provider is Provider.TWILIO
        call_id = "CA" + secrets.token_hex(16) if by_twilio else "call_" + secrets.token_hex(12)
        with self._lock:
            self._calls.append(SandboxCall(tenant_id, provider, "place_call", credentials, utc_now()))
            self._placed.append(SandboxPlacedCall(tenant_id, provider, call, call_id))
            status = self._answers.get(provider, CheckStatus.VERIFIED)
            script = self._scripts.get(call.to[-4:], DEFAULT_SCRIPT)
        if status is not CheckStatus.VERIFIED:
            return SendReceipt(accepted=False, error=f"sandbox_{status.value}")
        if call.status_callback:
            self.callbacks.plan(call_callbacks(credentials, call, call_id, script))
        return SendReceipt(accepted=True, provider_ref=call_id)

    def script_call(self, suffix: str, turns: Script) -> None:
        """Calls to numbers ending ``suffix`` (four digits) say ``turns``: (``agent`` | ``user``, words)."""
        if len(suffix) != 4 or not suffix.isascii() or not suffix.isdigit():
            raise ValueError("the suffix is the called number's last four digits")
        if any(role not in {"agent", "user"} for role, _ in turns):
            raise ValueError("each turn is said by the agent or the user")
        with self._lock:
            self._scripts[suffix] = tuple(turns)

    def script_for(self, number: str) -> Script:
        """What a call to ``number`` says: its suffix's script, or the default."""
        with self._lock:
            return self._scripts.get(number[-4:], DEFAULT_SCRIPT)

    def placed_calls(self, tenant_id: str | None = None) -> list[SandboxPlacedCall]:
        """Every call placed through the sandbox (by whom, to whom, with what metadata)."""
        with self._lock:
            return [c for c in self._placed if tenant_id is None or c.tenant_id == tenant_id]

    def start_callbacks(self) -> None:
        """Post status callbacks to this deployment's public URL from now on (the local runtime)."""
        settings = get_settings()
        if settings.public_base_url:
            self.callbacks.start(settings.public_base_url, settings.sandbox_callback_delay_seconds)

    def stop_callbacks(self) -> None:
        self.callbacks.stop()

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
            self._dnc_as_of_shift = timedelta(0)
            self._dnc_registered.clear()
            self._messages.clear()
            self._placed.clear()
            self._scripts = dict(SANDBOX_SCRIPTS)


@lru_cache(maxsize=1)
def sandbox() -> SandboxAdapters:
    """The process's one sandbox, shared by every function the local runtime serves."""
    return SandboxAdapters()


def _provider_of(credentials: ProviderCredentials) -> Provider:
    for provider, model in MODELS.items():
        if isinstance(credentials, model):
            return provider
    raise TypeError(f"{type(credentials).__name__} are not provider credentials")


def _fails(number: str) -> bool:
    return number.endswith(SANDBOX_UNDELIVERED_SUFFIX)


def _message_callbacks(  # noqa: PLR0917
    url: str, token: str, credentials: TwilioCredentials, sid: str, to: str, sender: str | None
) -> list[Callback]:
    """Twilio's status callbacks of one text, ``From`` the number it left from (a pool's first when
    the send named none, as a messaging service picks one)."""
    sender = sender or (credentials.sender_numbers[0] if credentials.sender_numbers else "")
    base = [
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("AccountSid", credentials.account_sid),
        ("From", sender),
        ("To", to),
        ("ApiVersion", "2010-04-01"),
    ]
    failed = [("undelivered", [("ErrorCode", SANDBOX_UNDELIVERED_ERROR)])]
    final = failed if _fails(to) else [("delivered", [])]
    steps: list[tuple[str, list[tuple[str, str]]]] = [("queued", []), ("sent", []), *final]
    return [
        sandbox_callbacks.twilio_form(
            url, [*base, ("MessageStatus", status), ("SmsStatus", status), *extra], token
        )
        for status, extra in steps
    ]
