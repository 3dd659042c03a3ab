"""The API's own description: /openapi.json and the Swagger UI at /docs, both built on request.

Powertools' ``enable_swagger`` and the ``HTTPBearer`` scheme load its OpenAPI models (a
few hundred pydantic classes) when called, so at import they would cost every cold start
though only these two routes use them. Here the routes are registered at import, like
every other (the guards and the isolation harness see them), and the models load on
their first request. ``/docs`` answers as ``enable_swagger`` did: the page with the
spec inlined, ``?format=json`` the spec alone, ``?format=oauth2-redirect`` the redirect page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from gatehouse import freshness

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import Server

TITLE = "Gatehouse API"
VERSION = "0.1.0"
DESCRIPTION = (
    "Compliance-first outreach platform. Authenticate with 'Authorization: Bearer <api key>', "
    "or sign in (POST /sign-in/link, then /sign-in/session) for a session cookie; cookie-authenticated "
    "changes need the X-CSRF-Token header and an allowed Origin."
)


def openapi_json(app: APIGatewayRestResolver) -> str:
    """The document committed as openapi.json (no servers: it serves any stage)."""
    return _document(app, description=None, servers=None)


def register(app: APIGatewayRestResolver, middlewares: list[Any], before: Callable[[], None]) -> None:
    """Add GET /docs and GET /openapi.json to ``app``, both behind ``middlewares``.

    ``before`` runs ahead of building the document: it registers the routes not loaded yet.
    """
    freshness.load_before_snapshot(
        "aws_lambda_powertools.event_handler.openapi.models",
        "aws_lambda_powertools.event_handler.openapi.swagger_ui",
    )

    @app.get("/docs", middlewares=middlewares, include_in_schema=False)
    def swagger_ui() -> Response[str]:
        before()
        return _swagger_ui(app)

    @app.get("/openapi.json", middlewares=middlewares, include_in_schema=False)
    def openapi_document() -> Response[str]:
        before()
        return Response(status_code=200, content_type="application/json", body=openapi_json(app))


def _document(app: APIGatewayRestResolver, *, description: str | None, servers: list[Server] | None) -> str:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer  # noqa: PLC0415 - see module doc

    return app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=description,
        servers=servers,
        security_schemes={"apiKey": HTTPBearer(description="Gatehouse API key (ghk_...)")},
        security=[{"apiKey": []}],
    )


def _swagger_ui(app: APIGatewayRestResolver) -> Response[str]:
    from aws_lambda_powertools.event_handler.openapi import swagger_ui  # noqa: PLC0415 - see module doc
    from aws_lambda_powertools.event_handler.openapi.models import Server  # noqa: PLC0415

    event = app.current_event
    if (event.query_string_parameters or {}).get("format") == "oauth2-redirect":
        return Response(
            status_code=200, content_type="text/html", body=swagger_ui.generate_oauth2_redirect_html()
        )
    servers = [Server(url=_base_path(app) or "/")]
    # Inlined in a <script>: "</" escaped so the spec cannot close the tag.
    spec = _document(app, description=DESCRIPTION, servers=servers).replace("</", "<\\/")
    if (event.query_string_parameters or {}).get("format") == "json":
        return Response(status_code=200, content_type="application/json", body=spec)
    assets = Path(swagger_ui.__file__).parent  # the bundle Powertools ships, served inline
    page = swagger_ui.generate_swagger_html(
        spec,
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
        False,
    )
    return Response(status_code=200, content_type="text/html", body=page)


def _base_path(app: APIGatewayRestResolver) -> str:
    # The stage is in the path on execute-api hosts, not under SAM local or a custom domain.
    context = app.current_event.request_context
    stage = context.stage
    if stage and stage != "$default" and context.path.startswith(f"/{stage}"):
        return f"/{stage}"
    return ""
