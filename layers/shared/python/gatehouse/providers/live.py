"""Live provider adapters: Twilio through its SDK, the voice agent and DNC provider over HTTPS, SES.

The voice agent vendors' requests are in ``gatehouse.providers.voice_agents``.

Each call has a short timeout and turns every answer into a ``CheckStatus`` with fixed
wording: provider error texts are not passed on (they may quote what was sent), and
no exception carries credentials out of here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import requests
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from pynamodb.exceptions import PynamoDBException

from gatehouse.clients import aws_client
from gatehouse.clock import utc_now
from gatehouse.config import get_settings
from gatehouse.dnc import registry
from gatehouse.dnc.stamps import ScrubReason
from gatehouse.observability import logger, metrics
from gatehouse.providers import voice_agents
from gatehouse.providers.base import DNC_LOOKUP_MAX, CallRequest, CheckStatus, DncReply, SendReceipt
from gatehouse.tenancy import TenantScope
from gatehouse.vault.schemas import (
    DncCredentials,
    EmailSenderCredentials,
    ProviderCredentials,
    TwilioCredentials,
    VoiceAgentCredentials,
)

_REFUSED: Final = frozenset({401, 403})
# A provider's id for what it accepted (Twilio SIDs), checked before it is stored.
_PROVIDER_REF: Final = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
# Twilio calls back at each of these moments of a call.
CALL_STATUS_EVENTS: Final = ("initiated", "ringing", "answered", "completed")
# Answering-machine detection: Twilio holds the TwiML until it knows who answered, and reports it
# (AnsweredBy) with the status callbacks, so a call that reached a machine reads as voicemail.
MACHINE_DETECTION: Final = "Enable"


class LiveAdapters:
    def check(self, tenant_id: str, credentials: ProviderCredentials) -> tuple[CheckStatus, str]:
        match credentials:
            case TwilioCredentials():
                return _check_twilio(credentials)
            case VoiceAgentCredentials():
                return voice_agents.check(credentials)
            case DncCredentials():
                return _check_dnc(tenant_id, credentials)
            case EmailSenderCredentials():
                return _check_email_sender(credentials)
        raise TypeError(f"no adapter for {type(credentials).__name__}")

    def lookup_dnc(
        self, tenant_id: str, credentials: DncCredentials, numbers: list[str], *, at: datetime
    ) -> DncReply:
        return _scrub_over_https(credentials, numbers)

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
        return _send_twilio_sms(credentials, to=to, body=body, status_callback=status_callback, sender=sender)

    def place_call(
        self, tenant_id: str, credentials: TwilioCredentials | VoiceAgentCredentials, call: CallRequest
    ) -> SendReceipt:
        if isinstance(credentials, TwilioCredentials):
            return _place_twilio_call(credentials, call)
        return voice_agents.place(credentials, call)


def _twilio_account(credentials: TwilioCredentials) -> Any | None:
    """The SDK's handle on the tenant's account (short timeout, no retries); None without a login."""
    from twilio.http.http_client import TwilioHttpClient  # noqa: PLC0415
    from twilio.rest import Client  # noqa: PLC0415 - the SDK is large; only checks and sends load it

    settings = get_settings()
    if credentials.api_key_sid is not None and credentials.api_key_secret is not None:
        username, password = credentials.api_key_sid, credentials.api_key_secret.get_secret_value()
    elif credentials.auth_token is not None:
        username, password = credentials.account_sid, credentials.auth_token.get_secret_value()
    else:
        return None
    client = Client(
        username,
        password,
        account_sid=credentials.account_sid,
        http_client=TwilioHttpClient(timeout=settings.provider_timeout_seconds),
    )
    if settings.twilio_base_url:
        client.api.base_url = settings.twilio_base_url
    return client.api.v2010.accounts(credentials.account_sid)


def _send_twilio_sms(
    credentials: TwilioCredentials,
    *,
    to: str,
    body: str,
    status_callback: str | None,
    sender: str | None = None,
) -> SendReceipt:
    account = _twilio_account(credentials)
    if account is None:
        return SendReceipt(accepted=False, error="no_credentials")
    origin: dict[str, str] = (
        {"messaging_service_sid": credentials.messaging_service_sid}
        if credentials.messaging_service_sid
        else {"from_": credentials.sender_numbers[0]}
    )
    if sender is not None:
        origin["from_"] = sender  # with a messaging service too: Twilio sends from this number of its pool
    extra = {"status_callback": status_callback} if status_callback else {}
    return _twilio_create(lambda: account.messages.create(to=to, body=body, **origin, **extra))


def _place_twilio_call(credentials: TwilioCredentials, call: CallRequest) -> SendReceipt:
    """Twilio dials the contact from the campaign's caller id and connects the answer to the agent."""
    from twilio.twiml.voice_response import Dial, VoiceResponse  # noqa: PLC0415

    account = _twilio_account(credentials)
    if account is None:
        return SendReceipt(accepted=False, error="no_credentials")
    if call.dial is None:
        return SendReceipt(accepted=False, error="no_agent_target")
    dial = Dial(time_limit=call.max_duration_seconds)
    if call.dial.startswith(("sip:", "sips:")):
        dial.sip(call.dial)
    else:
        dial.number(call.dial)
    twiml = str(VoiceResponse().append(dial))
    extra: dict[str, Any] = (
        {
            "status_callback": call.status_callback,
            "status_callback_event": list(CALL_STATUS_EVENTS),
            "status_callback_method": "POST",
        }
        if call.status_callback
        else {}
    )
    return _twilio_create(
        lambda: account.calls.create(
            to=call.to,
            from_=call.caller_id,
            twiml=twiml,
            time_limit=call.max_duration_seconds,
            machine_detection=MACHINE_DETECTION,
            **extra,
        )
    )


def _twilio_create(create: Callable[[], Any]) -> SendReceipt:
    from twilio.base.exceptions import TwilioException, TwilioRestException  # noqa: PLC0415

    try:
        created = create()
    except TwilioRestException as exc:
        return SendReceipt(accepted=False, error=f"twilio_{exc.code or exc.status}")
    except (TwilioException, requests.RequestException, ValueError):
        # It may or may not have been accepted; the claim keeps it from going twice.
        return SendReceipt(accepted=False, error="twilio_unreachable")
    sid = getattr(created, "sid", None)
    if not isinstance(sid, str) or not _PROVIDER_REF.fullmatch(sid):
        return SendReceipt(accepted=False, error="twilio_malformed")
    return SendReceipt(accepted=True, provider_ref=sid)


def _check_twilio(credentials: TwilioCredentials) -> tuple[CheckStatus, str]:
    from twilio.base.exceptions import TwilioException, TwilioRestException  # noqa: PLC0415
    from twilio.http.http_client import TwilioHttpClient  # noqa: PLC0415
    from twilio.rest import Client  # noqa: PLC0415 - the SDK is large; only checks and sends load it

    settings = get_settings()
    logins: list[tuple[str, str, str]] = []
    if credentials.auth_token is not None:
        logins.append(("auth token", credentials.account_sid, credentials.auth_token.get_secret_value()))
    if credentials.api_key_sid is not None and credentials.api_key_secret is not None:
        logins.append(("API key", credentials.api_key_sid, credentials.api_key_secret.get_secret_value()))
    for label, username, password in logins:
        client = Client(
            username,
            password,
            account_sid=credentials.account_sid,
            http_client=TwilioHttpClient(timeout=settings.provider_timeout_seconds),
        )
        if settings.twilio_base_url:
            client.api.base_url = settings.twilio_base_url
        try:
            account = client.api.v2010.accounts(credentials.account_sid).fetch()
        except TwilioRestException as exc:
            if exc.status in _REFUSED or exc.status == 404:
                return CheckStatus.REJECTED, f"Twilio refused the {label}"
            return CheckStatus.UNREACHABLE, f"Twilio answered {exc.status} to the {label} check"
        except (TwilioException, requests.RequestException, ValueError):
            return CheckStatus.UNREACHABLE, "Twilio could not be reached"
        if account.status != "active":
            return CheckStatus.REJECTED, "the Twilio account is not active"
    return CheckStatus.VERIFIED, "Twilio accepted " + " and ".join(label for label, _, _ in logins)


def _check_dnc(tenant_id: str, credentials: DncCredentials) -> tuple[CheckStatus, str]:
    if credentials.api_key is None:
        return _check_registry(tenant_id, credentials.registry_ref)
    base = get_settings().dnc_base_url.rstrip("/")
    if not base:
        return CheckStatus.UNREACHABLE, "no DNC provider endpoint is configured for this deployment"
    return _https_check("the DNC provider", f"{base}/v1/account", _dnc_headers(credentials), not_found=None)


def _check_registry(tenant_id: str, registry_ref: str | None) -> tuple[CheckStatus, str]:
    """One read of the tenant's registry record: is anything loaded under this reference, and fresh?"""
    try:
        loaded = registry.current(TenantScope(tenant_id))
    except (ClientError, BotoCoreError, PynamoDBException):
        return CheckStatus.UNREACHABLE, "the registry could not be read"
    if loaded is None or loaded.registry_ref != registry_ref or not loaded.areas:
        return CheckStatus.REJECTED, "no registry files are loaded under this reference"
    now = utc_now()
    fresh = sum(1 for manifest in loaded.areas.values() if registry.is_fresh(manifest, now))
    if fresh == 0:
        return CheckStatus.REJECTED, "every area code's registry file is older than 31 days"
    stale = len(loaded.areas) - fresh
    return CheckStatus.VERIFIED, f"registry loaded: {fresh} area codes current, {stale} older than 31 days"


def _dnc_headers(credentials: DncCredentials) -> dict[str, str]:
    if credentials.api_key is None:
        raise ValueError("registry credentials have no HTTPS provider to call")
    headers = {"Authorization": f"Bearer {credentials.api_key.get_secret_value()}"}
    if credentials.account_id is not None:
        headers["X-Account-Id"] = credentials.account_id
    return headers


def _scrub_over_https(credentials: DncCredentials, numbers: list[str]) -> DncReply:
    """``POST {dnc_base_url}/v1/scrub`` {"numbers": [...]} -> {"as_of", "results": [{"number", "listed"}]}.

    ``as_of`` (ISO-8601 with offset) is the version of the registry data the provider used;
    ``state_lists`` ({"TX": as_of, ...}, optional) the state lists it checked as well. The
    scrub refuses an undated reply (see ``gatehouse.dnc.scrubbing``). Fails closed: no endpoint,
    a timeout, a refusal, a 5xx or a reply we cannot read gives every number the failure; a
    number the reply leaves out gets no answer.
    """
    if len(numbers) > DNC_LOOKUP_MAX:
        raise ValueError(f"at most {DNC_LOOKUP_MAX} numbers per lookup")
    headers = _dnc_headers(credentials)
    base = get_settings().dnc_base_url.rstrip("/")
    if not base:
        return _failed(ScrubReason.PROVIDER_UNAVAILABLE, "no endpoint")
    try:
        reply = requests.post(
            f"{base}/v1/scrub",
            json={"numbers": numbers},
            headers=headers,
            timeout=get_settings().provider_timeout_seconds,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return _failed(ScrubReason.PROVIDER_UNAVAILABLE, type(exc).__name__)
    if reply.status_code != 200:
        refused = 400 <= reply.status_code < 500
        reason = ScrubReason.PROVIDER_REFUSED if refused else ScrubReason.PROVIDER_UNAVAILABLE
        return _failed(reason, f"status {reply.status_code}")
    answer = _read_results(reply, set(numbers))
    if answer is None:
        return _failed(ScrubReason.PROVIDER_MALFORMED, "unreadable reply")
    return answer


def _read_results(reply: requests.Response, asked: set[str]) -> DncReply | None:
    try:
        body = reply.json()
    except ValueError:
        return None
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        return None
    listed = _listed(results, asked)
    if listed is None:
        return None
    try:
        return DncReply(
            listed=listed,
            as_of=body.get("as_of"),
            as_of_by_area_code=body.get("as_of_by_area_code") or {},
            state_lists=body.get("state_lists") or {},
        )
    except ValidationError:
        return None  # an as-of date without a zone, or one we cannot read


def _listed(results: list[Any], asked: set[str]) -> dict[str, bool] | None:
    listed: dict[str, bool] = {}
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("listed"), bool):
            return None
        number = result.get("number")
        if number in asked:
            listed[str(number)] = result["listed"]
    return listed


def _failed(reason: ScrubReason, detail: str) -> DncReply:
    # The detail is ours (a status code, an exception name), never provider text or a number.
    logger.warning("DNC provider lookup failed", extra={"reason": reason.value, "detail": detail})
    metrics.add_metric(name="DncProviderErrors", unit="Count", value=1)
    return DncReply(failure=reason.value)


def _https_check(
    who: str, url: str, headers: dict[str, str], *, not_found: str | None
) -> tuple[CheckStatus, str]:
    try:
        reply = requests.get(
            url, headers=headers, timeout=get_settings().provider_timeout_seconds, allow_redirects=False
        )
    except requests.RequestException:
        return CheckStatus.UNREACHABLE, f"{who} could not be reached"
    if reply.status_code == 200:
        return CheckStatus.VERIFIED, f"{who} accepted the credentials"
    if reply.status_code in _REFUSED:
        return CheckStatus.REJECTED, f"{who} refused the credentials"
    if reply.status_code == 404 and not_found is not None:
        return CheckStatus.REJECTED, not_found
    return CheckStatus.UNREACHABLE, f"{who} answered {reply.status_code}"


def _check_email_sender(credentials: EmailSenderCredentials) -> tuple[CheckStatus, str]:
    ses = aws_client("sesv2")
    domain = credentials.from_address.rpartition("@")[2]
    for identity in (credentials.from_address, domain):
        try:
            found = ses.get_email_identity(EmailIdentity=identity)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NotFoundException":
                continue
            logger.warning("SES identity check failed", extra={"error_code": exc.response.get("Error")})
            return CheckStatus.UNREACHABLE, "SES could not be asked about the sender"
        except BotoCoreError:
            return CheckStatus.UNREACHABLE, "SES could not be reached"
        if found.get("VerifiedForSendingStatus") or found.get("VerificationStatus") == "SUCCESS":
            return CheckStatus.VERIFIED, "SES may send from this address"
        return CheckStatus.REJECTED, "the SES identity is not verified for sending"
    return CheckStatus.REJECTED, "SES has no identity for this address or its domain"
