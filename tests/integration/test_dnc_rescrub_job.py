"""The DNC re-scrub job (moto) with a clock the test sets: what it reads and writes, a second run,
a failing source in one tenant, the tenant's interval and a run that stops for time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse.audit import list_entries
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignSpec, CampaignStatus
from gatehouse.contacts import checks
from gatehouse.contacts.records import Contact, ContactInput
from gatehouse.contacts.service import create
from gatehouse.dnc import LoadKind, ScrubStatus, load, scrub
from gatehouse.dnc.rescrub import rescrub_due
from gatehouse.identity.caller import Caller, operator
from gatehouse.identity.permissions import Role
from gatehouse.jobs.dnc_rescrub import run_dnc_rescrub
from gatehouse.jobs.tenants import Deadline, JobFailed, JobResume
from gatehouse.providers.sandbox import sandbox
from gatehouse.tenancy import TenantScope, get_directory
from gatehouse.vault import Provider, connect
from tests.conftest import TenantFixture
from tests.support.dynamo_reads import ItemsRead

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SANDBOX_DNC = {"provider_name": "sandbox-dnc", "api_key": "sandbox-dnc-key-0123456789"}
VOICE_SPEC: dict[str, Any] = {
    "name": "Calls",
    "channel": "voice",
    "audience": {"tag": "vip"},
    "content": {
        "kind": "voice",
        "agent_id": "agent_1234",
        # 47 CFR 64.1200(b)(1)-(2): an artificial-voice marketing call names its seller, offers an opt-out
        "seller": "Acme Solar",
        "opening": "Hi, this is an automated call from Acme Solar.",
        "opt_out": {"key": "9", "phrase": "say stop calling"},
    },
    "senders": {"numbers": ["+14155550100"]},
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "10:00", "end": "20:00"}],
}


def ops(t: TenantFixture) -> Caller:
    return operator(t.tenant_id, "fixtures", request_id="fixtures")


def add_contact(t: TenantFixture, phone: str, scrubbed_at: datetime) -> str:
    """A contact created through the domain, scrubbed by the tenant's source at ``scrubbed_at``."""
    return create(
        t.scope,
        ops(t),
        ContactInput(phone=phone, state="DC"),
        suppressed=checks.suppressed,
        scrub=lambda s, numbers: scrub(s, numbers, clock=lambda: scrubbed_at),
        clock=lambda: scrubbed_at,
    ).contact_id


def stamp_of(scope: TenantScope, contact_id: str) -> tuple[ScrubStatus, datetime, int]:
    contact = scope.require(Contact, contact_id)
    assert contact.dnc is not None
    return contact.dnc.status, contact.dnc.checked_at, contact.version


def audit_actions(tenant_id: str) -> list[str]:
    return [e.action for e in list_entries(tenant_id, limit=200).items]


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


@pytest.fixture(autouse=True)
def fresh_sandbox() -> Any:
    sandbox().reset()
    yield
    sandbox().reset()


@pytest.fixture
def alpha(tenant_a: TenantFixture) -> dict[str, str]:
    """Tenant A on the sandbox DNC provider: two contacts due (one now listed), one scrubbed recently."""
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, SANDBOX_DNC)
    return {
        "due": add_contact(tenant_a, "+12025550143", NOW - timedelta(days=31)),
        "due_listed": add_contact(tenant_a, "+12025550000", NOW - timedelta(days=45)),
        "fresh": add_contact(tenant_a, "+12025550144", NOW - timedelta(days=5)),
    }


@pytest.fixture
def bravo(tenant_b: TenantFixture) -> dict[str, str]:
    """Tenant B on registry files loaded 40 days before NOW: at NOW its source is stale (it fails)."""
    loaded = NOW - timedelta(days=40)
    report = load(tenant_b.scope, ops(tenant_b), "202", ["2025550199"], LoadKind.FULL, clock=at(loaded))
    connect(
        tenant_b.scope,
        ops(tenant_b),
        Provider.DNC,
        {"provider_name": "ftc", "registry_ref": report.registry_ref},
    )
    contact = add_contact(tenant_b, "+12025550143", loaded)
    campaign = lifecycle.create(tenant_b.scope, ops(tenant_b), CampaignSpec.model_validate(VOICE_SPEC))
    lifecycle.transition(tenant_b.scope, ops(tenant_b), campaign.campaign_id, "submit")
    lifecycle.transition(tenant_b.scope, ops(tenant_b), campaign.campaign_id, "approve")
    approved = tenant_b.scope.require(Campaign, campaign.campaign_id)
    tenant_b.scope.save(approved.model_copy(update={"status": CampaignStatus.RUNNING}))  # a run's start
    return {"contact": contact, "campaign": campaign.campaign_id}


def test_only_due_contacts_are_read_and_rescrubbed_and_a_second_run_changes_nothing(
    tenant_a: TenantFixture, alpha: dict[str, str]
) -> None:
    fresh_before = stamp_of(tenant_a.scope, alpha["fresh"])
    sandbox().reset()  # forget the intake scrubs

    with ItemsRead() as reads:
        run = run_dnc_rescrub(at(NOW))

    assert run.of(tenant_a.tenant_id).status == "done"
    assert run.of(tenant_a.tenant_id).counts["rescrubbed"] == 2
    assert run.of(tenant_a.tenant_id).counts["listed"] == 1
    assert stamp_of(tenant_a.scope, alpha["due"])[:2] == (ScrubStatus.CLEAR, NOW)
    assert stamp_of(tenant_a.scope, alpha["due_listed"])[:2] == (ScrubStatus.LISTED, NOW)
    listed = tenant_a.scope.require(Contact, alpha["due_listed"])
    assert "dnc_listed" in listed.eligibility["voice"].reasons  # eligibility follows the new stamp
    assert stamp_of(tenant_a.scope, alpha["fresh"]) == fresh_before
    # The not-due contact was never read: the queries returned the tenant directory's one
    # entry and the two due contacts, nothing else; one provider call asked for both.
    assert reads.by_operation["Query"] == 1 + 2, reads.by_operation
    assert reads.by_operation["BatchGetItem"] == 0
    assert [c.operation for c in sandbox().calls(tenant_a.tenant_id)].count("dnc_lookup") == 1

    stamps = {cid: stamp_of(tenant_a.scope, cid) for cid in alpha.values()}
    entries = audit_actions(tenant_a.tenant_id)
    again = run_dnc_rescrub(at(NOW))
    assert again.of(tenant_a.tenant_id).counts["rescrubbed"] == 0
    assert {cid: stamp_of(tenant_a.scope, cid) for cid in alpha.values()} == stamps
    assert audit_actions(tenant_a.tenant_id) == entries


def test_a_failing_source_marks_nothing_fresh_pauses_voice_and_leaves_other_tenants_done(
    tenant_a: TenantFixture, alpha: dict[str, str], tenant_b: TenantFixture, bravo: dict[str, str]
) -> None:
    before = stamp_of(tenant_b.scope, bravo["contact"])

    with pytest.raises(JobFailed) as failed:
        run_dnc_rescrub(at(NOW))

    run = failed.value.run
    assert run.of(tenant_a.tenant_id).status == "done"
    assert stamp_of(tenant_a.scope, alpha["due"])[1] == NOW  # the healthy tenant was done
    result_b = run.of(tenant_b.tenant_id)
    assert (result_b.status, result_b.reason) == ("failed", "registry_stale")
    assert stamp_of(tenant_b.scope, bravo["contact"]) == before  # nothing marked fresh
    campaign = tenant_b.scope.require(Campaign, bravo["campaign"])
    assert campaign.status is CampaignStatus.PAUSED
    assert campaign.history[-1].reason == "dnc_source_failed"
    assert campaign.history[-1].by == "system:dnc-rescrub"
    actions = audit_actions(tenant_b.tenant_id)
    assert actions.count("dnc.rescrub_failed") == 1

    with pytest.raises(JobFailed):  # the retry at the same instant: still failing, nothing new
        run_dnc_rescrub(at(NOW))
    assert audit_actions(tenant_b.tenant_id) == actions
    assert stamp_of(tenant_b.scope, bravo["contact"]) == before


def test_the_tenant_interval_decides_what_is_due(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    connect(tenant_a.scope, ops(tenant_a), Provider.DNC, SANDBOX_DNC)
    week_old = add_contact(tenant_a, "+12025550143", NOW - timedelta(days=8))
    owner = tenant_a.keys[Role.OWNER]
    too_long = api("PUT", "/settings/retention", body={"dnc_rescrub_days": 32}, token=owner)
    assert too_long.status == 422
    assert api("PUT", "/settings/retention", body={"dnc_rescrub_days": 7}, token=owner).status == 200
    assert api("GET", "/settings/retention", token=owner).json()["dnc_rescrub_days"] == 7

    run_dnc_rescrub(at(NOW))
    assert stamp_of(tenant_a.scope, week_old)[1] == NOW


def test_a_run_out_of_time_stops_between_chunks_and_the_next_resumes(
    tenant_a: TenantFixture, alpha: dict[str, str]
) -> None:
    chunks_allowed = iter([True, False])
    first = rescrub_due(tenant_a.scope, clock=at(NOW), time_left=lambda: next(chunks_allowed), chunk=1)
    assert (first.rescrubbed, first.complete) == (1, False)
    rest = rescrub_due(tenant_a.scope, clock=at(NOW), chunk=1)
    assert (rest.rescrubbed, rest.complete) == (1, True)
    assert {stamp_of(tenant_a.scope, alpha[k])[1] for k in ("due", "due_listed")} == {NOW}


def test_a_job_out_of_time_remembers_the_tenant_it_did_not_reach(
    tenant_a: TenantFixture, alpha: dict[str, str], tenant_b: TenantFixture
) -> None:
    budget = iter([10**9] * 3 + [0] * 100)
    run = run_dnc_rescrub(at(NOW), Deadline(lambda: next(budget), margin_ms=1))
    unreached = [r.tenant_id for r in run.results if r.status in {"not_reached", "partial"}]
    assert unreached
    resume = get_directory().get(JobResume, "SCHEDULER", "resume:dnc_rescrub")
    assert resume is not None
    assert resume.next_tenant == unreached[0]

    second = run_dnc_rescrub(at(NOW))
    assert second.results[0].tenant_id == unreached[0]  # the next run starts where this one stopped
    assert all(r.status == "done" for r in second.results)
    assert get_directory().get(JobResume, "SCHEDULER", "resume:dnc_rescrub").next_tenant is None  # type: ignore[union-attr]


def test_the_job_takes_contacts_by_the_age_of_their_data_not_of_their_check(tenant_a: TenantFixture) -> None:
    """16 CFR 310.4(b)(3)(iv): the 31 days count from the registry version used, so the job does too."""
    loaded = NOW - timedelta(days=29)
    report = load(tenant_a.scope, ops(tenant_a), "202", ["2025550199"], LoadKind.FULL, clock=at(loaded))
    connect(
        tenant_a.scope,
        ops(tenant_a),
        Provider.DNC,
        {"provider_name": "ftc", "registry_ref": report.registry_ref},
    )
    contact_id = add_contact(tenant_a, "+12025550143", NOW - timedelta(days=1))  # checked yesterday
    later = NOW + timedelta(days=2)  # checked 3 days ago, but its data is 31 days old: due (interval 30)

    first = run_dnc_rescrub(at(later)).of(tenant_a.tenant_id).counts
    assert (first["rescrubbed"], first["still_old"]) == (1, 1)  # nothing newer to scrub against yet

    load(tenant_a.scope, ops(tenant_a), "202", ["2025550199"], LoadKind.FULL, clock=at(later))
    second = run_dnc_rescrub(at(later)).of(tenant_a.tenant_id).counts
    assert (second["rescrubbed"], second["still_old"]) == (1, 0)
    stamp = tenant_a.scope.require(Contact, contact_id).dnc
    assert stamp is not None
    assert (stamp.status, stamp.data_as_of) == (ScrubStatus.CLEAR, later)
    assert run_dnc_rescrub(at(later)).of(tenant_a.tenant_id).counts["rescrubbed"] == 0
