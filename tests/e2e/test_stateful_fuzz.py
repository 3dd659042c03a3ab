"""The stateful phase of the schema fuzzing: schemathesis follows links between routes (a create,
then reads, updates and deletes by the id it answered; a listing, then the items it named) on the
local runtime, as every role of two tenants.

The links are the document's own (``routes.schemas.linked``) and those schemathesis infers from
it. Each scenario has a home caller, each of the eight (two tenants, four roles) in turn, who
makes its first request and every second one; the others are made by a visitor drawn among all
eight. A visitor of the same tenant reaches the resource or is refused by its role; a visitor of
the other tenant must get nothing of it. Counted over every response: server errors, responses
outside the documented schema (status code, media type, body) and cross-tenant reads (a 2xx to a
request naming the other tenant's id, or an answer that carries its ids or its people's data).

The counts are printed as ``name: value`` lines. Bounded here: ``GATEHOUSE_FUZZ_EXAMPLES``
scenarios (2) of up to ``STEPS`` steps per home caller, and ``GATEHOUSE_FUZZ_SECONDS`` (40) for the
whole run, after which it stops by itself; ``make fuzz`` gives it more of both.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, assume, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, run_state_machine_as_test
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.runtime import LocalRuntime
from tests.support.consent import written

SCENARIOS = int(os.environ.get("GATEHOUSE_FUZZ_EXAMPLES", "2"))
SECONDS = float(os.environ.get("GATEHOUSE_FUZZ_SECONDS", "40"))
STEPS = 8
ROLES = ("owner", "admin", "member", "viewer")
CONFORMANCE = (status_code_conformance, content_type_conformance, response_schema_conformance)
# Ids of what belongs to one tenant (declared dates and the like are the platform's, seen by all).
TENANT_OWNED = re.compile(r"\b(?:tnt|con|cmp|key|inv|imp|run|usr)_[a-z2-7]{26}\b")
SEEDED = {
    "alpha": {
        "phone": "+12125550142",
        "first_name": "Quinn",
        "last_name": "Alphaline",
        "email": "quinn@alpha-fuzz.test",
    },
    "bravo": {
        "phone": "+13125550187",
        "first_name": "Rory",
        "last_name": "Bravonian",
        "email": "rory@bravo-fuzz.test",
    },
}
CONSENT = {
    "channels": ["sms", "voice"],
    "obtained_at": "2026-01-05T10:00:00Z",
    "source": "import",
    "wording": "Yes, contact me",
}


@dataclass(frozen=True)
class Member:
    tenant_id: str
    role: str
    key: str
    key_id: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def __repr__(self) -> str:  # Hypothesis prints the drawn visitor: never its key
        return f"Member({self.tenant_id[-6:]}, {self.role})"


@dataclass
class World:
    """The two tenants as the fuzzing knows them: who calls, what is whose, what must stay."""

    members: list[Member]
    owner_of: dict[str, str] = field(default_factory=dict)  # tenant-owned id -> its tenant id
    markers: dict[str, set[str]] = field(default_factory=dict)  # tenant id -> its people's data
    # Ids whose removal would end a caller's access or the seeded data midway: keys and people
    # the fuzzing runs as, the seeded contacts. A change aimed at one goes to an unknown id.
    kept: set[str] = field(default_factory=set)


@dataclass
class Tally:
    cases: int = 0
    server_errors: int = 0
    schema_violations: int = 0
    cross_tenant_reads: int = 0
    links_followed: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_caller: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"cases: {self.cases}",
            f"5xx: {self.server_errors}",
            f"schema violations: {self.schema_violations}",
            f"cross-tenant reads: {self.cross_tenant_reads}",
            f"links followed: {self.links_followed}",
            *(f"status {status}: {count}" for status, count in sorted(self.by_status.items())),
            *(f"cases as {who}: {count}" for who, count in sorted(self.by_caller.items())),
        ]

    def note(self, problem: str) -> None:
        if len(self.problems) < 25:
            self.problems.append(problem)


def _member(runtime: LocalRuntime, tenant_id: str, role: str, owner: tuple[str, str] | None) -> Member:
    from gatehouse.identity.api_keys import create_api_key
    from gatehouse.identity.caller import operator
    from gatehouse.identity.members import add_member
    from gatehouse.identity.permissions import Role
    from gatehouse.identity.users import ensure_user
    from gatehouse.tenancy import TenantScope

    if owner is not None:
        key, user_id = owner
    else:
        scope = TenantScope(tenant_id)
        seeder = operator(tenant_id, "fuzz", request_id="fuzz")
        user = ensure_user(f"{role}.{tenant_id[-8:]}@fuzz.test")
        add_member(scope, seeder, user_id=user.user_id, email=user.email, role=Role(role))
        key = create_api_key(scope, seeder, name=f"fuzz {role}", role=Role(role)).token
        user_id = user.user_id
    return Member(tenant_id, role, key, "key_" + key.split("_")[1], user_id)


def _seed(runtime: LocalRuntime, owner: Member, person: dict[str, str]) -> list[str]:
    """A contact of the tenant's own, made through the API; its id."""
    body = {**person, "consent": [written(CONSENT, person["phone"])]}
    request = requests.post(f"{runtime.api_url}/contacts", json=body, headers=owner.headers, timeout=30)
    assert request.status_code == 201, request.text
    return [request.json()["contact_id"]]


@pytest.fixture(scope="module")
def world(runtime: LocalRuntime) -> World:
    from gatehouse.ops.bootstrap import bootstrap_tenant

    assert runtime.demo is not None
    bravo = bootstrap_tenant(name="Bravo Fuzz", owner_email="owner@bravo-fuzz.test")
    found = World(members=[])
    for name, boot in (("alpha", runtime.demo), ("bravo", bravo)):
        owner = (boot.api_key, boot.owner_user_id)
        members = [_member(runtime, boot.tenant_id, r, owner if r == "owner" else None) for r in ROLES]
        found.members += members
        seeded = _seed(runtime, members[0], SEEDED[name])
        found.markers[boot.tenant_id] = {*SEEDED[name].values(), boot.tenant_id}
        for ident in (boot.tenant_id, *seeded, *(m.key_id for m in members), *(m.user_id for m in members)):
            found.owner_of[ident] = boot.tenant_id
        found.kept |= {*seeded, *(m.key_id for m in members), *(m.user_id for m in members)}
    return found


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as shared:
        yield shared


def _spare(case: Any, kept: set[str]) -> None:
    """A change aimed at a kept id goes to an unknown id of the same kind (a 404)."""
    if case.method.upper() == "GET" or not case.path_parameters:
        return
    for name, value in case.path_parameters.items():
        if value in kept:
            case.path_parameters[name] = value[:4] + "a" * 26


def _violations(case: Any, response: requests.Response) -> list[str]:
    found = []
    for check in CONFORMANCE:
        try:
            case.validate_response(response, checks=[check])
        except (AssertionError, BaseExceptionGroup) as failure:
            found.append(f"{check.__name__}: {str(failure).strip()[:400]}")
    return found


def _foreign(who: Member, case: Any, response: requests.Response, world: World) -> list[str]:
    """What of the other tenant the response carries, or reached, that the request did not send."""
    sent = json.dumps([case.path_parameters, case.query, case.body], default=str)
    text = response.text
    found = [
        marker
        for tenant_id, markers in world.markers.items()
        if tenant_id != who.tenant_id
        for marker in markers
        if marker in text and marker not in sent
    ]
    found += [
        ident
        for ident in TENANT_OWNED.findall(text)
        if world.owner_of.get(ident, who.tenant_id) != who.tenant_id and ident not in sent
    ]
    if response.status_code < 400:
        found += [
            f"answered {response.status_code} for {name}={value}"
            for name, value in (case.path_parameters or {}).items()
            if world.owner_of.get(str(value), who.tenant_id) != who.tenant_id
        ]
    return found


def _record(tally: Tally, world: World, who: Member, case: Any, response: requests.Response) -> None:
    label = f"{case.method.upper()} {case.formatted_path} as {who!r} -> {response.status_code}"
    tally.cases += 1
    tally.by_status[response.status_code] += 1
    tally.by_caller[f"{'alpha' if who.tenant_id == world.members[0].tenant_id else 'bravo'} {who.role}"] += 1
    if response.status_code >= 500:
        tally.server_errors += 1
        tally.note(f"{label}: {response.text[:300]}")
    violations = _violations(case, response)
    if violations:
        tally.schema_violations += 1
        tally.note(f"{label}: {'; '.join(violations)}")
    foreign = _foreign(who, case, response, world)
    if foreign:
        tally.cross_tenant_reads += 1
        tally.note(f"{label}: carried the other tenant's {sorted(set(foreign))}")
    elif response.status_code < 400:
        for ident in TENANT_OWNED.findall(response.text):
            world.owner_of.setdefault(ident, who.tenant_id)


def _workflow(
    schema: Any, world: World, tally: Tally, session: requests.Session, home: Member, deadline: float
) -> type:
    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.visitor = home
            self.steps = 0

        @initialize(visitor=st.sampled_from(world.members))
        def meet(self, visitor: Member) -> None:
            self.visitor = visitor

        def step(self, input: StepInput) -> StepOutput:
            # Past the time bound every scenario ends at once, as one Hypothesis discards: an
            # exception would make Hypothesis run the scenario again against a changed server.
            assume(time.monotonic() < deadline)
            case = input.case
            who = home if input.transition is None or self.steps % 2 == 0 else self.visitor
            self.steps += 1
            if input.transition is not None:
                tally.links_followed += 1
            _spare(case, world.kept)
            response = case.call(headers=who.headers, session=session)
            self.after_call(response, case)
            _record(tally, world, who, case, response)
            return StepOutput(response, case)

    return Workflow


def test_following_links_as_every_role_of_two_tenants_fails_nothing_and_reads_nothing_across(
    runtime: LocalRuntime, world: World, session: requests.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{runtime.api_url}/openapi.json")
    tally = Tally()
    deadline = time.monotonic() + SECONDS
    run = settings(
        max_examples=SCENARIOS,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: each problem is counted as found
        suppress_health_check=list(HealthCheck),
    )
    # Problems are counted, never raised inside a scenario, so Hypothesis never runs one again
    # (the server has changed since). A seed of its own per home caller: the same scenarios on
    # every run, but not the same eight times.
    for number, home in enumerate(world.members):
        if time.monotonic() < deadline:
            workflow = _workflow(schema, world, tally, session, home, deadline)
            run_state_machine_as_test(seed(number)(workflow), settings=run)
    with capsys.disabled():
        sys.stdout.write("\n" + "\n".join(tally.lines()) + "\n")
    assert tally.cases > 0
    assert (tally.server_errors, tally.schema_violations, tally.cross_tenant_reads) == (0, 0, 0), "\n".join(
        tally.problems
    )
