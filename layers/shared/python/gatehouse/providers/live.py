"""Live provider adapters: Twilio through its SDK, the voice agent and DNC provider over HTTPS, SES.

Each call has a short timeout and turns every answer into a ``CheckStatus`` with fixed
wording: provider error texts are not passed on (they may quote what was sent), and
no exception carries credentials out of here.
"""

from __future__ import annotations

from typing import Final

import requests
from botocore.exceptions import BotoCoreError, ClientError

from gatehouse.clients import aws_client
from gatehouse.config import get_settings
from gatehouse.observability import logger
from gatehouse.providers.base import CheckStatus
from gatehouse.vault.schemas import (
    DncCredentials,
    EmailSenderCredentials,
    ProviderCredentials,
    TwilioCredentials,
    VoiceAgentCredentials,
)

_REFUSED: Final = frozenset({401, 403})


class LiveAdapters:
    def check(self, tenant_id: str, credentials: ProviderCredentials) -> tuple[CheckStatus, str]:
        match credentials:
            case TwilioCredentials():
                return _check_twilio(credentials)
            case VoiceAgentCredentials():
                return _check_voice_agent(credentials)
            case DncCredentials():
                return _check_dnc(credentials)
            case EmailSenderCredentials():
                return _check_email_sender(credentials)
        raise TypeError(f"no adapter for {type(credentials).__name__}")


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


def _check_voice_agent(credentials: VoiceAgentCredentials) -> tuple[CheckStatus, str]:
    if credentials.api_key is None:
        return CheckStatus.REJECTED, "no API key is stored"
    base = get_settings().voice_agent_base_url.rstrip("/")
    return _https_check(
        "the voice agent",
        f"{base}/get-agent/{credentials.agent_id}",
        {"Authorization": f"Bearer {credentials.api_key.get_secret_value()}"},
        not_found="the voice agent does not know this agent id",
    )


def _check_dnc(credentials: DncCredentials) -> tuple[CheckStatus, str]:
    if credentials.api_key is None:
        return CheckStatus.REJECTED, "no registry files are loaded under this reference"
    base = get_settings().dnc_base_url.rstrip("/")
    if not base:
        return CheckStatus.UNREACHABLE, "no DNC provider endpoint is configured for this deployment"
    headers = {"Authorization": f"Bearer {credentials.api_key.get_secret_value()}"}
    if credentials.account_id is not None:
        headers["X-Account-Id"] = credentials.account_id
    return _https_check("the DNC provider", f"{base}/v1/account", headers, not_found=None)


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
