"""The demo campaign, end to end over HTTP on the local runtime: ``make demo``.

Imports demo/contacts.csv into the demo tenant, connects the sandbox Twilio account,
creates an SMS campaign for every imported contact, submits, approves and starts it,
waits for the dispatch run (the template's state machine, executed by moto, calling
the real dispatch handlers) and prints the report: one line per contact with its
outcome and reason. Every step is an API call a client would make; nothing here
reaches into the tables. The e2e test drives the same steps and checks each outcome.
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
from pathlib import Path
from typing import Any

from local.runtime import LocalRuntime

DEMO_CSV = Path(__file__).resolve().parents[1] / "demo" / "contacts.csv"
# The sandbox accepts any well-formed Twilio credentials; it records what it is asked to send.
SANDBOX_TWILIO = {
    "account_sid": "AC" + "0d" * 16,
    "auth_token": "5a" * 16,
    "sender_numbers": ["+14155550100"],
}
DEMO_CAMPAIGN = {
    "name": "Demo spring offer",
    "channel": "sms",
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

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base_url + path, data=data, method=method)  # noqa: S310 - http to loopback
        request.add_header("Content-Type", "text/csv" if raw is not None else "application/json")
        request.add_header("Authorization", f"Bearer {self.key}")
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


def run_campaign(client: Client, contact_ids: list[str]) -> tuple[str, dict[str, Any]]:
    """Create, submit, approve and start the demo campaign; wait for its run. (campaign id, run)."""
    status, _ = client.call("POST", "/integrations/twilio", SANDBOX_TWILIO)
    if status not in {201, 409}:
        raise DemoError(f"connecting the sandbox Twilio account: {status}")
    spec = {**DEMO_CAMPAIGN, "audience": {"contact_ids": sorted(contact_ids)}}
    campaign_id = client.expect(201, "POST", "/campaigns", spec)["campaign_id"]
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


def run_demo(runtime: LocalRuntime) -> tuple[dict[str, str], dict[str, Any], list[dict[str, Any]]]:
    if runtime.demo is None:
        raise DemoError("the runtime was started without the demo tenant")
    client = Client(runtime.api_url, runtime.demo.api_key)
    contacts = import_contacts(client)
    campaign_id, run = run_campaign(client, list(contacts.values()))
    return contacts, run, report(client, campaign_id)


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
        contacts, run, outcomes = run_demo(runtime)
        phone_of = {cid: phone for phone, cid in contacts.items()}
        print(f"run {run['run_id']}: {run['status']}  counts {json.dumps(run['counts'], sort_keys=True)}")
        for item in sorted(outcomes, key=lambda o: phone_of.get(o["contact_id"], "")):
            detail = item["reason"] or (f"until {item['until']}" if item["until"] else "")
            print(
                f"  {phone_of.get(item['contact_id'], item['contact_id']):<14} {item['status']:<12} {detail}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
