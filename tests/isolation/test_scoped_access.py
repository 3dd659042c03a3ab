"""Scoped access inside a tenant: with ``conversation_access: assigned_campaigns`` a member or a
viewer reaches only the campaigns they are assigned to, and those campaigns' contacts and
conversations.

Each person of tenant A acts over the API; the owner switches the setting over the API too.
A contact one of the member's campaigns reached (an outcome) is inside; a contact only another
campaign reached is outside, and every route that names it answers 404 as for a stranger's.
So does every route under another campaign (``/campaigns/{id}/...``), enumerated from the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse.campaigns import lifecycle, members
from gatehouse.campaigns.records import CampaignSpec
from gatehouse.contacts import checks
from gatehouse.contacts.records import ContactInput
from gatehouse.contacts.service import create
from gatehouse.dispatch.claims import AttemptLedger, ClaimMark
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus, SentMark, write_sent
from gatehouse.identity.api_keys import create_api_key
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Permission, Role, allows
from gatehouse.webhooks.inbound_sms import InboundSms, receive
from gatehouse.webhooks.voice_events import CallRecord
from tests.conftest import TenantFixture
from tests.isolation.cases import CAMPAIGN, CSV_UPLOAD, fixture_operator, session_headers
from tests.support.events import Reply

INSIDE_NUMBER = "+14155550161"
OUTSIDE_NUMBER = "+14155550162"
NEW_NUMBER = "+14155550163"


@dataclass(frozen=True)
class Reached:
    contact_id: str
    conversation_id: str


@dataclass(frozen=True)
class Setup:
    inside: Reached
    outside: Reached
    campaign_in: str
    campaign_out: str


def californian(tenant: TenantFixture, number: str, name: str, tags: tuple[str, ...] = ()) -> str:
    """A new contact in California, created as an operator would; its id."""
    return create(
        tenant.scope,
        fixture_operator(tenant),
        ContactInput(phone=number, first_name=name, state="CA", tags=list(tags)),
        suppressed=checks.suppressed,
        scrub=checks.scrub,
    ).contact_id


def reached_by(tenant: TenantFixture, campaign_id: str, number: str, sid: str) -> Reached:
    """A contact the campaign texted (its outcome and ledger), who then wrote back."""
    sent_at = datetime.now(UTC) - timedelta(hours=1)
    contact_id = californian(tenant, number, "Scoped")
    tenant.scope.save(
        AttemptLedger(contact_id=contact_id, claims={f"{campaign_id}#01": ClaimMark(run_id="r", at=sent_at)})
    )
    tenant.scope.save(
        ContactOutcome(
            campaign_id=campaign_id,
            contact_id=contact_id,
            status=OutcomeStatus.SENT,
            attempts=1,
            updated_at=sent_at,
        )
    )
    receive(tenant.scope, InboundSms(sid, number, "Can you call me later?"), request_id="t")
    return Reached(contact_id, f"{contact_id}.sms")


@pytest.fixture
def setup(tenant_a: TenantFixture) -> Setup:
    ops = fixture_operator(tenant_a)
    campaign_in, campaign_out = (
        lifecycle.create(tenant_a.scope, ops, CampaignSpec.model_validate(CAMPAIGN)).campaign_id
        for _ in range(2)
    )
    members.assign(
        tenant_a.scope, ops, campaign_in, [tenant_a.users[Role.MEMBER], tenant_a.users[Role.VIEWER]]
    )
    return Setup(
        inside=reached_by(tenant_a, campaign_in, INSIDE_NUMBER, "SM" + "a" * 32),
        outside=reached_by(tenant_a, campaign_out, OUTSIDE_NUMBER, "SM" + "b" * 32),
        campaign_in=campaign_in,
        campaign_out=campaign_out,
    )


def as_person(tenant: TenantFixture, role: Role) -> dict[str, Any]:
    return {"headers": session_headers(tenant.users[role], tenant.tenant_id)}


def scoped(api, tenant: TenantFixture, access: str) -> None:  # type: ignore[no-untyped-def]
    reply = api("PUT", "/access-policy", body={"conversation_access": access}, token=tenant.keys[Role.OWNER])
    assert reply.status == 200, reply.body
    assert reply.json()["conversation_access"] == access


def contact_paths(contact_id: str) -> list[str]:
    return [
        f"/contacts/{contact_id}",
        f"/contacts/{contact_id}/calls",
    ]


def conversation_paths(conversation_id: str) -> list[str]:
    return [f"/conversations/{conversation_id}", f"/conversations/{conversation_id}/messages"]


def statuses(api, paths: list[str], how: dict[str, Any]) -> set[int]:  # type: ignore[no-untyped-def]
    return {api("GET", path, **how).status for path in paths}


def test_a_restricted_member_reaches_only_their_campaigns_contacts_and_conversations(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, setup: Setup
) -> None:
    scoped(api, tenant_a, "assigned_campaigns")
    member = as_person(tenant_a, Role.MEMBER)
    assert statuses(api, contact_paths(setup.inside.contact_id), member) == {200}
    assert statuses(api, conversation_paths(setup.inside.conversation_id), member) == {200}
    assert statuses(api, contact_paths(setup.outside.contact_id), member) == {404}
    assert statuses(api, conversation_paths(setup.outside.conversation_id), member) == {404}
    # Changes are refused the same way: the out-of-scope ids do not exist for this person.
    outside = setup.outside
    assert api("PATCH", f"/contacts/{outside.contact_id}", body={"tags": ["x"]}, **member).status == 404
    assert api("DELETE", f"/contacts/{outside.contact_id}", **member).status == 404
    assert api("POST", f"/conversations/{outside.conversation_id}/read", **member).status == 404
    taken = api(
        "PUT",
        f"/conversations/{outside.conversation_id}/assignee",
        body={"user_id": tenant_a.users[Role.MEMBER]},
        **member,
    )
    assert taken.status == 404
    answered = api(
        "POST",
        f"/conversations/{outside.conversation_id}/messages",
        body={"body": "Hello"},
        **{**member, "headers": {**member.get("headers", {}), "Idempotency-Key": "scoped-reply-0001"}},
    )
    assert answered.status == 404  # before any gate or claim


def test_lists_and_counts_hold_only_the_members_campaigns(api, tenant_a: TenantFixture, setup: Setup) -> None:  # type: ignore[no-untyped-def]
    scoped(api, tenant_a, "assigned_campaigns")
    member = as_person(tenant_a, Role.MEMBER)
    contacts = api("GET", "/contacts", **member).json()["items"]
    assert [c["contact_id"] for c in contacts] == [setup.inside.contact_id]
    listed = api("GET", "/conversations", **member).json()["items"]
    assert [c["conversation_id"] for c in listed] == [setup.inside.conversation_id]
    counts = api("GET", "/conversations/counts", **member).json()
    assert counts == {"unread": 1, "by_campaign": {setup.campaign_in: 1}}
    exported = api("GET", "/contacts/export", token=tenant_a.keys[Role.OWNER]).body
    assert setup.outside.contact_id in exported  # the owner's export still holds everyone


def first_sent(tenant: TenantFixture, campaign_id: str, number: str) -> str:
    """A contact the campaign texted once: its only outcome there a mark on the campaign's sheet."""
    contact_id = californian(tenant, number, "Marked")
    mark = SentMark(ref="SM" + number[-4:], at=datetime.now(UTC) - timedelta(hours=1), w="")
    assert write_sent(tenant.scope, campaign_id, {contact_id: mark}, {}) == []
    return contact_id


def test_a_contact_whose_only_outcome_is_a_first_send_mark_is_inside_its_campaign(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, setup: Setup
) -> None:
    """A first send is a mark on the campaign's sheet, not an item: it proves the contact inside the
    member's campaign all the same; a mark on another campaign's sheet does not, nor does the member's
    campaign's sheet when it holds only another contact's mark."""
    inside = first_sent(tenant_a, setup.campaign_in, "+14155550164")
    outside = first_sent(tenant_a, setup.campaign_out, "+14155550165")
    neighbour = first_sent(tenant_a, setup.campaign_out, "+14155550166")
    twin = neighbour[:6] + ("2" if neighbour[6] != "2" else "3") * (len(neighbour) - 6)  # its sheet in A
    twin_mark = SentMark(ref="SMtwin", at=datetime.now(UTC), w="")
    assert write_sent(tenant_a.scope, setup.campaign_in, {twin: twin_mark}, {}) == []
    scoped(api, tenant_a, "assigned_campaigns")
    member = as_person(tenant_a, Role.MEMBER)
    assert statuses(api, contact_paths(inside), member) == {200}
    assert statuses(api, contact_paths(outside), member) == {404}
    assert statuses(api, contact_paths(neighbour), member) == {404}
    listed = {c["contact_id"] for c in api("GET", "/contacts", **member).json()["items"]}
    assert listed == {setup.inside.contact_id, inside}


def test_a_viewer_is_restricted_like_a_member(api, tenant_a: TenantFixture, setup: Setup) -> None:  # type: ignore[no-untyped-def]
    scoped(api, tenant_a, "assigned_campaigns")
    viewer = as_person(tenant_a, Role.VIEWER)
    assert api("GET", f"/contacts/{setup.inside.contact_id}", **viewer).status == 200
    assert api("GET", f"/contacts/{setup.outside.contact_id}", **viewer).status == 404


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN], ids=str)
def test_owners_and_admins_see_every_contact_and_conversation(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, setup: Setup, role: Role
) -> None:
    scoped(api, tenant_a, "assigned_campaigns")
    who = as_person(tenant_a, role)
    for reached in (setup.inside, setup.outside):
        assert statuses(api, contact_paths(reached.contact_id), who) == {200}
        assert statuses(api, conversation_paths(reached.conversation_id), who) == {200}
    listed = api("GET", "/conversations", **who).json()["items"]
    assert len(listed) == 2


def test_a_member_key_is_restricted_to_its_persons_campaigns(
    api, tenant_a: TenantFixture, setup: Setup
) -> None:  # type: ignore[no-untyped-def]
    person = Caller(tenant_a.tenant_id, Role.MEMBER, PrincipalType.USER, tenant_a.users[Role.MEMBER])
    theirs = create_api_key(tenant_a.scope, person, name="member's own", role=Role.MEMBER).token
    scoped(api, tenant_a, "assigned_campaigns")
    assert api("GET", f"/contacts/{setup.inside.contact_id}", token=theirs).status == 200
    assert api("GET", f"/contacts/{setup.outside.contact_id}", token=theirs).status == 404
    # A member key that belongs to nobody (made by an operator) has no campaigns: it sees no contact.
    nobodys = tenant_a.keys[Role.MEMBER]
    assert api("GET", f"/contacts/{setup.inside.contact_id}", token=nobodys).status == 404
    assert api("GET", "/contacts", token=nobodys).json()["items"] == []


def test_turning_the_setting_back_to_all_restores_access(api, tenant_a: TenantFixture, setup: Setup) -> None:  # type: ignore[no-untyped-def]
    member = as_person(tenant_a, Role.MEMBER)
    scoped(api, tenant_a, "assigned_campaigns")
    assert api("GET", f"/conversations/{setup.outside.conversation_id}", **member).status == 404
    scoped(api, tenant_a, "all")
    assert statuses(api, contact_paths(setup.outside.contact_id), member) == {200}
    assert statuses(api, conversation_paths(setup.outside.conversation_id), member) == {200}


def test_assigning_a_member_to_the_campaign_opens_its_contacts(
    api, tenant_a: TenantFixture, setup: Setup
) -> None:  # type: ignore[no-untyped-def]
    scoped(api, tenant_a, "assigned_campaigns")
    member = as_person(tenant_a, Role.MEMBER)
    path = f"/contacts/{setup.outside.contact_id}"
    assert api("GET", path, **member).status == 404
    assigned = api(
        "PUT",
        f"/campaigns/{setup.campaign_out}/members",
        body={"user_ids": [tenant_a.users[Role.MEMBER]]},
        token=tenant_a.keys[Role.ADMIN],
    )
    assert assigned.status == 200, assigned.body
    assert api("GET", path, **member).status == 200
    taken_off = api(
        "PUT",
        f"/campaigns/{setup.campaign_in}/members",
        body={"user_ids": []},
        token=tenant_a.keys[Role.ADMIN],
    )
    assert taken_off.status == 200, taken_off.body
    assert api("GET", f"/contacts/{setup.inside.contact_id}", **member).status == 404


def test_a_conversation_is_assigned_only_to_a_member_who_can_open_it(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, setup: Setup
) -> None:
    """Restricted to their campaigns, a member is never given a conversation they could not see."""
    scoped(api, tenant_a, "assigned_campaigns")
    admin, member_id = tenant_a.keys[Role.ADMIN], tenant_a.users[Role.MEMBER]

    def give(conversation_id: str) -> Any:
        path = f"/conversations/{conversation_id}/assignee"
        return api("PUT", path, body={"user_id": member_id}, token=admin)

    refused = give(setup.outside.conversation_id)
    assert refused.status == 400, refused.body
    assert refused.json()["error"]["details"] == [
        {"field": "user_id", "reason": "outside the member's campaigns"}
    ]
    assert (
        api("GET", f"/conversations/{setup.outside.conversation_id}", token=admin).json()["assigned_to"]
        is None
    )
    assert give(setup.inside.conversation_id).status == 200
    scoped(api, tenant_a, "all")
    assert give(setup.outside.conversation_id).status == 200  # everyone sees everything again


def test_a_restricted_member_adds_no_contact_and_learns_nothing_of_the_tenants_numbers(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, setup: Setup
) -> None:
    """A new contact would be in none of their campaigns, and a 409 would say the number is the tenant's."""
    scoped(api, tenant_a, "assigned_campaigns")
    member = as_person(tenant_a, Role.MEMBER)
    owner = tenant_a.keys[Role.OWNER]
    listed_before = api("GET", "/contacts", token=owner, query={"limit": "100"}).json()["items"]

    def add(number: str) -> Any:
        return api(
            "POST", "/contacts", body={"phone": number, "first_name": "Again", "state": "CA"}, **member
        )

    hidden, seen, new = add(OUTSIDE_NUMBER), add(INSIDE_NUMBER), add(NEW_NUMBER)
    assert (hidden.status, seen.status, new.status) == (403, 403, 403)
    said = [{**r.json()["error"], "request_id": None} for r in (hidden, seen, new)]
    assert said[0] == said[1] == said[2]  # the same answer whether or not the tenant has the number
    assert "an owner or admin adds contacts" in new.json()["error"]["message"]
    assert setup.outside.contact_id not in hidden.body
    assert api("GET", "/contacts", token=owner, query={"limit": "100"}).json()["items"] == listed_before
    scoped(api, tenant_a, "all")
    assert add(NEW_NUMBER).status == 201


def test_a_restricted_member_imports_no_contact_file(api, tenant_a: TenantFixture, setup: Setup) -> None:  # type: ignore[no-untyped-def]
    """An import updates whichever of the tenant's contacts its rows name: not for someone kept to theirs."""
    member = as_person(tenant_a, Role.MEMBER)
    scoped(api, tenant_a, "assigned_campaigns")
    inline = api("POST", "/contacts/imports", raw_body=CSV_UPLOAD, **member)
    upload = api("POST", "/contacts/imports/uploads", **member)
    assert (inline.status, upload.status) == (403, 403), (inline.body, upload.body)
    assert "an owner or admin imports contact files" in inline.json()["error"]["message"]
    scoped(api, tenant_a, "all")
    assert api("POST", "/contacts/imports/uploads", **member).status == 201


CAMPAIGN_PATH = "/campaigns/<campaign_id>"
# The bodies the campaign routes that take one need to get past validation to the campaign.
CAMPAIGN_BODIES: dict[tuple[str, str], Any] = {
    ("PUT", CAMPAIGN_PATH): {**CAMPAIGN, "name": "Renamed"},
    ("POST", f"{CAMPAIGN_PATH}/reject"): {"reason": "not yet"},
    ("PUT", f"{CAMPAIGN_PATH}/members"): {"user_ids": []},
}


def campaign_routes(api_module) -> dict[tuple[str, str], Permission]:  # type: ignore[no-untyped-def]
    """Every route the API serves under one campaign, with the permission it declares."""
    return {
        route: permission
        for route, permission in api_module.route_permissions().items()
        if route[1] == CAMPAIGN_PATH or route[1].startswith(f"{CAMPAIGN_PATH}/")
    }


def on_campaign(api, route: tuple[str, str], campaign_id: str, how: dict[str, Any]) -> Reply:  # type: ignore[no-untyped-def]
    method, path = route
    body = CAMPAIGN_BODIES.get(route)
    return api(method, path.replace("<campaign_id>", campaign_id), **({"body": body} if body else {}), **how)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER], ids=str)
def test_a_restricted_person_finds_no_campaign_outside_their_own_on_any_campaign_route(  # type: ignore[no-untyped-def]
    api, api_module, tenant_a: TenantFixture, setup: Setup, role: Role
) -> None:
    """Another campaign is a 404 exactly like a missing one, on every route under /campaigns/{id}."""
    scoped(api, tenant_a, "assigned_campaigns")
    who = as_person(tenant_a, role)
    owner = tenant_a.keys[Role.OWNER]
    before = api("GET", f"/campaigns/{setup.campaign_out}", token=owner).json()
    routes = campaign_routes(api_module)
    assert {("GET", f"{CAMPAIGN_PATH}/report/export"), ("GET", f"{CAMPAIGN_PATH}/calls")} <= set(routes)
    for route, permission in sorted(routes.items()):
        replied = on_campaign(api, route, setup.campaign_out, who)
        expected = 404 if allows(role, permission) else 403
        assert replied.status == expected, (route, replied.body)
        assert setup.outside.contact_id not in replied.body
        assert "Alphacampaign" not in replied.body
    assert api("GET", f"/campaigns/{setup.campaign_out}", token=owner).json() == before  # nothing changed


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER], ids=str)
def test_a_restricted_person_reads_every_route_of_their_own_campaign(  # type: ignore[no-untyped-def]
    api, api_module, tenant_a: TenantFixture, setup: Setup, role: Role
) -> None:
    scoped(api, tenant_a, "assigned_campaigns")
    who = as_person(tenant_a, role)
    reads = {r: p for r, p in campaign_routes(api_module).items() if r[0] == "GET" and allows(role, p)}
    assert ("GET", f"{CAMPAIGN_PATH}/report/export") in reads
    for route in sorted(reads):
        replied = on_campaign(api, route, setup.campaign_in, who)
        assert replied.status == 200, (route, replied.body)
    report = on_campaign(api, ("GET", f"{CAMPAIGN_PATH}/report"), setup.campaign_in, who).json()
    assert [o["contact_id"] for o in report["items"]] == [setup.inside.contact_id]


def test_a_restricted_members_preflight_counts_the_whole_audience_of_their_campaign_only(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, setup: Setup
) -> None:
    """The pre-flight is of the campaign, not of the contacts its member may open (before a run: none).
    Counts only leave it; another campaign's is a 404 like every route under it."""
    for number in ("+14155550171", "+14155550172"):
        californian(tenant_a, number, "Audience", tags=("vip",))  # the campaigns' audience: tag vip
    scoped(api, tenant_a, "assigned_campaigns")
    member = as_person(tenant_a, Role.MEMBER)
    path = f"/campaigns/{setup.campaign_in}/preflight"
    owners = api("GET", path, token=tenant_a.keys[Role.OWNER]).json()
    assert owners["contacts"] == 2
    assert api("GET", path, **member).json() == owners
    assert api("GET", f"/campaigns/{setup.campaign_out}/preflight", **member).status == 404


def test_a_restricted_members_campaign_list_holds_only_their_campaigns(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, setup: Setup
) -> None:
    scoped(api, tenant_a, "assigned_campaigns")
    member = as_person(tenant_a, Role.MEMBER)
    listed = api("GET", "/campaigns", **member, query={"limit": "100"}).json()
    assert [c["campaign_id"] for c in listed["items"]] == [setup.campaign_in]
    nobodys = tenant_a.keys[Role.MEMBER]  # a member key of nobody's has no campaign at all
    assert api("GET", "/campaigns", token=nobodys).json()["items"] == []
    owners = api("GET", "/campaigns", token=tenant_a.keys[Role.OWNER], query={"limit": "100"}).json()
    assert {setup.campaign_in, setup.campaign_out} <= {c["campaign_id"] for c in owners["items"]}
    scoped(api, tenant_a, "all")
    everyone = api("GET", "/campaigns", **member, query={"limit": "100"}).json()
    assert {setup.campaign_in, setup.campaign_out} <= {c["campaign_id"] for c in everyone["items"]}


def test_a_restricted_member_creates_no_campaign(api, tenant_a: TenantFixture, setup: Setup) -> None:  # type: ignore[no-untyped-def]
    """A new campaign would be none of theirs: an owner or admin creates it and assigns its members."""
    scoped(api, tenant_a, "assigned_campaigns")
    member = as_person(tenant_a, Role.MEMBER)
    refused = api("POST", "/campaigns", body=CAMPAIGN, **member)
    assert refused.status == 403, refused.body
    assert "an owner or admin creates campaigns" in refused.json()["error"]["message"]
    scoped(api, tenant_a, "all")
    assert api("POST", "/campaigns", body=CAMPAIGN, **member).status == 201


def test_a_restricted_member_cannot_ask_whether_numbers_are_suppressed(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, setup: Setup
) -> None:
    """Any of the tenant's numbers would answer: the same 403 whatever they ask, as for adding a contact."""
    member = as_person(tenant_a, Role.MEMBER)
    owner = tenant_a.keys[Role.OWNER]
    assert api("POST", "/suppressions", body={"number": OUTSIDE_NUMBER}, token=owner).status == 201
    scoped(api, tenant_a, "assigned_campaigns")

    def ask(numbers: list[str]) -> Any:
        return api("POST", "/suppressions/check", body={"numbers": numbers}, **member)

    outside, inside, unknown, malformed = (
        ask([OUTSIDE_NUMBER]),
        ask([INSIDE_NUMBER]),
        ask([NEW_NUMBER]),
        ask(["x"]),
    )
    assert {r.status for r in (outside, inside, unknown, malformed)} == {403}
    said = [{**r.json()["error"], "request_id": None} for r in (outside, inside, unknown, malformed)]
    assert said[0] == said[1] == said[2] == said[3]
    assert "an owner or admin checks numbers" in said[0]["message"]
    answered = api("POST", "/suppressions/check", body={"numbers": [OUTSIDE_NUMBER]}, token=owner)
    assert answered.json()["suppressed"] == [OUTSIDE_NUMBER]  # owners and admins still ask
    scoped(api, tenant_a, "all")
    assert ask([OUTSIDE_NUMBER]).json()["suppressed"] == [OUTSIDE_NUMBER]


def test_a_restricted_member_suppresses_only_their_own_contacts_numbers(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, setup: Setup
) -> None:
    """Whether a number was already suppressed would say whether it is on the tenant's list: outside
    their view, every number (suppressed, new, a contact of another campaign, malformed) is the same 403
    and nothing is added; their own contact's number is suppressed, once, as anyone's."""
    member = as_person(tenant_a, Role.MEMBER)
    owner = tenant_a.keys[Role.OWNER]
    assert api("POST", "/suppressions", body={"number": OUTSIDE_NUMBER}, token=owner).status == 201
    before = api("GET", "/suppressions", token=owner).json()["items"]
    scoped(api, tenant_a, "assigned_campaigns")

    def add(number: str) -> Any:
        return api("POST", "/suppressions", body={"number": number, "reason": "asked by phone"}, **member)

    refused = [add(OUTSIDE_NUMBER), add(NEW_NUMBER), add("x")]
    assert {r.status for r in refused} == {403}
    said = [{**r.json()["error"], "request_id": None} for r in refused]
    assert said[0] == said[1] == said[2]
    assert api("GET", "/suppressions", token=owner).json()["items"] == before

    first, again = add(INSIDE_NUMBER), add(INSIDE_NUMBER)
    assert (first.status, again.status) == (201, 200), first.body
    assert first.json()["entry"] == again.json()["entry"]
    scoped(api, tenant_a, "all")
    assert add(NEW_NUMBER).status == 201


def test_a_restricted_member_sees_a_shared_contacts_calls_of_their_own_campaigns_only(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, setup: Setup
) -> None:
    """A contact both campaigns reached: the member opens the contact, and of its calls only the
    one their campaign placed (its transcript too); the other campaign's call is a 404 like a missing one."""
    contact_id = setup.inside.contact_id
    tenant_a.scope.save(
        ContactOutcome(
            campaign_id=setup.campaign_out,
            contact_id=contact_id,
            status=OutcomeStatus.SENT,
            attempts=1,
            updated_at=datetime.now(UTC),
        )
    )
    for call_id, campaign_id in (("call_ours", setup.campaign_in), ("call_theirs", setup.campaign_out)):
        tenant_a.scope.save(
            CallRecord(
                contact_id=contact_id,
                call_id=call_id,
                direction="outbound",
                campaign_id=campaign_id,
                transcript="Agent: Hello.",
                retain_until=datetime.now(UTC) + timedelta(days=30),
            )
        )
    scoped(api, tenant_a, "assigned_campaigns")
    member = as_person(tenant_a, Role.MEMBER)
    listed = api("GET", f"/contacts/{contact_id}/calls", **member)
    assert listed.status == 200, listed.body
    assert [c["call_id"] for c in listed.json()["items"]] == ["call_ours"]
    assert api("GET", f"/contacts/{contact_id}/calls/call_ours/transcript", **member).status == 200
    assert api("GET", f"/contacts/{contact_id}/calls/call_theirs/transcript", **member).status == 404
    owner = {"token": tenant_a.keys[Role.OWNER]}
    both = api("GET", f"/contacts/{contact_id}/calls", **owner).json()["items"]
    assert sorted(c["call_id"] for c in both) == ["call_ours", "call_theirs"]
