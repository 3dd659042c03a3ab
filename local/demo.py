"""The demo campaigns, end to end over HTTP on the local runtime: ``make demo``.

Imports demo/contacts.csv into the demo tenant and connects the sandbox Twilio account and
voice agent. One person answers with a reply that may be a revocation ("I quit"), signed
as Twilio signs it: the number is held for review. Then it creates a marketing SMS
campaign for every imported contact and an informational AI-voice campaign that records
calls without announcing it (on which Gil asks not to be called again: his number is
suppressed, and the call's recording is copied into the tenant's own S3 prefix), submits,
approves and starts each, waits for each dispatch
run (the template's state machine, executed by moto, calling the real dispatch handlers)
and prints each report: one line per contact with its outcome and reason.

The gates' clock is pinned to a Wednesday at 22:30 UTC that is no holiday in a demo state:
every demo zone is inside the federal hours then, and Maine's hours for automated calls
and texts (weekdays 9 to 5) are over, so each outcome is known in advance. Every step is
an API call a client (or Twilio) would make; nothing here reaches into the tables. The
e2e test drives the same steps and checks each outcome.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays

from gatehouse.providers.sandbox import sandbox
from local.runtime import LocalRuntime

DEMO_CSV = Path(__file__).resolve().parents[1] / "demo" / "contacts.csv"
DEMO_STATES = ("CA", "IL", "FL", "TX", "WA", "IN", "AZ", "GA", "ME", "NY", "AK")
# Fay answers an earlier message with words a person may mean as "stop": held for review.
DOUBTFUL_REPLY = ("+13175550188", "I quit")
SANDBOX_VOICE_AGENT = {"agent_id": "agent_demo", "api_key": "key_" + "d" * 24, "webhook_secret": "6b" * 16}
VOICE_CAMPAIGN = {
    "name": "Demo appointment reminders",
    "channel": "voice",
    "purpose": "informational",
    "technology": "artificial_voice",
    "content": {
        "kind": "voice",
        "agent_id": "agent_demo",
        "records_calls": True,
        # 47 CFR 64.1200(b)(1)-(2): every artificial-voice call, reminders too, names the business and
        # offers the automated opt-out.
        "seller": "Demo Dental",
        "opening": "Hi, this is Ava, an automated assistant calling for Demo Dental.",
        "opt_out": {"key": "9", "phrase": "say stop calling"},
    },
    "senders": {"numbers": ["+14155550100"]},
    "windows": [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}
    ],
    # The campaign's cap counts the person's attempts of the last 24 hours, the spring offer's text too.
    "max_attempts_per_contact": 2,
}
# Who the voice campaign calls: Ann (California) and Cy (Florida) need every party's consent to a
# recording, which the campaign does not announce; Gil (Arizona) does not.
VOICE_AUDIENCE = ("+14155550132", "+13055550166", "+16025550119")
# What Gil says on the call (the sandbox's script for numbers ending 0119): his words in the
# transcript revoke consent (47 CFR 64.1200(a)(10)), whatever the agent's own analysis says, so his
# number goes on the suppression list for texts and calls alike.
GIL_ON_THE_CALL = (
    "0119",
    (
        ("agent", "Hello, this is an automated reminder from the demo company about your appointment."),
        ("user", "Please stop calling me."),
        ("agent", "Understood. Goodbye."),
    ),
)
# The sandbox accepts any well-formed Twilio credentials; it records what it is asked to send.
SANDBOX_TWILIO = {
    "account_sid": "AC" + "0d" * 16,
    "auth_token": "5a" * 16,
    "sender_numbers": ["+14155550100"],
}
DEMO_CAMPAIGN = {
    "name": "Demo spring offer",
    "channel": "sms",
    "purpose": "marketing",
    "content": {"kind": "sms", "template": "Hi {first_name}, spring hours are here. Reply STOP to opt out."},
    "senders": {"numbers": ["+14155550100"]},
    # The campaign itself allows any time: what limits it are the federal and state rules.
    "windows": [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}
    ],
}


class DemoError(RuntimeError):
    pass


class Client:
    """JSON over HTTP to the runtime's API with the demo tenant's key."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.key = key

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base_url + path, data=data, method=method)  # noqa: S310 - http to loopback
        request.add_header("Content-Type", "text/csv" if raw is not None else "application/json")
        request.add_header("Authorization", f"Bearer {self.key}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  # nosec B310 # loopback only
                text = response.read().decode()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, json.loads(text) if text else None

    def expect(
        self, status: int, method: str, path: str, body: Any = None, *, raw: bytes | None = None
    ) -> Any:
        got, reply = self.call(method, path, body, raw=raw)
        if got != status:
            raise DemoError(f"{method} {path}: {got} {reply}")
        return reply


def wait_for(check: Any, what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise DemoError(f"timed out waiting for {what}")


def import_contacts(client: Client) -> dict[str, str]:
    """The demo CSV imported; phone -> contact id of every contact created."""
    job = client.expect(202, "POST", "/contacts/imports", raw=DEMO_CSV.read_bytes())

    def finished() -> Any:
        state = client.expect(200, "GET", f"/contacts/imports/{job['import_id']}")
        return state if state["status"] in {"completed", "failed"} else None

    if wait_for(finished, "the import")["status"] != "completed":
        raise DemoError("the demo import failed")
    listed = client.expect(200, "GET", "/contacts?limit=100")
    return {c["phone"]: c["contact_id"] for c in listed["items"]}


def demo_moment(after: datetime) -> datetime:
    """The first Wednesday, 22:30 UTC, a day or more after ``after`` that is no holiday in a demo state."""
    day = (after + timedelta(days=1)).date()
    while day.weekday() != 2 or any(
        day in holidays.country_holidays("US", subdiv=s, years=day.year) for s in DEMO_STATES
    ):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 22, 30, tzinfo=UTC)


def connect_providers(client: Client) -> None:
    for provider, credentials in (("twilio", SANDBOX_TWILIO), ("voice_agent", SANDBOX_VOICE_AGENT)):
        status, _ = client.call("POST", f"/integrations/{provider}", credentials)
        if status not in {201, 409}:
            raise DemoError(f"connecting the sandbox {provider}: {status}")


def reply(client: Client, sender: str, text: str, *, sid: str = "SM" + "de" * 16) -> None:
    """A text from ``sender`` (MessageSid ``sid``) to the inbound-SMS webhook, signed as Twilio signs it."""
    from gatehouse.providers.sandbox_callbacks import twilio_form  # noqa: PLC0415 - needs the runtime's env

    url = client.expect(200, "GET", "/integrations/webhooks")["twilio_sms"]
    pairs: list[tuple[str, str]] = [
        ("MessageSid", sid),
        ("AccountSid", str(SANDBOX_TWILIO["account_sid"])),
        ("From", sender),
        ("To", "+14155550100"),
        ("Body", text),
        ("NumMedia", "0"),
    ]
    signed = twilio_form(url, pairs, str(SANDBOX_TWILIO["auth_token"]))
    # The runtime's own loopback address, from its own API.
    request = urllib.request.Request(signed.url, data=signed.body, method="POST", headers=signed.headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # nosec B310 # loopback only
        if response.status != 200:
            raise DemoError(f"the inbound text was refused: {response.status}")


def run_campaign(
    client: Client, spec_base: dict[str, Any], contact_ids: list[str]
) -> tuple[str, dict[str, Any]]:
    """Create, submit, approve and start a campaign; wait for its run. (campaign id, run)."""
    spec = {**spec_base, "audience": {"contact_ids": sorted(contact_ids)}}
    campaign_id = client.expect(201, "POST", "/campaigns", spec)["campaign_id"]
    client.expect(200, "GET", f"/campaigns/{campaign_id}/preflight")
    client.expect(200, "POST", f"/campaigns/{campaign_id}/submit")
    client.expect(200, "POST", f"/campaigns/{campaign_id}/approve")
    run_id = client.expect(202, "POST", f"/campaigns/{campaign_id}/start")["run"]["run_id"]

    def ended() -> Any:
        runs = client.expect(200, "GET", f"/campaigns/{campaign_id}/runs")["items"]
        mine = [r for r in runs if r["run_id"] == run_id]
        return mine[0] if mine and mine[0]["status"] != "started" else None

    return campaign_id, wait_for(ended, "the dispatch run")


def report(client: Client, campaign_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = client.expect(
            200, "GET", f"/campaigns/{campaign_id}/report?limit=100" + (f"&cursor={cursor}" if cursor else "")
        )
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


class DemoRun(dict[str, Any]):
    """What the demo leaves: ``contacts`` (phone -> id), and per campaign ``sms``/``voice``: (run, report)."""


def run_demo(runtime: LocalRuntime, at: datetime | None = None) -> DemoRun:
    """Every step of the demo with the gates' clock pinned to ``at`` (default: ``demo_moment``)."""
    if runtime.demo is None:
        raise DemoError("the runtime was started without the demo tenant")
    runtime.set_clock(lambda: at or demo_moment(datetime.now(UTC)))
    try:
        client = Client(runtime.api_url, runtime.demo.api_key)
        contacts = import_contacts(client)
        connect_providers(client)
        reply(client, *DOUBTFUL_REPLY)
        sandbox().script_call(*GIL_ON_THE_CALL)  # the person on the line, as the sandbox plays them
        found = DemoRun(contacts=contacts)
        for name, spec, audience in (
            ("sms", DEMO_CAMPAIGN, list(contacts.values())),
            ("voice", VOICE_CAMPAIGN, [contacts[p] for p in VOICE_AUDIENCE]),
        ):
            campaign_id, run = run_campaign(client, spec, audience)
            found[name] = (run, report(client, campaign_id))
        return found
    finally:
        runtime.set_clock(None)


def _quiet() -> None:
    """The report is the demo's output: the handlers' logs and metrics, and moto's, stay out of it."""
    from gatehouse.observability import logger  # noqa: PLC0415 - only the command line quiets it
    from local.__main__ import quiet_logging  # noqa: PLC0415

    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    quiet_logging()
    logging.getLogger().setLevel(logging.WARNING)
    logger.setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.demo", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    _quiet()
    with LocalRuntime() as runtime:
        found = run_demo(runtime)
        phone_of = {cid: phone for phone, cid in found["contacts"].items()}
        for name in ("sms", "voice"):
            run, outcomes = found[name]
            counts = json.dumps(run["counts"], sort_keys=True)
            print(f"{name} campaign, run {run['run_id']}: {run['status']}  counts {counts}")
            for item in sorted(outcomes, key=lambda o: phone_of.get(o["contact_id"], "")):
                until = f" until {item['until']}" if item["until"] else ""
                detail = (item["reason"] or "") + until
                phone = phone_of.get(item["contact_id"], item["contact_id"])
                print(f"  {phone:<14} {item['status']:<12} {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
