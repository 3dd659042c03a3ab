"""TenantObjects: the one door to a tenant's objects in the recording bucket.

Bound to one tenant at construction. Every object key it touches is built here as
``tenants/<tenant_id>/<parts...>`` from a validated tenant id and validated parts, so no
caller can name another tenant's object. Requests are signed with the tenant's own
``TenantAccessRole`` session, whose policy allows only ``tenants/${aws:PrincipalTag/tenant}/*``:
a key built wrongly here is still refused in AWS. Every object is written with SSE-KMS
under the recording key (the bucket policy refuses any other), and is read only
through short-lived presigned URLs. It never lists a bucket and never logs a key's parts.
"""

from __future__ import annotations

import re
import threading
from typing import IO, Any, Final

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gatehouse.config import get_settings
from gatehouse.errors import CrossTenantAccess, Unavailable
from gatehouse.freshness import forgotten_on_restore
from gatehouse.ids import is_tenant_id
from gatehouse.observability import logger
from gatehouse.tenancy import credentials

PREFIX: Final = "tenants"
_PART: Final = re.compile(r"^[A-Za-z0-9_-]{1,128}(\.[a-z0-9]{1,8})?$")
# A presigned read never outlives this: playback links are short-lived by design.
MAX_PRESIGN_SECONDS: Final = 300
_MISSING: Final = frozenset({"NoSuchKey", "404", "NotFound"})

_clients: dict[tuple[str, str], Any] = {}
_guard = threading.Lock()


@forgotten_on_restore
def forget_clients() -> None:
    """Drop every tenant-signed client: a restored environment signs with fresh credentials."""
    with _guard:
        _clients.clear()


class TenantObjects:
    """Objects of one tenant under ``tenants/<tenant_id>/`` in the recording bucket."""

    def __init__(self, tenant_id: str) -> None:
        if not is_tenant_id(tenant_id):
            raise CrossTenantAccess("not a tenant id")
        self._tenant_id = tenant_id

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    def key(self, *parts: str) -> str:
        """``tenants/<tenant_id>/<parts>``; each part an id (with an optional extension), never a path."""
        if not parts or not all(_PART.fullmatch(p) for p in parts):
            raise CrossTenantAccess("not an object key of this tenant")
        return "/".join((PREFIX, self._tenant_id, *parts))

    def owns(self, key: str) -> bool:
        return key.startswith(f"{PREFIX}/{self._tenant_id}/") and ".." not in key

    def put(self, key: str, body: IO[bytes] | bytes, *, content_type: str) -> None:
        """Store ``body`` at ``key`` with SSE-KMS under the recording key; Unavailable when S3 refuses."""
        settings = _configured()
        try:
            self._client().put_object(
                Bucket=settings.recording_bucket,
                Key=self._checked(key),
                Body=body,
                ContentType=content_type,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=settings.recording_key_id,
            )
        except (ClientError, BotoCoreError) as exc:
            logger.warning("object not stored", extra={"error": type(exc).__name__})
            raise Unavailable("the object could not be stored; retry later") from None

    def delete(self, key: str) -> None:
        """Remove the object (an absent one is already gone)."""
        try:
            self._client().delete_object(Bucket=_configured().recording_bucket, Key=self._checked(key))
        except (ClientError, BotoCoreError) as exc:
            logger.warning("object not deleted", extra={"error": type(exc).__name__})
            raise Unavailable("the object could not be deleted; retry later") from None

    def exists(self, key: str) -> bool:
        try:
            self._client().head_object(Bucket=_configured().recording_bucket, Key=self._checked(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise Unavailable("the object could not be read; retry later") from None
        except BotoCoreError:
            raise Unavailable("the object could not be read; retry later") from None
        return True

    def presigned_get(self, key: str, *, seconds: int) -> str:
        """A URL that reads the object for ``seconds`` (at most ``MAX_PRESIGN_SECONDS``)."""
        if not 0 < seconds <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"a read link lives at most {MAX_PRESIGN_SECONDS} seconds")
        try:
            url: str = self._client().generate_presigned_url(
                "get_object",
                Params={"Bucket": _configured().recording_bucket, "Key": self._checked(key)},
                ExpiresIn=seconds,
            )
        except (ClientError, BotoCoreError):
            raise Unavailable("a read link could not be prepared; retry later") from None
        return url

    def _checked(self, key: str) -> str:
        if not self.owns(key):
            raise CrossTenantAccess("not an object key of this tenant")
        return key

    def _client(self) -> Any:
        scoped = credentials.for_tenant(self._tenant_id)
        held = _clients.get((self._tenant_id, scoped.access_key_id))
        if held is not None:
            return held
        settings = get_settings()
        client = botocore.session.get_session().create_client(
            "s3",
            region_name=settings.region,
            aws_access_key_id=scoped.access_key_id,
            aws_secret_access_key=scoped.secret_access_key,
            aws_session_token=scoped.session_token,
            # SigV4 everywhere: SSE-KMS objects are readable only through SigV4-signed requests.
            config=Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"}),
        )
        with _guard:
            for stale in [k for k in _clients if k[0] == self._tenant_id]:
                del _clients[stale]
            _clients[(self._tenant_id, scoped.access_key_id)] = client
        return client


def _configured() -> Any:
    settings = get_settings()
    if not settings.recording_bucket:
        raise Unavailable("call recordings are not configured here")
    return settings
