"""TOTP two-factor: enrol, confirm, codes used once, brute force, recovery codes and the tenant policy."""

from __future__ import annotations

import base64
import json
import time

import pyotp
import pytest

from gatehouse import audit
from gatehouse.identity import two_factor
from gatehouse.identity.permissions import Role
from gatehouse.tenancy import get_directory
from gatehouse.vault import SealRejected
from gatehouse.vault.envelope import get_envelope
from tests.conftest import TenantFixture
from tests.support.browser import Browser
from tests.support.qr import read_qr

OWNER, VIEWER, MEMBER = "owner@alpha.test", "viewer@alpha.test", "member@alpha.test"


def enrolled(browser: Browser) -> tuple[pyotp.TOTP, list[str]]:
    started = browser.call("POST", "/account/two-factor")
    assert started.status == 201, started.body
    totp = pyotp.TOTP(started.json()["secret"])
    uri = started.json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/")
    # What an authenticator app scans: the same link, whose secret makes the codes checked below.
    assert read_qr(base64.b64decode(started.json()["otpauth_qr_png"])) == [uri]
    assert pyotp.parse_uri(uri).secret == totp.secret
    confirmed = browser.call("POST", "/account/two-factor/confirm", body={"code": totp.now()})
    assert confirmed.status == 200, confirmed.body
    return totp, confirmed.json()["recovery_codes"]


def next_code(totp: pyotp.TOTP) -> str:
    return totp.at(time.time() + 30)


def signed_in(api, email: str) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(api)
    assert browser.sign_in(email).status == 201
    return browser


def test_enrolment_seals_the_secret_and_shows_recovery_codes_once(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    browser = signed_in(api, VIEWER)
    totp, codes = enrolled(browser)
    assert len(codes) == len(set(codes)) == two_factor.RECOVERY_CODES
    stored = get_directory().get(two_factor.TwoFactor, tenant_a.users[Role.VIEWER], "TWO_FACTOR")
    assert stored is not None
    assert stored.confirmed_at is not None
    raw = stored.model_dump_json()
    assert totp.secret not in raw
    assert not any(c in raw or c.replace("-", "") in raw for c in codes)
    trail = json.dumps([e.model_dump(mode="json") for e in audit.list_entries(tenant_a.tenant_id).items])
    assert totp.secret not in trail
    assert [e.action for e in audit.list_entries(tenant_a.tenant_id, limit=2).items] == [
        "two_factor.enabled",
        "two_factor.enrolment_started",
    ]


def test_a_sealed_secret_copied_to_another_person_does_not_open(tenant_a: TenantFixture) -> None:
    two_factor.enrol(tenant_a.users[Role.VIEWER], "v")
    stored = get_directory().get(two_factor.TwoFactor, tenant_a.users[Role.VIEWER], "TWO_FACTOR")
    assert stored is not None
    with pytest.raises(SealRejected):
        get_envelope().open(stored.sealed_secret, tenant_id=tenant_a.users[Role.MEMBER], purpose="totp")


def test_an_enrolled_person_must_complete_two_factor_and_the_session_is_replaced(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    totp, _ = enrolled(signed_in(api, VIEWER))
    browser = signed_in(api, VIEWER)
    pending_token = browser.session_token
    blocked = browser.call("GET", "/members")
    assert (blocked.status, blocked.json()["error"]["code"]) == (403, "two_factor_required")
    assert browser.call("GET", "/session").json()["two_factor_pending"] is True
    done = browser.call("POST", "/session/two-factor", body={"code": next_code(totp)})
    assert done.status == 200, done.body
    assert browser.session_token != pending_token
    assert browser.call("GET", "/members").status == 200
    stale = Browser(api, cookies={**browser.cookies, "__Host-gatehouse_session": pending_token})
    assert stale.call("GET", "/session").status == 401


def test_a_code_is_never_accepted_twice(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    totp, _ = enrolled(signed_in(api, VIEWER))
    browser = signed_in(api, VIEWER)
    code = next_code(totp)
    assert browser.call("POST", "/session/two-factor", body={"code": code}).status == 200
    again = signed_in(api, VIEWER)
    replay = again.call("POST", "/session/two-factor", body={"code": code})
    assert (replay.status, replay.json()["error"]["message"]) == (400, two_factor.WRONG_CODE)
    older = again.call("POST", "/session/two-factor", body={"code": totp.now()})  # a step before the used one
    assert older.status == 400
    assert again.call("GET", "/members").status == 403


def test_brute_forcing_codes_is_stopped_even_before_the_right_code(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    totp, _ = enrolled(signed_in(api, VIEWER))  # the confirmation used one attempt of the window
    browser = signed_in(api, VIEWER)
    right = next_code(totp)
    wrong = [f"{n:06d}" for n in range(1000) if f"{n:06d}" not in {right, totp.now()}]
    statuses = [browser.call("POST", "/session/two-factor", body={"code": c}).status for c in wrong[:4]]
    assert statuses == [400] * 4
    limited = browser.call("POST", "/session/two-factor", body={"code": right})
    assert (limited.status, limited.json()["error"]["code"]) == (429, "rate_limited")
    assert browser.call("GET", "/members").status == 403  # still only half signed in


def test_a_recovery_code_works_once(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    _, codes = enrolled(signed_in(api, VIEWER))
    browser = signed_in(api, VIEWER)
    assert browser.call("POST", "/session/two-factor", body={"recovery_code": codes[0]}).status == 200
    again = signed_in(api, VIEWER)
    assert again.call("POST", "/session/two-factor", body={"recovery_code": codes[0]}).status == 400
    assert again.call("POST", "/session/two-factor", body={"recovery_code": codes[1]}).status == 200


@pytest.mark.parametrize(
    "body", [{}, {"code": "12345"}, {"code": "123456", "recovery_code": "aaaa-aaaa-aaaa-aaaa"}]
)
def test_malformed_verification_is_refused_in_the_one_shape(api, tenant_a: TenantFixture, body: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    reply = signed_in(api, VIEWER).call("POST", "/session/two-factor", body=body)
    assert reply.status == 422
    assert set(reply.json()["error"]) == {"code", "message", "request_id", "details"}


def test_disabling_needs_a_fresh_code(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    browser = signed_in(api, VIEWER)
    totp, _ = enrolled(browser)
    assert (
        browser.call(
            "POST",
            "/account/two-factor/disable",
            body={"code": "000000" if totp.now() != "000000" else "111111"},
        ).status
        == 400
    )
    assert two_factor.enabled(tenant_a.users[Role.VIEWER]) is not None
    assert browser.call("POST", "/account/two-factor/disable", body={"code": next_code(totp)}).status == 204
    assert two_factor.enabled(tenant_a.users[Role.VIEWER]) is None


def test_the_policy_holds_covered_roles_to_two_factor_until_they_enrol(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    policy = api(
        "PUT", "/security-policy", token=tenant_a.keys[Role.OWNER], body={"require_two_factor": True}
    )
    assert policy.status == 200
    assert policy.json()["require_two_factor"] is True
    member = signed_in(api, MEMBER)  # a member can neither approve campaigns nor change billing
    assert member.call("GET", "/members").status == 200

    owner = signed_in(api, OWNER)
    for method, path in [("GET", "/members"), ("GET", "/api-keys"), ("GET", "/sessions")]:
        reply = owner.call(method, path)
        assert (reply.status, reply.json()["error"]["code"]) == (403, "two_factor_required")
    change = owner.call("POST", "/api-keys", body={"name": "sneaky", "role": "viewer"})
    assert change.status == 403
    enrolled(owner)  # enrolling completes the session
    assert owner.call("GET", "/api-keys").status == 200
    # and under the policy the owner cannot switch it off again
    code = pyotp.TOTP("A" * 32).now()
    refused = owner.call("POST", "/account/two-factor/disable", body={"code": code})
    assert (refused.status, refused.json()["error"]["code"]) == (403, "forbidden")


def test_api_keys_are_not_people_and_have_no_second_factor(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    reply = api("POST", "/account/two-factor", token=tenant_a.keys[Role.OWNER])
    assert (reply.status, reply.json()["error"]["code"]) == (403, "forbidden")
