"""The voice agent vendors' APIs, each at the base URL the tenant's integration names.

- Retell: ``POST /v2/create-phone-call`` {from_number, to_number, override_agent_id,
  metadata, retell_llm_dynamic_variables} -> {"call_id"}; the check is ``GET /get-agent/<id>``.
- Vapi: ``POST /call`` {assistantId, phoneNumberId, customer.number,
  assistantOverrides.variableValues and .metadata} -> {"id"}; the check is
  ``GET /assistant/<id>``.

Both take the API key as a bearer token. Where a vendor posts its events is set on the
vendor's side (Retell's agent or account webhook, Vapi's server URL with its HMAC
credential), never per call. One request per call, never retried: a timeout may hide a
placed call, and the attempt's claim stops a second one. Every failure is a fixed code,
never the vendor's text (it may quote the number called).
"""

from __future__ import annotations

import re
from typing import Any, Final

import requests

from gatehouse.config import get_settings
from gatehouse.observability import logger, metrics
from gatehouse.providers.base import CallRequest, CheckStatus, SendReceipt
from gatehouse.vault.schemas import VoiceAgentCredentials, VoiceVendor, voice_base_allowed

_REFUSED: Final = frozenset({401, 403})
_CALL_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def place(credentials: VoiceAgentCredentials, call: CallRequest) -> SendReceipt:
    base = _base(credentials)
    if credentials.api_key is None:
        return SendReceipt(accepted=False, error="no_credentials")
    if base is None:
        return _failed("voice_agent_base_not_allowed")
    if credentials.vendor is VoiceVendor.VAPI:
        url, payload, id_field = f"{base}/call", _vapi_call(credentials, call), "id"
    else:
        url, payload, id_field = f"{base}/v2/create-phone-call", _retell_call(call), "call_id"
    return _post(url, payload, credentials, id_field)


def _post(
    url: str, payload: dict[str, Any], credentials: VoiceAgentCredentials, id_field: str
) -> SendReceipt:
    try:
        reply = requests.post(
            url,
            json=payload,
            headers=_auth(credentials),
            timeout=get_settings().provider_timeout_seconds,
            allow_redirects=False,
        )
    except requests.RequestException:
        return _failed("voice_agent_unreachable")
    if reply.status_code >= 500:
        return _failed("voice_agent_unavailable")
    if reply.status_code not in {200, 201}:
        return _failed("voice_agent_refused")
    try:
        call_id = reply.json().get(id_field)
    except (ValueError, AttributeError):
        call_id = None
    if not isinstance(call_id, str) or not _CALL_ID.fullmatch(call_id):
        return _failed("voice_agent_malformed")
    return SendReceipt(accepted=True, provider_ref=call_id)


def check(credentials: VoiceAgentCredentials) -> tuple[CheckStatus, str]:
    """Ask the vendor about the agent with the key, placing nothing."""
    base = _base(credentials)
    if credentials.api_key is None:
        return CheckStatus.REJECTED, "no API key is stored"
    if base is None:
        return CheckStatus.REJECTED, "the base URL is not one of the vendor's"
    path = "assistant" if credentials.vendor is VoiceVendor.VAPI else "get-agent"
    return _ask(f"{base}/{path}/{credentials.agent_id}", credentials)


def _ask(url: str, credentials: VoiceAgentCredentials) -> tuple[CheckStatus, str]:
    who = f"the voice agent ({credentials.vendor.value})"
    try:
        reply = requests.get(
            url,
            headers=_auth(credentials),
            timeout=get_settings().provider_timeout_seconds,
            allow_redirects=False,
        )
    except requests.RequestException:
        return CheckStatus.UNREACHABLE, f"{who} could not be reached"
    if reply.status_code == 200:
        return CheckStatus.VERIFIED, f"{who} accepted the credentials"
    if reply.status_code in _REFUSED:
        return CheckStatus.REJECTED, f"{who} refused the credentials"
    if reply.status_code == 404:
        return CheckStatus.REJECTED, f"{who} does not know this agent id"
    return CheckStatus.UNREACHABLE, f"{who} answered {reply.status_code}"


def _retell_call(call: CallRequest) -> dict[str, Any]:
    return {
        "from_number": call.caller_id,
        "to_number": call.to,
        "override_agent_id": call.agent_id,
        "metadata": call.metadata,
        "retell_llm_dynamic_variables": call.variables,
    }


def _vapi_call(credentials: VoiceAgentCredentials, call: CallRequest) -> dict[str, Any]:
    # Vapi dials from one of the tenant's Vapi numbers (phoneNumberId), not from a bare number.
    return {
        "assistantId": call.agent_id,
        "phoneNumberId": credentials.phone_number_id,
        "customer": {"number": call.to},
        "assistantOverrides": {"variableValues": call.variables, "metadata": call.metadata},
    }


def _base(credentials: VoiceAgentCredentials) -> str | None:
    # Checked again here, not only when the credentials were read: the key never goes elsewhere.
    base = credentials.api_base.rstrip("/")
    return base if voice_base_allowed(credentials.vendor, base) else None


def _auth(credentials: VoiceAgentCredentials) -> dict[str, str]:
    key = credentials.api_key.get_secret_value() if credentials.api_key else ""
    return {"Authorization": f"Bearer {key}"}


def _failed(code: str) -> SendReceipt:
    logger.warning("voice agent call not placed", extra={"error": code})
    metrics.add_metric(name="VoiceAgentErrors", unit="Count", value=1)
    return SendReceipt(accepted=False, error=code)
