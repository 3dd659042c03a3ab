"""Webhook refs: the unguessable name a tenant's provider callbacks carry in their URL.

A provider calls ``/webhooks/<provider>/<ref>``; the ref finds the tenant (one global
lookup, ``WEBHOOK#<ref>``) whose credentials then verify the signature. The ref is
random (``whk_`` + 26 base32 characters, 130 bits) and never derived from the tenant
id, so a URL names no tenant and one tenant's URL cannot be guessed from another's.
The tenant keeps its own ref under ``WEBHOOK_REF``; both are written in one
transaction, so a ref is never half-made. A ref that finds no tenant is answered
exactly like a bad signature by the webhook function; this module only says "none".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict
from gatehouse.ids import is_entity_id, is_tenant_id, new_id
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import GlobalRecord, TenantRecord, TenantScope, get_directory

PREFIX = "whk"
_ROUNDS = 5
REF_PATTERN = r"^whk_[a-z2-7]{26}$"


class WebhookRefLookup(GlobalRecord):
    """``WEBHOOK#<ref>`` -> the tenant it belongs to; holds nothing else."""

    collection = "WEBHOOK"

    ref: str = Field(pattern=REF_PATTERN)
    tenant_id: str

    def partition_id(self) -> str:
        return self.ref

    def sort_key(self) -> str:
        return "TENANT"


class WebhookRef(TenantRecord):
    """The tenant's own ref (one per tenant)."""

    collection = "WEBHOOK_REF"

    ref: str = Field(pattern=REF_PATTERN)
    created_at: datetime

    def sort_key(self) -> str:
        return "CURRENT"


class WebhookUrls(GatehouseModel):
    """Where each provider should send the tenant's callbacks."""

    twilio_sms: str = Field(description="Twilio: the messaging service's or number's inbound SMS webhook")
    voice_agent: str = Field(description="voice agent: the post-call event webhook")


def ensure_ref(scope: TenantScope, *, clock: Clock = utc_now) -> str:
    """The tenant's ref, made on first need; concurrent first calls agree on one."""
    for _ in range(_ROUNDS):
        existing = scope.get(WebhookRef, "CURRENT")
        if existing is not None:
            return existing.ref
        ref = WebhookRef(ref=new_id(PREFIX), created_at=clock())
        try:
            with scope.transaction() as txn:
                txn.save(ref)
                txn.save_global(WebhookRefLookup(ref=ref.ref, tenant_id=scope.tenant_id))
        except Conflict:
            # Another first call won, or two transactions collided and both were cancelled: look again.
            continue
        return ref.ref
    raise Conflict("the webhook ref is being made concurrently; retry")


def tenant_for(ref: str) -> str | None:
    """The tenant a ref belongs to, or None for anything that is not a live ref."""
    if not isinstance(ref, str) or not is_entity_id(ref, PREFIX):
        return None
    found = get_directory().get(WebhookRefLookup, ref, "TENANT")
    if found is None or not is_tenant_id(found.tenant_id):
        return None
    return found.tenant_id


def urls_for(scope: TenantScope, base_url: str) -> WebhookUrls:
    ref = ensure_ref(scope)
    base = base_url.rstrip("/")
    return WebhookUrls(
        twilio_sms=f"{base}/webhooks/twilio/{ref}/sms",
        voice_agent=f"{base}/webhooks/voice-agent/{ref}",
    )


@dataclass(frozen=True)
class StatusCallbackUrls:
    """Where a send asks its provider to report what became of it (the tenant's ref, never a secret)."""

    message: str
    call: str
    voice_agent: str


def status_callback_urls(scope: TenantScope, base_url: str) -> StatusCallbackUrls:
    ref = ensure_ref(scope)
    base = base_url.rstrip("/")
    return StatusCallbackUrls(
        message=f"{base}/webhooks/twilio/{ref}/message-status",
        call=f"{base}/webhooks/twilio/{ref}/call-status",
        voice_agent=f"{base}/webhooks/voice-agent/{ref}",
    )
