"""Liveness: public, touches nothing."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from guards import public

from gatehouse.models import GatehouseModel
from routes.schemas import documented

router = Router()


class Health(GatehouseModel):
    status: str


@router.get(
    "/health",
    middlewares=public(),
    summary="Liveness check",
    tags=["health"],
    security=[],
    responses=documented(200, Health),
)
def get_health() -> Health:
    return Health(status="ok")
