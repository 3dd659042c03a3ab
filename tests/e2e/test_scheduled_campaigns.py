"""Over HTTP on the local runtime: campaigns scheduled ahead start at their start_at on the runtime's
clock, a cancelled one never does, and past end_at the contacts never reached are window_closed.

Issue 20, "Done when": a scheduled campaign starts at its start_at on the local runtime's clock,
and a cancelled one never does. The demo tenant approves three campaigns with a start_at ahead
and starts each (the API schedules them: a one-time EventBridge Scheduler schedule in moto);
one is cancelled. The runtime's clock then moves: an hour before start_at nothing fires;
past it ``fire_due_schedules`` invokes the scheduler function with each due schedule's input,
which starts the run through the same start path, and the template's state machine sends. The
third campaign's schedule fires only after its end_at: nothing is planned and every contact
is reported ``blocked: window_closed``.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from gatehouse.providers.sandbox import sandbox
from local.runtime import LocalRuntime
from tests.e2e.test_delivery_status import CONSENT, approved_campaign, weekday_afternoon_in_new_york
from tests.e2e.test_local_http import http
from tests.support.consent import written
from tests.support.webhooks import TWILIO_CREDENTIALS

PEOPLE = {"ann": "+12125550151", "bo": "+12125550152"}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def runs_of(runtime: LocalRuntime, key: str, campaign_id: str) -> list[dict[str, Any]]:
    status, _, runs = http(runtime, "GET", f"/campaigns/{campaign_id}/runs", token=key)
    assert status == 200, runs
    return runs["items"]  # type: ignore[no-any-return]


def finished_run(runtime: LocalRuntime, key: str, campaign_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        runs = runs_of(runtime, key, campaign_id)
        if (runs and runs[0]["status"] != "started") or time.monotonic() > deadline:
            assert runs, "the schedule started no run"
            return runs[0]
        time.sleep(0.1)


def status_of(runtime: LocalRuntime, key: str, campaign_id: str) -> str:
    status, _, campaign = http(runtime, "GET", f"/campaigns/{campaign_id}", token=key)
    assert status == 200, campaign
    return str(campaign["status"])


def scheduled(runtime: LocalRuntime, key: str, spec: dict[str, Any]) -> str:
    campaign_id = approved_campaign(runtime, key, spec)
    status, _, started = http(runtime, "POST", f"/campaigns/{campaign_id}/start", token=key)
    assert status == 202, started
    assert (started["campaign"]["status"], started["run"]) == ("scheduled", None)
    assert started["scheduled_for"] == spec["start_at"]
    return campaign_id


def test_scheduled_campaigns_start_at_start_at_a_cancelled_one_never_and_past_end_at_none_is_reached(
    runtime: LocalRuntime,
) -> None:
    assert runtime.demo is not None
    key, tenant_id = runtime.demo.api_key, runtime.demo.tenant_id
    status, _, body = http(runtime, "POST", "/integrations/twilio", token=key, body=TWILIO_CREDENTIALS)
    assert status in {201, 409}, body
    ids = []
    for name, phone in PEOPLE.items():
        person = {
            "phone": phone,
            "first_name": name.title(),
            "state": "NY",
            "consent": [written(CONSENT, phone)],
        }
        status, _, contact = http(runtime, "POST", "/contacts", token=key, body=person)
        assert status == 201, contact
        ids.append(contact["contact_id"])
    start = weekday_afternoon_in_new_york()  # tomorrow or later: ahead of the API's own clock
    spec = {
        "name": "Scheduled offer",
        "channel": "sms",
        "audience": {"contact_ids": ids},
        "content": {"kind": "sms", "template": "Hi {first_name}, new offer. Reply STOP to opt out."},
        "senders": {"numbers": ["+15005550006"]},
        "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "20:00"}],
        "max_attempts_per_contact": 2,
        "start_at": iso(start),
    }
    # Bad timing is refused on its field, and creates nothing.
    for bad, field in (
        ({"end_at": iso(start - timedelta(minutes=1))}, "body.end_at"),
        ({"start_at": "2020-01-01T00:00:00Z"}, "body.start_at"),
        ({"start_at": "2030-01-01T00:00:00"}, "body.start_at"),
    ):
        status, _, refused = http(runtime, "POST", "/campaigns", token=key, body={**spec, **bad})
        assert (status, refused["error"]["code"]) == (422, "validation_error"), refused
        assert [d["field"] for d in refused["error"]["details"]] == [field]

    on_time = scheduled(runtime, key, spec)
    cancelled = scheduled(runtime, key, {**spec, "name": "Cancelled offer"})
    status, _, body = http(runtime, "POST", f"/campaigns/{cancelled}/cancel", token=key)
    assert (status, body["status"]) == (200, "cancelled"), body
    late_start, end = start + timedelta(hours=1), start + timedelta(hours=1, minutes=30)
    closed = scheduled(
        runtime, key, {**spec, "name": "Closed offer", "start_at": iso(late_start), "end_at": iso(end)}
    )

    try:
        runtime.set_clock(lambda: start - timedelta(hours=1))
        runtime.fire_due_schedules()
        assert [status_of(runtime, key, c) for c in (on_time, cancelled, closed)] == [
            "scheduled",
            "cancelled",
            "scheduled",
        ]
        assert all(runs_of(runtime, key, c) == [] for c in (on_time, cancelled, closed))
        assert sandbox().messages(tenant_id) == []

        runtime.set_clock(lambda: start + timedelta(minutes=1))
        runtime.fire_due_schedules()
        run = finished_run(runtime, key, on_time)
        assert (run["status"], run["counts"].get("sent"), run["started_by"]) == (
            "finished",
            2,
            "system:campaign-schedule",
        ), run
        assert status_of(runtime, key, on_time) == "completed"
        assert sorted(m.to for m in sandbox().messages(tenant_id)) == sorted(PEOPLE.values())
        assert status_of(runtime, key, closed) == "scheduled"  # its start_at is an hour later

        runtime.set_clock(lambda: end + timedelta(minutes=30))
        runtime.fire_due_schedules()
        run = finished_run(runtime, key, closed)
        assert (run["status"], run["counts"]) == ("finished", {"blocked": 2, "blocked:window_closed": 2}), run
        status, _, report = http(runtime, "GET", f"/campaigns/{closed}/report", token=key)
        assert {(o["status"], o["reason"]) for o in report["items"]} == {("blocked", "window_closed")}
        assert status_of(runtime, key, closed) == "completed"
    finally:
        runtime.set_clock(None)

    # The cancelled campaign never started, whatever the clock did; only the first one sent.
    assert status_of(runtime, key, cancelled) == "cancelled"
    assert runs_of(runtime, key, cancelled) == []
    assert len(sandbox().messages(tenant_id)) == len(PEOPLE)
    assert runtime.client("scheduler").list_schedules()["Schedules"] == []  # each deleted once it fired
