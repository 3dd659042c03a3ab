"""Request and response shapes shared by the routes (API models, not storage records)."""

from __future__ import annotations

from typing import Annotated, Any, cast

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field

from gatehouse.models import GatehouseModel

PageLimit = Annotated[int, Query(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, Query(max_length=2048, description="opaque cursor from the previous page")]
UserId = Annotated[str, Path(pattern=r"^usr_[a-z2-7]{26}$", description="user id")]
KeyId = Annotated[str, Path(pattern=r"^key_[a-z2-7]{26}$", description="API key id")]
InvitationId = Annotated[str, Path(pattern=r"^inv_[a-z2-7]{26}$", description="invitation id")]
SessionId = Annotated[str, Path(pattern=r"^ses_[a-z2-7]{26}$", description="session id")]
TenantIdPath = Annotated[str, Path(pattern=r"^tnt_[a-z2-7]{26}$", description="tenant id")]
EmailAddress = Annotated[
    str,
    Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="e-mail address"),
]
OneTimeToken = Annotated[str, Field(min_length=10, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class StrictBody(GatehouseModel):
    """Request bodies refuse unknown fields, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class ErrorInfo(GatehouseModel):
    code: str
    message: str
    request_id: str
    details: list[dict[str, str]]


class ErrorResponse(GatehouseModel):
    """The one error shape every failure leaves the API in."""

    error: ErrorInfo


_ERROR_TEXT = {
    400: "Malformed request (e.g. body is not JSON)",
    401: "Missing, invalid or revoked API key",
    403: "Your role lacks the permission",
    404: "No such resource in your tenant (or a path parameter of the wrong shape: no such route)",
    409: "Conflicts with the current state",
    413: "Request body too large",
    422: "Request does not match the schema",
    429: "Too many attempts; retry after the window",
    503: "A dependency (KMS, a provider check) is unavailable; retry later",
}


def documented(
    status: int,
    model: type[BaseModel] | None,
    *errors: int,
    media: tuple[str, ...] = (),
    links: dict[str, Any] | None = None,
) -> dict[int, OpenAPIResponse]:
    """OpenAPI responses for a route: its success shape and the error shape for each failure it can meet.

    ``media``: the success body is text in these media types (an export, a PEM key), not JSON.
    ``links``: where a client goes next with what the success answered (``follow``).
    """
    success: dict[str, Any] = {"description": "OK" if status < 300 else "Done"}
    if model is not None:
        success["content"] = {"application/json": {"model": model}}
    elif media:
        success["content"] = {media_type: {"schema": {"type": "string"}} for media_type in media}
    if links:
        success["links"] = links
    declared: dict[int, OpenAPIResponse] = {status: cast(OpenAPIResponse, success)}
    for code in sorted({401, 403, 413, 422, *errors}):
        declared[code] = {
            "description": _ERROR_TEXT[code],
            "content": {"application/json": {"model": ErrorResponse}},
        }
    return declared


def follow(param: str, source: str = "$response.body", **targets: tuple[str, str]) -> dict[str, Any]:
    """OpenAPI links, by name, to the operations (method, path) that take ``param`` in their path.

    The value comes from the success body's field of the same name (or, with ``source``
    ``$request.path``, from the request's own path): a create leads to the reads, changes and
    deletes of what it made, and the stateful fuzzing follows the same links.
    """
    value = f"{source}#/{param}" if source == "$response.body" else f"{source}.{param}"
    return {
        name: {
            "operationRef": "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method,
            "parameters": {f"path.{param}": value},
        }
        for name, (method, path) in targets.items()
    }
