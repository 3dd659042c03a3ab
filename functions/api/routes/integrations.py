"""Provider integrations of the caller's tenant: connect, update, test and revoke; secrets are write-only.

Responses carry the non-secret settings and a fingerprint (last four characters and
when they were set), never a secret. The request body depends on the provider: its
schema is the provider's credential model in ``gatehouse.vault.schemas``, checked by
the domain, which reports where and why a field is wrong without echoing it.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from guards import caller, requires, scope

from gatehouse import vault
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.providers import CheckResult, request_check
from gatehouse.vault import IntegrationView, Provider
from routes.schemas import documented, follow

router = Router()

ProviderName = Annotated[Provider, Path(description="twilio, voice_agent, dnc or email_sender")]
Credentials = Annotated[
    dict[str, Any],
    Body(
        description=(
            "The provider's credentials: twilio {account_sid, auth_token | api_key_sid + api_key_secret, "
            "messaging_service_sid and/or sender_numbers}; voice_agent {vendor? (retell | vapi), base_url? "
            "(the vendor's own API), agent_id, api_key, and for vapi phone_number_id and webhook_secret "
            "(its HMAC credential's secret)}; "
            "dnc {provider_name, api_key (+ account_id) | registry_ref}; "
            "email_sender {from_address, from_name?, identity_arn?}. Secrets are never shown again."
        )
    ),
]
Changes = Annotated[
    dict[str, Any],
    Body(description="A merge patch: given fields replace, null clears; any secret given replaces them all."),
]


class IntegrationList(GatehouseModel):
    items: list[IntegrationView]


@router.get(
    "/integrations",
    middlewares=requires(Permission.INTEGRATIONS_READ),
    summary="List the tenant's integrations (fingerprints only)",
    tags=["integrations"],
    responses=documented(200, IntegrationList),
)
def list_integrations() -> IntegrationList:
    return IntegrationList(items=vault.list_integrations(scope(router)))


@router.get(
    "/integrations/<provider>",
    middlewares=requires(Permission.INTEGRATIONS_READ),
    summary="Show one integration (fingerprint only)",
    tags=["integrations"],
    responses=documented(200, IntegrationView, 404),
)
def describe_integration(provider: ProviderName) -> IntegrationView:
    return vault.describe(scope(router), provider)


@router.post(
    "/integrations/<provider>",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Connect a provider: validate, encrypt and store its credentials",
    tags=["integrations"],
    responses=documented(
        201,
        IntegrationView,
        400,
        404,
        409,
        503,
        links=follow(
            "provider",
            "$request.path",
            DescribeIntegration=("get", "/integrations/{provider}"),
            UpdateIntegration=("patch", "/integrations/{provider}"),
            TestIntegration=("post", "/integrations/{provider}/test"),
            RevokeIntegration=("delete", "/integrations/{provider}"),
        ),
    ),
)
def connect_integration(provider: ProviderName, credentials: Credentials) -> Response[IntegrationView]:
    view = vault.connect(scope(router), caller(router), provider, credentials)
    return Response(status_code=201, body=view, content_type="application/json")


@router.patch(
    "/integrations/<provider>",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Update a connected integration",
    tags=["integrations"],
    responses=documented(200, IntegrationView, 400, 404, 409, 503),
)
def update_integration(provider: ProviderName, changes: Changes) -> IntegrationView:
    return vault.update(scope(router), caller(router), provider, changes)


@router.delete(
    "/integrations/<provider>",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Revoke an integration: its stored credentials are deleted at once",
    tags=["integrations"],
    responses=documented(200, IntegrationView, 404, 409),
)
def revoke_integration(provider: ProviderName) -> IntegrationView:
    return vault.revoke(scope(router), caller(router), provider)


@router.post(
    "/integrations/<provider>/test",
    middlewares=requires(Permission.INTEGRATIONS_MANAGE),
    summary="Ask the provider whether the stored credentials work (sends nothing to anyone)",
    tags=["integrations"],
    responses=documented(200, CheckResult, 404, 503),
)
def test_integration(provider: ProviderName) -> CheckResult:
    return request_check(scope(router), caller(router), provider)
