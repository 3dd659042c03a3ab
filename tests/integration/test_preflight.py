"""The pre-flight: what every gate would decide now for a campaign's audience, before approval.

The same world as ``test_dispatch_batch`` (each person stopped by one gate), asked before
the campaign is approved: the counts name the reason for every contact a gate stops.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import CampaignSpec
from gatehouse.contacts import checks
from gatehouse.dispatch.preflight import preflight
from tests.integration.test_dispatch_batch import EXPECTED_BLOCKED, NOW, SPEC, world  # noqa: F401


def draft(world: dict[str, Any], **changes: Any) -> str:  # noqa: F811
    ids = sorted(world["ids"].values())
    spec = CampaignSpec.model_validate({**SPEC, "audience": {"contact_ids": ids}, **changes})
    return lifecycle.create(world["scope"], world["ops"], spec).campaign_id


def test_a_draft_campaign_counts_what_each_gate_would_decide(world: dict[str, Any]) -> None:  # noqa: F811
    """DESIGN.md §6: consent by purpose (47 CFR 64.1200(a)(2)), suppression, DNC, hours, before approval."""
    found = preflight(world["scope"], draft(world), NOW, checks.suppressed)
    expected = {f"blocked:{reason}": 1 for reason in EXPECTED_BLOCKED.values()} | {"pass": 1}
    assert found.counts == expected
    assert found.contacts == len(world["ids"])
    assert found.cursor is None


def test_an_informational_campaign_reaches_prior_express_consent(world: dict[str, Any]) -> None:  # noqa: F811
    """47 CFR 64.1200(a)(1): informational autodialed texts need prior express consent, not written."""
    found = preflight(world["scope"], draft(world, purpose="informational"), NOW, checks.suppressed)
    assert "blocked:consent_not_written" not in found.counts
    assert found.counts["pass"] == 2


def test_deferred_contacts_say_when_they_open_and_pages_follow_the_cursor(world: dict[str, Any]) -> None:  # noqa: F811
    evening = NOW + timedelta(hours=7)  # 21:00 in New York: past the campaign window and the federal floor
    campaign_id = draft(world)
    first = preflight(world["scope"], campaign_id, evening, checks.suppressed, limit=4)
    second = preflight(world["scope"], campaign_id, evening, checks.suppressed, limit=4, cursor=first.cursor)
    assert second.cursor is None
    assert first.contacts + second.contacts == len(world["ids"])
    merged = {k: first.counts.get(k, 0) + second.counts.get(k, 0) for k in first.counts | second.counts}
    deferred = {k: v for k, v in merged.items() if k.startswith("deferred:")}
    assert sum(deferred.values()) == 1  # Ann, the one who would pass by day
    (key,) = deferred
    opens = first.opens.get(key) or second.opens[key]
    assert opens > evening
