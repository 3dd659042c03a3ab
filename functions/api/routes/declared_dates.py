"""Declared dates: the days a state's authority proclaimed, which no attempt may use.

Tenants read the list in force (every tenant's attempts are held to it); operators add
and withdraw dates through the operator routes in ``routes.operators``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from guards import requires

from gatehouse.compliance import declared
from gatehouse.compliance.declared import DeclaredDate, DeclaredKind
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from routes.schemas import documented

router = Router()

StateQuery = Annotated[
    list[str] | None, Query(description="two-letter state codes; all states when absent", max_length=60)
]
FromQuery = Annotated[date | None, Query(description="only dates on or after this day")]


class DeclaredDateOut(GatehouseModel):
    date_id: str
    state: str
    day: date
    kind: DeclaredKind
    source: str
    added_by: str
    added_at: datetime
    withdrawn_by: str | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None

    @classmethod
    def of(cls, record: DeclaredDate) -> DeclaredDateOut:
        return cls.model_validate(record.model_dump(exclude={"version"}))


class DeclaredDateList(GatehouseModel):
    items: list[DeclaredDateOut]


@router.get(
    "/declared-dates",
    middlewares=requires(Permission.TENANT_READ),
    summary="Days declared by a state's authority (proclaimed holidays, emergencies): no attempt then",
    tags=["compliance"],
    responses=documented(200, DeclaredDateList, 400),
)
def list_declared_dates(state: StateQuery = None, on_or_after: FromQuery = None) -> DeclaredDateList:
    found = declared.listed_for(state, on_or_after=on_or_after)
    return DeclaredDateList(items=[DeclaredDateOut.of(d) for d in found])
