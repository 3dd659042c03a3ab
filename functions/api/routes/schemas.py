"""Request and response shapes shared by the routes (API models, not storage records)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict

PageLimit = Annotated[int, Query(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, Query(max_length=2048, description="opaque cursor from the previous page")]
UserId = Annotated[str, Path(pattern=r"^usr_[a-z2-7]{26}$", description="user id")]
KeyId = Annotated[str, Path(pattern=r"^key_[a-z2-7]{26}$", description="API key id")]


class StrictBody(BaseModel):
    """Request bodies refuse unknown fields, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")
