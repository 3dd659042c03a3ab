"""A newcomer's first minutes, over HTTP against `make run`'s runtime."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from local.runtime import LocalRuntime


def http(
    runtime: LocalRuntime, method: str, path: str, *, token: str | None = None, body: Any = None
) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(runtime.api_url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read().decode()
            return (
                response.status,
                dict(response.headers),
                json.loads(raw) if raw.startswith(("{", "[")) else raw,
            )
    except urllib.error.HTTPError as error:
        raw = error.read().decode()
        return error.code, dict(error.headers), json.loads(raw) if raw else None


def test_health_and_docs_are_served_on_loopback(runtime: LocalRuntime) -> None:
    assert runtime.api_url.startswith("http://127.0.0.1:")
    status, headers, body = http(runtime, "GET", "/health")
    assert (status, body) == (200, {"status": "ok"})
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    status, _, docs = http(runtime, "GET", "/docs")
    assert status == 200
    assert "swagger" in docs.lower()
    status, _, spec = http(runtime, "GET", "/openapi.json")
    assert status == 200
    assert "/members" in spec["paths"]


def test_the_demo_key_manages_members_and_keys(runtime: LocalRuntime) -> None:
    demo = runtime.demo
    status, _, members = http(runtime, "GET", "/members", token=demo.api_key)
    assert status == 200
    assert [m["user_id"] for m in members["items"]] == [demo.owner_user_id]

    status, _, created = http(
        runtime, "POST", "/api-keys", token=demo.api_key, body={"name": "e2e", "role": "viewer"}
    )
    assert status == 201
    status, _, listed = http(runtime, "GET", "/api-keys", token=created["token"])
    assert status == 403  # a viewer key may not list keys
    status, _, listed = http(runtime, "GET", "/api-keys", token=demo.api_key)
    assert created["key_id"] in [k["key_id"] for k in listed["items"]]

    status, _, _ = http(runtime, "DELETE", f"/api-keys/{created['key_id']}", token=demo.api_key)
    assert status == 200
    status, _, error = http(runtime, "GET", "/members", token=created["token"])
    assert status == 401
    assert error["error"]["code"] == "unauthorized"


def test_bad_requests_get_the_one_error_shape(runtime: LocalRuntime) -> None:
    status, _, error = http(
        runtime, "POST", "/api-keys", token=runtime.demo.api_key, body={"name": "x", "role": "god"}
    )
    assert status == 422
    assert set(error["error"]) == {"code", "message", "request_id", "details"}


def test_actions_appear_in_the_audit_log_and_the_chain_verifies(runtime: LocalRuntime) -> None:
    key = runtime.demo.api_key
    status, _, created = http(
        runtime, "POST", "/api-keys", token=key, body={"name": "audited", "role": "viewer"}
    )
    assert status == 201
    status, _, page = http(runtime, "GET", "/audit", token=key)
    assert status == 200
    newest = page["items"][0]
    assert (newest["action"], newest["target"]["id"]) == ("api_key.created", created["key_id"])
    assert created["token"] not in json.dumps(page)
    status, _, report = http(runtime, "POST", "/audit/verify", token=key, body={"full": True})
    assert status == 200
    assert report["ok"] is True
    assert report["verified_seq"] == report["head_seq"] >= 4  # tenant, owner, bootstrap key, this key
