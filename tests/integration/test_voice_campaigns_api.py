"""Voice campaigns through the API: the (b)(1)-(2) disclosures and the retry policy, or a located 422."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.identity.permissions import Role
from gatehouse.identity.tenants import find_tenant
from tests.conftest import TenantFixture

VOICE: dict[str, Any] = {
    "name": "Solar calls",
    "channel": "voice",
    "audience": {"tag": "vip"},
    "senders": {"numbers": ["+14155550100"]},
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "10:00", "end": "18:00"}],
    "max_attempts_per_contact": 3,
}
OPT_OUT = {"key": "9", "phrase": "say stop calling"}


def content(**fields: Any) -> dict[str, Any]:
    return {"kind": "voice", "agent_id": "agent_demo", **fields}


@pytest.mark.parametrize(
    ("voice", "fields"),
    [
        (content(), ["body.content.voice.opening", "body.content.voice.opt_out"]),
        (content(opening="Hello, this is Ava.", opt_out=OPT_OUT), ["body.content.voice.opening"]),
        (content(opening="Hi, Acme Solar calling.", seller="Acme Solar"), ["body.content.voice.opt_out"]),
        (content(opening="Hi, Acme Solar calling.", seller="Acme Solar", opt_out={"key": "99"}), ["opt_out"]),
        (
            content(opening="Hi, Acme Solar.", seller="Acme Solar", opt_out=OPT_OUT, retry={"attempts": 4}),
            ["body.content.voice.retry.attempts"],
        ),
        (
            content(
                opening="Hi, Acme Solar.", seller="Acme Solar", opt_out=OPT_OUT, retry={"spacing_minutes": 30}
            ),
            ["retry.spacing_minutes"],
        ),
    ],
)
def test_an_artificial_voice_marketing_campaign_without_its_disclosures_is_refused(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, voice: dict[str, Any], fields: list[str]
) -> None:
    """47 CFR 64.1200(b)(1): the business named at the start; (b)(2): an automated, interactive opt-out."""
    owner = tenant_a.keys[Role.OWNER]
    reply = api("POST", "/campaigns", body={**VOICE, "content": voice}, token=owner)
    assert reply.status == 422, reply.body
    error = reply.json()["error"]
    assert error["code"] == "validation_error"
    located = [d["field"] for d in error["details"]]
    assert all(any(f in at for at in located) for f in fields), located
    assert api("GET", "/campaigns", token=owner).json()["items"] == []


def test_a_campaign_that_names_the_tenant_and_offers_an_opt_out_is_kept(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture
) -> None:
    """47 CFR 64.1200(b)(1)-(2): unsaid, the seller is the tenant itself: its name is in the opening."""
    tenant = find_tenant(tenant_a.tenant_id)
    assert tenant is not None
    voice = content(
        opening=f"Hi, this is Ava, an automated assistant calling for {tenant.name}.",
        opt_out=OPT_OUT,
        retry={"attempts": 3, "spacing_minutes": 90},
    )
    owner = tenant_a.keys[Role.OWNER]
    reply = api("POST", "/campaigns", body={**VOICE, "content": voice}, token=owner)
    assert reply.status == 201, reply.body
    kept = reply.json()["spec"]["content"]
    assert (kept["opt_out"], kept["retry"]) == (OPT_OUT, {"attempts": 3, "spacing_minutes": 90})


def test_64_1200_b_an_informational_artificial_voice_campaign_without_its_disclosures_is_refused(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture
) -> None:
    """47 CFR 64.1200(b)(1)-(2), read strictly: the purpose does not matter, a reminder call by an
    artificial voice names the business and offers the automated opt-out too."""
    owner = tenant_a.keys[Role.OWNER]
    plain = {**VOICE, "purpose": "informational", "content": content()}
    reply = api("POST", "/campaigns", body=plain, token=owner)
    assert reply.status == 422, reply.body
    located = [d["field"] for d in reply.json()["error"]["details"]]
    assert located == ["body.content.voice.opening", "body.content.voice.opt_out"]
    assert api("GET", "/campaigns", token=owner).json()["items"] == []
    said = content(opening="Hi, Acme Solar calling.", seller="Acme Solar", opt_out=OPT_OUT)
    assert api("POST", "/campaigns", body={**plain, "content": said}, token=owner).status == 201
