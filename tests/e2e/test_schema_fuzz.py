"""Schema-driven fuzzing of the served API: every operation of /openapi.json, over HTTP, on the
local runtime, with schemathesis generating the requests.

Callers: the demo tenant's owner (a real tenant user's API key; and the same person signed in
with a session cookie, for what only a person reaches) and the owner of a second tenant who aims
at the first tenant's resources by their real ids. Every response must be a non-5xx that keeps
its documented schema and media type; no response to the second tenant may carry anything of the
first (its tenant id, its resources' ids, its people's contact data), nor change it.

Example counts are bounded here (``GATEHOUSE_FUZZ_EXAMPLES``: 2 per operation); ``make fuzz``
runs the same tests with more.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.runtime import DEMO_OWNER_EMAIL, LocalRuntime
from tests.support.consent import written

EXAMPLES = int(os.environ.get("GATEHOUSE_FUZZ_EXAMPLES", "2"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
# Operations whose effect would end the fuzzing caller's own access mid-run.
SELF_ENDING = {("DELETE", "/api-keys/{key_id}"), ("DELETE", "/session"), ("DELETE", "/sessions")}
# What only a signed-in person (a session cookie, not an API key) can reach.
SESSION_ONLY = ("/session", "/account/")
PERSON = {"first_name": "Quinn", "last_name": "Tenantov", "email": "quinn@alpha-private.test"}
PHONE = "+12125550142"
CONSENT = {
    "type": "express_written",
    "channels": ["sms", "voice"],
    "obtained_at": "2026-01-05T10:00:00Z",
    "source": "import",
    "wording": "Yes, contact me",
}
CAMPAIGN = {
    "name": "Alpha private campaign",
    "channel": "sms",
    "audience": {"tag": "alpha-vip"},
    "content": {"kind": "sms", "template": "Hi {first_name}. Reply STOP to opt out."},
    "senders": {"numbers": ["+14155550100"]},
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "10:00", "end": "17:00"}],
}


@dataclass
class Caller:
    tenant_id: str
    key: str
    ids: dict[str, str] = field(default_factory=dict)  # path parameter name -> one of its real ids

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def markers(self) -> set[str]:
        """Strings that only this tenant's data contains."""
        return {self.tenant_id, PHONE, *PERSON.values(), CAMPAIGN["name"], *self.ids.values()}


def call(runtime: LocalRuntime, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(runtime.api_url + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


@pytest.fixture(scope="module")
def alpha(runtime: LocalRuntime) -> Caller:
    """The demo tenant with one of everything a path can name, made through the API."""
    assert runtime.demo is not None
    owner = Caller(runtime.demo.tenant_id, runtime.demo.api_key)
    key = owner.key
    _, contact = call(
        runtime, key, "POST", "/contacts", {"phone": PHONE, **PERSON, "consent": [written(CONSENT, PHONE)]}
    )
    _, campaign = call(runtime, key, "POST", "/campaigns", CAMPAIGN)
    _, api_key = call(runtime, key, "POST", "/api-keys", {"name": "alpha integration", "role": "member"})
    _, invitation = call(
        runtime, key, "POST", "/invitations", {"email": "new@alpha-private.test", "role": "viewer"}
    )
    owner.ids = {
        "contact_id": contact["contact_id"],
        "campaign_id": campaign["campaign_id"],
        "key_id": api_key["key_id"],
        "invitation_id": invitation["invitation_id"],
        "user_id": runtime.demo.owner_user_id,
        "tenant_id": owner.tenant_id,
    }
    return owner


@pytest.fixture(scope="module")
def bravo(runtime: LocalRuntime) -> Caller:
    from gatehouse.ops.bootstrap import bootstrap_tenant

    boot = bootstrap_tenant(name="Bravo Intruder", owner_email="owner@bravo-intruder.test")
    return Caller(boot.tenant_id, boot.api_key)


@pytest.fixture(scope="module")
def schema(runtime: LocalRuntime) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{runtime.api_url}/openapi.json")


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as shared:
        yield shared


@pytest.fixture(scope="module")
def signed_in(runtime: LocalRuntime) -> dict[str, str]:
    """The headers a same-origin page sends for the demo owner, signed in by a magic link."""

    def post(path: str, body: dict[str, str]) -> tuple[int, list[str]]:
        request = urllib.request.Request(
            runtime.api_url + path, data=json.dumps(body).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/json")
        request.add_header("Origin", runtime.api_url)
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get_all("Set-Cookie") or []

    assert post("/sign-in/link", {"email": DEMO_OWNER_EMAIL})[0] == 202
    [mail, *_] = [m for m in reversed(runtime.mail()) if m["to"] == DEMO_OWNER_EMAIL]
    token = re.search(r"ghm_[A-Za-z0-9_-]{43}", mail["text"])
    assert token
    status, lines = post("/sign-in/session", {"token": token.group(0)})
    assert status == 201
    cookies = dict(line.split(";", 1)[0].split("=", 1) for line in lines)
    return {
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
        "Origin": runtime.api_url,
        "X-CSRF-Token": cookies["__Host-gatehouse_csrf"],
    }


def operations(schema: schemathesis.BaseSchema) -> list[Any]:
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if (op.method.upper(), op.path) not in SELF_ENDING]


def fuzz(operation: Any, run: Callable[[Any], None], examples: int, **overrides: Any) -> str | None:
    """Run ``examples`` generated cases of one operation; the first failure, described, or None."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(**overrides))
    def each(case: Any) -> None:
        run(case)

    try:
        each()
    except (AssertionError, BaseExceptionGroup) as failure:
        return f"{operation.method.upper()} {operation.path}: {str(failure).strip()[:600]}"
    return None


def test_every_operation_keeps_its_schema_and_never_fails_on_the_server_for_a_tenant_owner(
    schema: schemathesis.BaseSchema, alpha: Caller, session: requests.Session
) -> None:
    def run(case: Any) -> None:
        case.call_and_validate(headers=alpha.headers, checks=CHECKS, session=session)

    failures = []
    for op in operations(schema):
        failures.append(fuzz(op, run, EXAMPLES))
        # Requests that break the schema: refused with a 4xx in the one error shape, never a 5xx.
        failures.append(fuzz(op, run, max(1, EXAMPLES // 2), generation_mode=GenerationMode.NEGATIVE))
    assert [f for f in failures if f] == [], "\n\n".join(f for f in failures if f)


def test_what_only_a_signed_in_person_reaches_keeps_its_schema_over_a_cookie_session(
    schema: schemathesis.BaseSchema, signed_in: dict[str, str], session: requests.Session
) -> None:
    def run(case: Any) -> None:
        # The document names the bearer scheme only, so an (empty) API key is generated: a
        # browser sends none, and an API key, even a bad one, is what the API reads first.
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        response = case.call_and_validate(headers=signed_in, checks=CHECKS, session=session)
        assert response.status_code != 401, f"the cookie session was not accepted: {response.text}"

    personal = [op for op in operations(schema) if op.path.startswith(SESSION_ONLY)]
    assert personal
    failures = [fuzz(op, run, EXAMPLES) for op in personal]
    assert [f for f in failures if f] == [], "\n\n".join(f for f in failures if f)


def test_another_tenant_aiming_at_the_first_tenants_resources_gets_nothing_of_them(
    runtime: LocalRuntime,
    schema: schemathesis.BaseSchema,
    alpha: Caller,
    bravo: Caller,
    session: requests.Session,
) -> None:
    before = _read_back(runtime, alpha)
    secrets_of_alpha = alpha.markers()

    def run(case: Any) -> None:
        response = case.call_and_validate(headers=bravo.headers, checks=CHECKS, session=session)
        sent = json.dumps([case.path_parameters, case.query, case.body], default=str)
        leaked = {m for m in secrets_of_alpha if m in response.text and m not in sent}
        assert not leaked, f"{case.method} {case.formatted_path} answered with alpha's {sorted(leaked)}"
        if case.path_parameters and set(case.path_parameters) & alpha.ids.keys():
            assert response.status_code >= 400, (
                f"{case.method} {case.formatted_path} -> {response.status_code}"
            )

    failures = []
    for op in operations(schema):
        aimed = {p.name: alpha.ids[p.name] for p in op.path_parameters if p.name in alpha.ids}
        if aimed:
            failures.append(fuzz(op, run, max(2, EXAMPLES), path_parameters=aimed))
        failures.append(fuzz(op, run, 1))
    assert [f for f in failures if f] == [], "\n\n".join(f for f in failures if f)

    after = _read_back(runtime, alpha)
    assert after == before, "the other tenant's requests changed the first tenant's data"


def _read_back(runtime: LocalRuntime, alpha: Caller) -> dict[str, Any]:
    """What the first tenant holds, without what reading it changes: the read-back authenticates with
    alpha's own key, whose ``last_used_at`` moves once a minute, so it is no evidence either way."""
    held = {name: call(runtime, alpha.key, "GET", path)[1] for name, path in _readbacks(alpha).items()}
    held["keys"] = {**held["keys"], "items": [_unused(key) for key in held["keys"]["items"]]}
    return held


def _unused(key: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in key.items() if name != "last_used_at"}


def _readbacks(alpha: Caller) -> dict[str, str]:
    return {
        "contact": f"/contacts/{alpha.ids['contact_id']}",
        "campaign": f"/campaigns/{alpha.ids['campaign_id']}",
        "keys": "/api-keys",
        "invitations": "/invitations",
        "members": "/members",
    }
