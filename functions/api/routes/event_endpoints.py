"""The tenant's event endpoints: register (secret shown once), list, change, rotate, test, delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from guards import caller, requires, scope
from pydantic import Field

from gatehouse.endpoints import manage
from gatehouse.endpoints.records import AttemptOutcome, DeliveryAttempt, FailureClass
from gatehouse.endpoints.urls import EndpointUrl
from gatehouse.events.occurrence import EventType
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from routes.schemas import Cursor, PageLimit, StrictBody, documented, follow

router = Router()

EndpointId = Annotated[str, Path(pattern=r"^ep_[a-z2-7]{26}$", description="event endpoint id")]
Description = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(EventType))]


class EndpointRequest(StrictBody):
    url: EndpointUrl = Field(description="https:// on port 443, a public host; no user name or password")
    event_types: EventTypes
    description: Description = ""


class EndpointChanges(StrictBody):
    url: EndpointUrl | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    enabled: bool | None = Field(default=None, description="true re-enables a disabled endpoint")


class EndpointCreated(manage.EndpointView):
    secret: str = Field(description="the signing secret (whsec_...); shown only in this response")


class EndpointPage(GatehouseModel):
    items: list[manage.EndpointView]
    next_cursor: str | None


class TestQueued(GatehouseModel):
    event_id: str = Field(description="the webhook-id the ping will carry")


class AttemptOut(GatehouseModel):
    event_id: str
    event_type: str
    attempt: int
    at: datetime
    outcome: AttemptOutcome
    status_code: int | None
    error: FailureClass | None
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptOut:
        return cls.model_validate(attempt.model_dump(include=set(cls.model_fields)))


class AttemptPage(GatehouseModel):
    items: list[AttemptOut]
    next_cursor: str | None


@router.post(
    "/event-endpoints",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Register an event endpoint (its signing secret is shown once)",
    tags=["event-endpoints"],
    responses=documented(
        201,
        EndpointCreated,
        400,
        409,
        503,
        links=follow(
            "endpoint_id",
            DescribeEndpoint=("get", "/event-endpoints/{endpoint_id}"),
            RotateSecret=("post", "/event-endpoints/{endpoint_id}/secret"),
            DeleteEndpoint=("delete", "/event-endpoints/{endpoint_id}"),
        ),
    ),
)
def create_endpoint(request: Annotated[EndpointRequest, Body()]) -> Response[EndpointCreated]:
    made = manage.register(
        scope(router), caller(router), request.url, request.event_types, request.description
    )
    body = EndpointCreated(**made.endpoint.model_dump(), secret=made.secret)
    return Response(status_code=201, body=body, content_type="application/json")


@router.get(
    "/event-endpoints",
    middlewares=requires(Permission.INTEGRATIONS_READ),
    summary="List the tenant's event endpoints (secret fingerprints only)",
    tags=["event-endpoints"],
    responses=documented(200, EndpointPage, 400),
)
def list_endpoints(limit: PageLimit = 50, cursor: Cursor = None) -> EndpointPage:
    page = manage.list_endpoints(scope(router), limit=limit, cursor=cursor)
    return EndpointPage(items=page.items, next_cursor=page.cursor)


@router.get(
    "/event-endpoints/<endpoint_id>",
    middlewares=requires(Permission.INTEGRATIONS_READ),
    summary="Show an event endpoint",
    tags=["event-endpoints"],
    responses=documented(200, manage.EndpointView, 404),
)
def describe_endpoint(endpoint_id: EndpointId) -> manage.EndpointView:
    return manage.describe(scope(router), endpoint_id)


@router.patch(
    "/event-endpoints/<endpoint_id>",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Change an event endpoint's URL, types or description, or enable or disable it",
    tags=["event-endpoints"],
    responses=documented(200, manage.EndpointView, 400, 404, 409),
)
def update_endpoint(
    endpoint_id: EndpointId, changes: Annotated[EndpointChanges, Body()]
) -> manage.EndpointView:
    wanted = manage.Changes(
        url=changes.url,
        event_types=changes.event_types,
        description=changes.description,
        enabled=changes.enabled,
    )
    return manage.update(scope(router), caller(router), endpoint_id, wanted)


@router.delete(
    "/event-endpoints/<endpoint_id>",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Remove an event endpoint",
    tags=["event-endpoints"],
    responses=documented(200, manage.EndpointView, 404, 409),
)
def delete_endpoint(endpoint_id: EndpointId) -> manage.EndpointView:
    return manage.delete(scope(router), caller(router), endpoint_id)


@router.post(
    "/event-endpoints/<endpoint_id>/secret",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Rotate the signing secret: the new one is shown once; the old one also signs for 24 hours",
    tags=["event-endpoints"],
    responses=documented(200, EndpointCreated, 404, 409, 503),
)
def rotate_secret(endpoint_id: EndpointId) -> EndpointCreated:
    made = manage.rotate_secret(scope(router), caller(router), endpoint_id)
    return EndpointCreated(**made.endpoint.model_dump(), secret=made.secret)


@router.post(
    "/event-endpoints/<endpoint_id>/test",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Queue a signed ping to the endpoint",
    tags=["event-endpoints"],
    responses=documented(202, TestQueued, 404, 503),
)
def send_test_event(endpoint_id: EndpointId) -> Response[TestQueued]:
    event_id = manage.send_test(scope(router), caller(router), endpoint_id)
    return Response(status_code=202, body=TestQueued(event_id=event_id), content_type="application/json")


@router.get(
    "/event-endpoints/<endpoint_id>/deliveries",
    middlewares=requires(Permission.INTEGRATIONS_READ),
    summary="The endpoint's delivery attempts, newest first (status code or failure class; never the body)",
    tags=["event-endpoints"],
    responses=documented(200, AttemptPage, 400, 404),
)
def list_deliveries(endpoint_id: EndpointId, limit: PageLimit = 50, cursor: Cursor = None) -> AttemptPage:
    page = manage.list_attempts(scope(router), endpoint_id, limit=limit, cursor=cursor)
    return AttemptPage(items=[AttemptOut.of(a) for a in page.items], next_cursor=page.cursor)
