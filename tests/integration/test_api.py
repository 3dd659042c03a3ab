"""The API edge: one error shape, security headers, bad input refused without side effects."""

from __future__ import annotations

import base64
import io
import json
import logging

import pytest

from gatehouse.identity.api_keys import list_api_keys
from gatehouse.identity.permissions import Role
from gatehouse.observability import logger
from tests.conftest import TenantFixture
from tests.support.events import invoke, proxy_event

ERROR_KEYS = {"code", "message", "request_id", "details"}


def assert_error(reply, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert reply.status == status, reply.body
    error = reply.json()["error"]
    assert set(error) == ERROR_KEYS
    assert error["code"] == code
    assert error["request_id"]


def test_health_is_public_and_carries_security_headers(api) -> None:  # type: ignore[no-untyped-def]
    reply = api("GET", "/health")
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}
    assert reply.headers["Strict-Transport-Security"].startswith("max-age=")
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["X-Frame-Options"] == "DENY"


def test_docs_and_openapi_are_served(api) -> None:  # type: ignore[no-untyped-def]
    docs = api("GET", "/docs")
    assert docs.status == 200
    assert "swagger" in docs.body.lower()
    spec = api("GET", "/openapi.json").json()
    assert "/members" in spec["paths"]
    assert "/api-keys" in spec["paths"]


def test_errors_have_one_shape_everywhere(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    assert_error(api("GET", "/nowhere"), 404, "not_found")
    assert_error(api("GET", "/members"), 401, "unauthorized")
    assert_error(api("GET", "/members", token="ghk_nope"), 401, "unauthorized")
    assert_error(api("GET", "/members", headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    assert_error(
        api("POST", "/api-keys", token=tenant_a.keys[Role.VIEWER], body={"name": "x", "role": "viewer"}),
        403,
        "forbidden",
    )


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"raw_body": "{not json"}, 400, "malformed_json"),
        ({"body": {"name": "x", "role": "emperor"}}, 422, "validation_error"),
        ({"body": {"name": "x", "role": "viewer", "extra": 1}}, 422, "validation_error"),
        ({"body": {"name": 7, "role": "viewer"}}, 422, "validation_error"),
        ({"body": {"role": "viewer"}}, 422, "validation_error"),
        ({"body": ["name", "role"]}, 422, "validation_error"),
        ({"raw_body": json.dumps({"name": "x" * 300_000, "role": "viewer"})}, 413, "payload_too_large"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    api, tenant_a: TenantFixture, kwargs, status: int, code: str
) -> None:  # type: ignore[no-untyped-def]
    def keys() -> list[tuple[str, str, str]]:
        # The request authenticates before its body is read, so the owner key's last use moves.
        return [
            (k.key_id, k.name, k.role) for k in list_api_keys(tenant_a.scope, limit=100, cursor=None).items
        ]

    before = keys()
    reply = api("POST", "/api-keys", token=tenant_a.keys[Role.OWNER], **kwargs)
    assert_error(reply, status, code)
    assert keys() == before


def test_validation_errors_never_echo_submitted_values(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    reply = api(
        "POST", "/api-keys", token=tenant_a.keys[Role.OWNER], body={"name": "x", "role": "s3cr3t-value"}
    )
    assert reply.status == 422
    assert "s3cr3t-value" not in reply.body


def test_api_key_lifecycle_over_the_api(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner = tenant_a.keys[Role.OWNER]
    created = api("POST", "/api-keys", token=owner, body={"name": "ci runner", "role": "member"})
    assert created.status == 201
    token = created.json()["token"]
    key_id = created.json()["key_id"]

    listed = api("GET", "/api-keys", token=owner).json()["items"]
    assert key_id in {k["key_id"] for k in listed}
    assert token not in json.dumps(listed)  # shown once, never again

    assert api("GET", "/members", token=token).status == 200
    assert api("DELETE", f"/api-keys/{key_id}", token=owner).status == 200
    assert_error(api("GET", "/members", token=token), 401, "unauthorized")


def test_cors_answers_only_configured_origins(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    good = api("GET", "/health", headers={"Origin": "https://app.gatehouse.test"})
    evil = api("GET", "/health", headers={"Origin": "https://evil.example"})
    assert good.headers.get("Access-Control-Allow-Origin") == "https://app.gatehouse.test"
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_no_key_material_reaches_the_logs(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    # The service logger's own handler holds the stdout it had at import, so capture
    # through a second handler with the same (scrubbing) formatter, at DEBUG, plus the root logger.
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logger.registered_formatter)
    watched = [logging.getLogger(logger.name), logging.getLogger()]
    levels = [w.level for w in watched]
    for w in watched:
        w.addHandler(handler)
        w.setLevel(logging.DEBUG)
    try:
        owner = tenant_a.keys[Role.OWNER]
        created = api("POST", "/api-keys", token=owner, body={"name": "logged", "role": "viewer"}).json()
        api("GET", "/members", token=created["token"])
        api("GET", "/members", token=owner[:-2] + "xx")
        logger.info("a careless line", extra={"headers": {"Authorization": f"Bearer {owner}"}, "note": owner})
    finally:
        for w, level in zip(watched, levels, strict=True):
            w.removeHandler(handler)
            w.setLevel(level)
    text = sink.getvalue()
    assert "request refused" in text  # the capture really saw the service's lines
    assert owner not in text
    assert created["token"] not in text
    assert owner.rsplit("_", 1)[-1] not in text


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api-keys", "application/json"), ("/dnc/registry/212", "text/plain")],
)
def test_a_body_that_is_not_utf8_text_is_a_malformed_request_not_a_server_error(
    api_module, tenant_a: TenantFixture, path: str, content_type: str
) -> None:  # type: ignore[no-untyped-def]
    # What API Gateway hands over for bytes it cannot pass as text: base64, flagged.
    event = proxy_event(
        "POST", path, token=tenant_a.keys[Role.OWNER], headers={"Content-Type": content_type}, raw_body=""
    )
    event.update(body=base64.b64encode(b"\xc6\x9a{\xff").decode(), isBase64Encoded=True)
    assert_error(invoke(api_module.lambda_handler, event), 400, "malformed_body")


def test_a_json_route_given_another_media_type_answers_415_not_a_server_error(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    reply = api(
        "POST",
        "/api-keys",
        token=tenant_a.keys[Role.OWNER],
        headers={"Content-Type": "text/plain"},
        raw_body=json.dumps({"name": "x", "role": "viewer"}),
    )
    assert_error(reply, 415, "unsupported_media_type")
