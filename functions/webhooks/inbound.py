"""Reading a webhook request as the provider sent it: the raw body, its form fields, the public URL.

Only what signature checks need; nothing here looks at what a field means.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from gatehouse.errors import GatehouseError, Invalid, Unauthorized
from gatehouse.webhooks.signatures import FormParams
from gatehouse.webhooks.urls import public_base_url

MAX_FIELDS = 200
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class UnsupportedMediaType(GatehouseError):
    status = 415
    code = "unsupported_media_type"


class SignatureRejected(Unauthorized):
    """No valid signature (or no tenant, or no secret to check it with): one answer for all."""

    def __init__(self, provider: str) -> None:
        super().__init__("signature not valid")
        self.provider = provider


def require_media_type(event: APIGatewayProxyEvent, expected: str) -> None:
    """Only the content type the provider sends (parameters such as charset aside)."""
    sent = (event.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if sent != expected:
        raise UnsupportedMediaType(f"send the body as {expected}")


def raw_body(event: APIGatewayProxyEvent, provider: str) -> bytes:
    body = event.body or ""
    if not event.is_base64_encoded:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRejected(provider) from None


def form_params(event: APIGatewayProxyEvent, provider: str) -> FormParams:
    """Every field, repeated ones included; a body that is not a form cannot carry a valid signature."""
    try:
        text = raw_body(event, provider).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS)
    except ValueError:  # UnicodeDecodeError included, and too many fields
        raise SignatureRejected(provider) from None
    return FormParams(pairs)


def public_url(event: APIGatewayProxyEvent, provider: str) -> str:
    base = public_base_url(event.headers.get("Host"), event.request_context.stage)
    if base is None:
        raise SignatureRejected(provider)
    return f"{base}{event.path}"


def field(params: FormParams, name: str) -> str:
    """A required single-valued field; missing or repeated is a bad request (after the signature)."""
    try:
        value = params.one(name)
    except ValueError:
        raise Invalid(f"{name} is repeated") from None
    if not value:
        raise Invalid(f"{name} is missing")
    return value


def optional_field(params: FormParams, name: str) -> str | None:
    try:
        return params.one(name)
    except ValueError:
        raise Invalid(f"{name} is repeated") from None
