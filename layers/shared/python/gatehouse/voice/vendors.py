"""The voice vendors' recordings over HTTPS: fetch one from an allowed host, delete the vendor's copy.

A recording URL comes inside a signed vendor event, yet it is still outside input: it is
fetched only over HTTPS from that vendor's recording hosts (``RECORDING_HOSTS``), plus
loopback on the local runtime (``provider_mode == "sandbox"``) and nowhere else; redirects
are followed by hand, each hop checked again; the body is bounded (``recording_max_bytes``)
and the whole fetch by ``recording_fetch_seconds``. A signed URL is a secret: nothing here
logs a URL, only its host.

What each vendor's delete removes (``delete_vendor_copy``):
- retell: ``DELETE /v2/delete-call/{call_id}`` (API key) deletes the call and all its data
  at Retell: recording, transcript, analysis and logs;
- twilio: ``DELETE /2010-04-01/Accounts/{sid}/Recordings/{RE...}.json`` deletes that
  recording's media and metadata (the call log itself stays at Twilio);
- vapi: ``DELETE /call/{id}`` deletes the call with its recording and transcript.
"""

from __future__ import annotations

import ipaddress
import re
import tempfile
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Final
from urllib.parse import urljoin, urlsplit

from gatehouse.config import get_settings
from gatehouse.errors import Unavailable
from gatehouse.observability import logger, metrics

if TYPE_CHECKING:
    import requests  # loaded by the call that fetches or deletes: an HTTP client is no import's cost


class Vendor(StrEnum):
    RETELL = "retell"
    TWILIO = "twilio"
    VAPI = "vapi"


# Exact hosts, or ".suffix" for any host under it. Retell serves recordings from its CDN.
RECORDING_HOSTS: Final[dict[Vendor, tuple[str, ...]]] = {
    Vendor.RETELL: ("dxc03zgurdly9.cloudfront.net", ".retellai.com"),
    Vendor.TWILIO: ("api.twilio.com", ".twilio.com", ".twiliocdn.com"),
    Vendor.VAPI: ("storage.vapi.ai", ".vapi.ai"),
}
API_BASES: Final[dict[Vendor, str]] = {
    Vendor.RETELL: "https://api.retellai.com",
    Vendor.TWILIO: "https://api.twilio.com",
    Vendor.VAPI: "https://api.vapi.ai",
}
EXTENSIONS: Final = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/ogg": "ogg",
    "audio/webm": "webm",
    "audio/mp4": "m4a",
}
_SUFFIX: Final = re.compile(r"\.(wav|mp3|ogg|webm|m4a)$")
_TWILIO_RECORDING: Final = re.compile(r"/Recordings/(RE[0-9a-fA-F]{32})")
_CHUNK: Final = 64 * 1024
_REDIRECTS: Final = 3
_IN_MEMORY: Final = 8 * 1024 * 1024  # larger recordings spill to /tmp while they are copied


class RecordingRefused(Exception):
    """The URL is not one this vendor serves recordings from, or the recording is too large or gone.

    Fetching again would not help: the call is kept without a recording, and the reason logged.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Fetched:
    body: IO[bytes]
    content_type: str
    extension: str
    size: int


@dataclass(frozen=True)
class Access:
    """How to authenticate to a vendor: Twilio's basic auth, or an API key (Retell, Vapi)."""

    api_key: str | None = None
    base_url: str | None = None  # the tenant's vendor API (its voice integration's, allow-listed there)
    account_sid: str | None = None
    basic: tuple[str, str] | None = None  # Twilio: (account sid, auth token) or (API key sid, secret)


def allowed(url: str, vendor: Vendor) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username or parts.password or not host:
        return False
    if get_settings().voice_agent_allow_loopback and _loopback(host):  # the local runtime's sandbox only
        return parts.scheme in {"http", "https"}
    if parts.scheme != "https":
        return False
    return any(host == h or (h.startswith(".") and host.endswith(h)) for h in RECORDING_HOSTS[vendor])


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch(url: str, vendor: Vendor, access: Access) -> Fetched:
    """The recording's bytes, spooled; RecordingRefused for what it will not take, Unavailable to retry."""
    settings = get_settings()
    deadline = time.monotonic() + settings.recording_fetch_seconds
    auth = access.basic if vendor is Vendor.TWILIO else None
    for _ in range(_REDIRECTS + 1):
        if not allowed(url, vendor):
            raise RecordingRefused("recording_host_not_allowed")
        reply = _get(url, auth, deadline)
        if reply.is_redirect:
            next_url = urljoin(url, reply.headers.get("Location", ""))
            reply.close()
            if urlsplit(next_url).hostname != urlsplit(url).hostname:
                auth = None  # credentials never follow a redirect to another host
            url = next_url
            continue
        return _body(reply, url, settings.recording_max_bytes, deadline)
    raise RecordingRefused("recording_redirects_too_many")


def _get(url: str, auth: tuple[str, str] | None, deadline: float) -> requests.Response:
    import requests  # noqa: PLC0415 - see the import above

    left = deadline - time.monotonic()
    if left <= 0:
        raise _unavailable(url, "recording_fetch_timeout")
    try:
        return requests.get(
            url, auth=auth, stream=True, allow_redirects=False, timeout=(min(3.0, left), left)
        )
    except requests.RequestException:
        raise _unavailable(url, "recording_fetch_failed") from None


def _body(reply: requests.Response, url: str, limit: int, deadline: float) -> Fetched:
    import requests  # noqa: PLC0415 - see the import above

    with reply:
        if reply.status_code in {404, 410}:
            raise RecordingRefused("recording_gone")
        if reply.status_code != 200:
            raise _unavailable(url, f"recording_fetch_status_{reply.status_code // 100}xx")
        declared = reply.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise RecordingRefused("recording_too_large")
        content_type = reply.headers.get("Content-Type", "").split(";")[0].strip().lower()
        spool = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY)  # noqa: SIM115 - handed to the caller
        size = 0
        try:
            for chunk in reply.iter_content(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise RecordingRefused("recording_too_large")
                if time.monotonic() > deadline:
                    raise _unavailable(url, "recording_fetch_timeout")
                spool.write(chunk)
        except requests.RequestException:
            spool.close()
            raise _unavailable(url, "recording_fetch_failed") from None
        except BaseException:
            spool.close()
            raise
    if size == 0:
        spool.close()
        raise RecordingRefused("recording_empty")
    spool.seek(0)
    return Fetched(body=spool, content_type=content_type or "application/octet-stream",
                   extension=extension_of(urlsplit(url).path, content_type), size=size)  # fmt: skip


def extension_of(path: str, content_type: str) -> str:
    found = _SUFFIX.search(path.lower())
    if found:
        return found.group(1)
    return EXTENSIONS.get(content_type, "audio")


def _unavailable(url: str, code: str) -> Unavailable:
    # The host only: a signed URL's query string is a credential.
    logger.warning("recording not fetched", extra={"error": code, "host": urlsplit(url).hostname})
    metrics.add_metric(name="VoiceRecordingFetchFailed", unit="Count", value=1)
    return Unavailable("the call's recording could not be fetched; retry later")


class Deletion(StrEnum):
    DELETED = "deleted"
    NOT_OFFERED = "not_offered"  # the vendor has no API for it, or nothing names the copy


def delete_vendor_copy(
    vendor: Vendor | str, *, call_id: str, recording_url: str | None, access: Access
) -> Deletion:
    """Delete the vendor's copy of a call's recording (Unavailable when the vendor did not confirm it).

    The adapter for each vendor's own delete; the vendor comes from the tenant's voice
    integration. A 404 counts as deleted: the copy is gone either way.
    """
    chosen = Vendor(vendor)
    request = _delete_request(chosen, call_id, recording_url, access)
    if request is None:
        return Deletion.NOT_OFFERED
    url, headers, auth = request
    import requests  # noqa: PLC0415 - see the import above

    if get_settings().provider_mode == "sandbox" and not _loopback(urlsplit(url).hostname or ""):
        return Deletion.NOT_OFFERED  # the local runtime never reaches a real vendor
    try:
        reply = requests.delete(url, headers=headers, auth=auth,
                                timeout=get_settings().provider_timeout_seconds)  # fmt: skip
    except requests.RequestException:
        raise _delete_failed(chosen, "vendor_unreachable") from None
    if reply.status_code in {200, 202, 204, 404}:
        return Deletion.DELETED
    raise _delete_failed(chosen, f"vendor_status_{reply.status_code // 100}xx")


def _delete_request(
    vendor: Vendor, call_id: str, recording_url: str | None, access: Access
) -> tuple[str, dict[str, str], tuple[str, str] | None] | None:
    settings = get_settings()
    match vendor:
        case Vendor.RETELL if access.api_key:
            base = access.base_url or API_BASES[vendor]
            return f"{base.rstrip('/')}/v2/delete-call/{call_id}", _bearer(access.api_key), None
        case Vendor.VAPI if access.api_key:
            base = access.base_url or API_BASES[vendor]
            return f"{base.rstrip('/')}/call/{call_id}", _bearer(access.api_key), None
        case Vendor.TWILIO if access.account_sid and access.basic and recording_url:
            found = _TWILIO_RECORDING.search(urlsplit(recording_url).path)
            if found is None:
                return None
            base = settings.twilio_base_url or API_BASES[vendor]
            path = f"/2010-04-01/Accounts/{access.account_sid}/Recordings/{found.group(1)}.json"
            return f"{base.rstrip('/')}{path}", {}, access.basic
    return None


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _delete_failed(vendor: Vendor, code: str) -> Unavailable:
    logger.warning("vendor recording not deleted", extra={"vendor": vendor.value, "error": code})
    metrics.add_metric(name="VoiceVendorDeleteFailed", unit="Count", value=1)
    return Unavailable("the vendor's copy of the recording could not be deleted; retry later")
