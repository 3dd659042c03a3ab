"""Invite-only onboarding: invite, mail, accept once, revoke, and the rank rules."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gatehouse import audit
from gatehouse.clock import utc_now
from gatehouse.errors import Unauthorized
from gatehouse.identity import invitations
from gatehouse.identity.members import Membership
from gatehouse.identity.permissions import Role
from gatehouse.identity.users import find_user_by_email
from tests.conftest import TenantFixture, outbox
from tests.support.mailbox import last_token

NEW = "newcomer@alpha.test"


def invite(api, tenant: TenantFixture, role: str = "member", by: Role = Role.OWNER, email: str = NEW):  # type: ignore[no-untyped-def]
    return api("POST", "/invitations", token=tenant.keys[by], body={"email": email, "role": role})


def members_of(api, tenant: TenantFixture) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return api("GET", "/members", token=tenant.keys[Role.OWNER]).json()["items"]


def test_an_invited_address_gets_one_link_and_accepting_makes_a_member(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    reply = invite(api, tenant_a, role="admin", email="NewComer@Alpha.test")
    assert reply.status == 201, reply.body
    created = reply.json()
    assert (created["email"], created["role"], created["status"]) == (NEW, "admin", "pending")
    assert "token" not in created
    assert "ghi_" not in reply.body
    token = last_token(outbox(), NEW, "invitation")

    accepted = api("POST", "/invitations/accept", body={"token": token})
    assert accepted.status == 201, accepted.body
    user = find_user_by_email(NEW)
    assert user is not None
    assert accepted.json()["user_id"] == user.user_id
    assert tenant_a.scope.require(Membership, user.user_id).role is Role.ADMIN
    listed = api("GET", "/invitations", token=tenant_a.keys[Role.OWNER]).json()["items"]
    assert [(i["status"], i["accepted_by"]) for i in listed] == [("accepted", user.user_id)]

    actions = [e.action for e in audit.list_entries(tenant_a.tenant_id, limit=5).items]
    assert actions[:2] == ["invitation.accepted", "invitation.created"]
    trail = json.dumps([e.model_dump(mode="json") for e in audit.list_entries(tenant_a.tenant_id).items])
    assert token not in trail
    assert token.removeprefix("ghi_") not in trail
    assert NEW not in trail  # the audit records the fact and the role, not the address


def test_replaying_an_invitation_is_refused_and_changes_nothing(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    invite(api, tenant_a)
    token = last_token(outbox(), NEW, "invitation")
    assert api("POST", "/invitations/accept", body={"token": token}).status == 201
    before = (members_of(api, tenant_a), audit.list_entries(tenant_a.tenant_id).items)

    replay = api("POST", "/invitations/accept", body={"token": token})
    assert replay.status == 401
    assert replay.json()["error"]["message"] == invitations.INVALID
    assert (members_of(api, tenant_a), audit.list_entries(tenant_a.tenant_id).items) == before


@pytest.mark.parametrize("how", ["unknown", "mangled", "revoked"])
def test_unknown_mangled_and_revoked_invitations_get_the_same_error(
    api, tenant_a: TenantFixture, how: str
) -> None:  # type: ignore[no-untyped-def]
    created = invite(api, tenant_a).json()
    token = last_token(outbox(), NEW, "invitation")
    if how == "unknown":
        token = "ghi_" + "A" * 43
    elif how == "mangled":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    else:
        revoked = api("DELETE", f"/invitations/{created['invitation_id']}", token=tenant_a.keys[Role.ADMIN])
        assert revoked.json()["status"] == "revoked"
    reply = api("POST", "/invitations/accept", body={"token": token})
    assert (reply.status, reply.json()["error"]["message"]) == (401, invitations.INVALID)
    assert find_user_by_email(NEW) is None  # no identity was created either


def test_an_expired_invitation_is_refused(tenant_a: TenantFixture, api) -> None:  # type: ignore[no-untyped-def]
    invite(api, tenant_a)
    token = last_token(outbox(), NEW, "invitation")
    later = utc_now() + invitations.INVITATION_LIFETIME + timedelta(seconds=1)
    with pytest.raises(Unauthorized, match="expired"):
        invitations.accept(token, request_id="t", source_ip=None, clock=lambda: later)
    assert find_user_by_email(NEW) is None


@pytest.mark.parametrize(
    ("by", "role"),
    [(Role.ADMIN, "owner"), (Role.MEMBER, "viewer"), (Role.VIEWER, "viewer")],
)
def test_nobody_invites_above_their_rank_and_only_owners_invite_owners(
    api, tenant_a: TenantFixture, by: Role, role: str
) -> None:  # type: ignore[no-untyped-def]
    reply = invite(api, tenant_a, role=role, by=by)
    assert reply.status == 403, reply.body
    assert reply.json()["error"]["code"] == "forbidden"
    assert api("GET", "/invitations", token=tenant_a.keys[Role.OWNER]).json()["items"] == []
    assert outbox() == []


def test_an_admin_invites_up_to_admin_and_an_owner_invites_an_owner(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    assert invite(api, tenant_a, role="admin", by=Role.ADMIN).status == 201
    assert invite(api, tenant_a, role="owner", email="co-owner@alpha.test").status == 201
    token = last_token(outbox(), "co-owner@alpha.test", "invitation")
    assert api("POST", "/invitations/accept", body={"token": token}).status == 201
    # With two owners the first may now leave; the last one never can.
    owners = [m["user_id"] for m in members_of(api, tenant_a) if m["role"] == "owner"]
    assert len(owners) == 2


def test_the_last_owner_cannot_be_removed_over_the_api(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner = tenant_a.users[Role.OWNER]
    reply = api("DELETE", f"/members/{owner}", token=tenant_a.keys[Role.OWNER])
    assert (reply.status, reply.json()["error"]["code"]) == (409, "conflict")
    assert owner in [m["user_id"] for m in members_of(api, tenant_a)]


def test_an_invitation_is_accepted_into_its_own_tenant_only(
    api, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    invite(api, tenant_a)
    token = last_token(outbox(), NEW, "invitation")
    # Tenant B's key presented alongside changes nothing: the token names tenant A.
    assert (
        api("POST", "/invitations/accept", body={"token": token}, token=tenant_b.keys[Role.OWNER]).status
        == 201
    )
    user = find_user_by_email(NEW)
    assert user is not None
    assert tenant_b.scope.get(Membership, user.user_id) is None
    assert tenant_a.scope.get(Membership, user.user_id) is not None


def test_inviting_an_existing_member_is_a_conflict(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    reply = invite(api, tenant_a, email="viewer@alpha.test")
    assert (reply.status, reply.json()["error"]["code"]) == (409, "conflict")


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-address", "role": "member"},
        {"email": NEW, "role": "god"},
        {"email": NEW, "role": "member", "x": 1},
    ],
)
def test_bad_invitations_are_refused_and_send_nothing(api, tenant_a: TenantFixture, body: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    reply = api("POST", "/invitations", token=tenant_a.keys[Role.OWNER], body=body)
    assert reply.status == 422
    assert set(reply.json()["error"]) == {"code", "message", "request_id", "details"}
    assert outbox() == []
