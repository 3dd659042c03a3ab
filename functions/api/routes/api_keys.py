"""API keys of the caller's tenant: create (shown once), list, rotate, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from guards import caller, requires, scope
from pydantic import Field

from gatehouse.clock import Instant
from gatehouse.identity import api_keys
from gatehouse.identity.permissions import Permission, Role
from gatehouse.models import GatehouseModel
from routes.schemas import Cursor, KeyId, PageLimit, StrictBody, documented, follow

router = Router()


class ApiKeyOut(GatehouseModel):
    key_id: str
    name: str
    role: Role
    display_prefix: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None
    owner_id: str | None
    expires_at: datetime | None
    rotated_at: datetime | None

    @classmethod
    def of(cls, key: api_keys.ApiKey) -> ApiKeyOut:
        return cls.model_validate(key.model_dump(include=set(cls.model_fields)))


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(description="the key itself; shown only in this response")


class ApiKeyPage(GatehouseModel):
    items: list[ApiKeyOut]
    next_cursor: str | None


class ApiKeyRequest(StrictBody):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[\w .:@/-]+$")
    role: Role
    expires_at: Instant | None = Field(default=None, description="when the key stops working (UTC)")


@router.post(
    "/api-keys",
    middlewares=requires(Permission.API_KEYS_MANAGE),
    summary="Create an API key (shown once)",
    tags=["api-keys"],
    responses=documented(
        201,
        ApiKeyCreated,
        400,
        links=follow(
            "key_id",
            RotateKey=("post", "/api-keys/{key_id}/rotate"),
            RevokeKey=("delete", "/api-keys/{key_id}"),
        ),
    ),
)
def create_api_key(request: Annotated[ApiKeyRequest, Body()]) -> Response[ApiKeyCreated]:
    issued = api_keys.create_api_key(
        scope(router), caller(router), name=request.name, role=request.role, expires_at=request.expires_at
    )
    created = ApiKeyCreated(**ApiKeyOut.of(issued.key).model_dump(), token=issued.token)
    return Response(status_code=201, body=created, content_type="application/json")


@router.get(
    "/api-keys",
    middlewares=requires(Permission.API_KEYS_READ),
    summary="List API keys",
    tags=["api-keys"],
    responses=documented(200, ApiKeyPage, 400),
)
def list_api_keys(limit: PageLimit = 50, cursor: Cursor = None) -> ApiKeyPage:
    page = api_keys.list_api_keys(scope(router), limit=limit, cursor=cursor)
    return ApiKeyPage(items=[ApiKeyOut.of(k) for k in page.items], next_cursor=page.cursor)


@router.delete(
    "/api-keys/<key_id>",
    middlewares=requires(Permission.API_KEYS_MANAGE),
    summary="Revoke an API key",
    tags=["api-keys"],
    responses=documented(200, ApiKeyOut, 403, 404, 409),
)
def revoke_api_key(key_id: KeyId) -> ApiKeyOut:
    revoked = api_keys.revoke_api_key(scope(router), caller(router), key_id)
    return ApiKeyOut.of(revoked)


@router.post(
    "/api-keys/<key_id>/rotate",
    middlewares=requires(Permission.API_KEYS_MANAGE),
    summary="Rotate an API key: a new secret (shown once); the old one keeps working for 24 hours",
    tags=["api-keys"],
    responses=documented(200, ApiKeyCreated, 403, 404, 409),
)
def rotate_api_key(key_id: KeyId) -> ApiKeyCreated:
    issued = api_keys.rotate_api_key(scope(router), caller(router), key_id)
    return ApiKeyCreated(**ApiKeyOut.of(issued.key).model_dump(), token=issued.token)
