"""Your own TOTP two-factor (enrol, confirm, disable), completing it at sign-in, and the tenant policy."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from guards import caller, current_session, requires, scope, session_cookies
from pydantic import Field, model_validator

from gatehouse.audit import record_personal
from gatehouse.identity import sessions, two_factor
from gatehouse.identity.permissions import Permission
from gatehouse.identity.users import get_user
from gatehouse.models import GatehouseModel
from routes.schemas import StrictBody, documented

router = Router()
Code = Annotated[str, Field(pattern=r"^\d{6}$", description="6-digit code from the authenticator app")]
RecoveryCode = Annotated[
    str, Field(pattern=r"^[a-z2-7]{4}(-?[a-z2-7]{4}){3}$", description="a recovery code")
]


class Enrolled(GatehouseModel):
    secret: str = Field(description="shown once: add it to an authenticator app, then confirm with a code")
    otpauth_uri: str
    otpauth_qr_png: str = Field(
        description="the otpauth URI as a QR code for an authenticator app: PNG, base64 (it holds the secret)"
    )


class CodeRequest(StrictBody):
    code: Code


class VerifyRequest(StrictBody):
    code: Code | None = None
    recovery_code: RecoveryCode | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> VerifyRequest:
        if (self.code is None) == (self.recovery_code is None):
            raise ValueError("send exactly one of code and recovery_code")
        return self


class Confirmed(GatehouseModel):
    recovery_codes: list[str] = Field(description="shown once; each works once")
    csrf_token: str | None


class Verified(GatehouseModel):
    csrf_token: str


class PolicyOut(GatehouseModel):
    require_two_factor: bool
    changed_by: str | None
    changed_at: datetime | None


class PolicyRequest(StrictBody):
    require_two_factor: bool


@router.post(
    "/account/two-factor",
    middlewares=requires(Permission.ACCOUNT_SELF, before_two_factor=True),
    summary="Start enrolling an authenticator (the secret is shown once)",
    tags=["two-factor"],
    responses=documented(201, Enrolled, 409),
)
def enrol() -> Response[Enrolled]:
    session = current_session(router)
    user = get_user(session.user_id)
    enrolment = two_factor.enrol(session.user_id, user.email if user else session.user_id)
    record_personal(caller(router), "two_factor.enrolment_started", "user", session.user_id)
    body = Enrolled(
        secret=enrolment.secret,
        otpauth_uri=enrolment.otpauth_uri,
        otpauth_qr_png=base64.b64encode(enrolment.qr_png()).decode("ascii"),
    )
    return Response(status_code=201, body=body, content_type="application/json")


@router.post(
    "/account/two-factor/confirm",
    middlewares=requires(Permission.ACCOUNT_SELF, before_two_factor=True),
    summary="Confirm enrolment with a code; returns recovery codes once",
    tags=["two-factor"],
    responses=documented(200, Confirmed, 400, 409, 429),
)
def confirm(request: Annotated[CodeRequest, Body()]) -> Response[Confirmed]:
    session = current_session(router)
    codes = two_factor.confirm(session.user_id, request.code)
    record_personal(caller(router), "two_factor.enabled", "user", session.user_id)
    if not session.two_factor_pending:
        return Response(
            status_code=200,
            body=Confirmed(recovery_codes=codes, csrf_token=None),
            content_type="application/json",
        )
    # The session that enrolled was waiting for this: replace it by one that is complete.
    issued = sessions.replace(session, two_factor_pending=False)
    body = Confirmed(recovery_codes=codes, csrf_token=issued.csrf_token)
    return Response(
        status_code=200, body=body, content_type="application/json", cookies=session_cookies(issued)
    )


@router.post(
    "/account/two-factor/disable",
    middlewares=requires(Permission.ACCOUNT_SELF),
    summary="Disable two-factor with a fresh code",
    tags=["two-factor"],
    responses=documented(204, None, 400, 409, 429),
)
def disable(request: Annotated[CodeRequest, Body()]) -> Response[None]:
    who = caller(router)
    two_factor.disable(who, request.code, roles_in_tenant=None if who.platform else who.role)
    record_personal(who, "two_factor.disabled", "user", who.principal_id)
    return Response(status_code=204)


@router.post(
    "/session/two-factor",
    middlewares=requires(Permission.ACCOUNT_SELF, before_two_factor=True),
    summary="Complete sign-in with a code or a recovery code (the session is replaced)",
    tags=["two-factor"],
    responses=documented(200, Verified, 400, 409, 429),
)
def complete(request: Annotated[VerifyRequest, Body()]) -> Response[Verified]:
    session = current_session(router)
    two_factor.verify(session.user_id, code=request.code, recovery_code=request.recovery_code)
    issued = sessions.replace(session, two_factor_pending=False)
    record_personal(caller(router), "session.two_factor_verified", "session", issued.session.session_id)
    body = Verified(csrf_token=issued.csrf_token)
    return Response(
        status_code=200, body=body, content_type="application/json", cookies=session_cookies(issued)
    )


@router.get(
    "/security-policy",
    middlewares=requires(Permission.TENANT_READ),
    summary="The tenant's security policy",
    tags=["two-factor"],
    responses=documented(200, PolicyOut),
)
def get_policy() -> PolicyOut:
    policy = two_factor.get_policy(scope(router))
    return PolicyOut.model_validate(policy.model_dump(include=set(PolicyOut.model_fields)))


@router.put(
    "/security-policy",
    middlewares=requires(Permission.SECURITY_POLICY_MANAGE),
    summary="Require two-factor for owners, admins and whoever can approve campaigns or change billing",
    tags=["two-factor"],
    responses=documented(200, PolicyOut),
)
def put_policy(request: Annotated[PolicyRequest, Body()]) -> PolicyOut:
    policy = two_factor.set_policy(
        scope(router), caller(router), require_two_factor=request.require_two_factor
    )
    return PolicyOut.model_validate(policy.model_dump(include=set(PolicyOut.model_fields)))
